import { formatMeanStd, MeanStd, meanStd } from '@mmfuse/core';

/** The one mean ± std of the workspace (core), re-exported where trainer users look for it. */
export { formatMeanStd, MeanStd, meanStd };
