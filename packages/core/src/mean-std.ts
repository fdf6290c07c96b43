/** Mean and sample standard deviation (n − 1; 0 for a single value) of finite values. */
export interface MeanStd {
  mean: number;
  std: number;
  n: number;
}

export function meanStd(values: readonly number[]): MeanStd {
  const finite = values.filter((v) => Number.isFinite(v));
  const n = finite.length;
  if (n === 0) return { mean: NaN, std: NaN, n: 0 };
  const mean = finite.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? finite.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, std: Math.sqrt(variance), n };
}

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
