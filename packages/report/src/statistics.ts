import { MeanStd, meanStd } from '@mmfuse/core';

export { MeanStd, meanStd };

/** `0.01234 ± 0.00056`: two significant digits of the spread decide the decimals of both numbers. */
export function formatMeanStd({ mean, std }: { mean: number; std: number }): string {
  if (!Number.isFinite(mean)) return 'n/a';
  if (!Number.isFinite(std)) return formatNumber(mean);
  const digits = std > 0 ? Math.max(1, Math.min(8, 1 - Math.floor(Math.log10(std)))) : 4;
  const fmt = (v: number) => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-4 && v !== 0) ? v.toExponential(2) : v.toFixed(digits));
  return `${fmt(mean)} ± ${fmt(std)}`;
}

/** Four significant digits, exponent notation for very large or small magnitudes. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return Math.abs(value) >= 1e4 || (Math.abs(value) < 1e-3 && value !== 0) ? value.toExponential(2) : String(Number(value.toPrecision(4)));
}
