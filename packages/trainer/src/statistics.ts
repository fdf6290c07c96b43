import { MeanStd, meanStd } from '@mmfuse/core';

export { MeanStd, meanStd };

/** `0.01234 ± 0.00056`, with significant digits chosen from the spread. */
export function formatMeanStd({ mean, std }: MeanStd): string {
  if (!Number.isFinite(mean)) return 'n/a';
  // Two significant digits of the spread decide the decimals of both numbers.
  const digits = std > 0 ? Math.max(1, Math.min(8, 1 - Math.floor(Math.log10(std)))) : 4;
  const fmt = (v: number) => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-4 && v !== 0) ? v.toExponential(2) : v.toFixed(digits));
  return `${fmt(mean)} ± ${fmt(std)}`;
}
