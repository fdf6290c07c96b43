import { formatMeanStd, formatNumber, MeanStd, meanStd } from '@mmfuse/core';

export { formatMeanStd, formatNumber, MeanStd, meanStd };

