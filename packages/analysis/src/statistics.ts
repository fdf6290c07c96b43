import { PermutationMethod, PermutationOptions, PermutationPValues, rankSumTest, signedRankTest, signedRanks } from './permutation-tests';
import { midRanks } from './ranks';

/**
 * Summaries, effect sizes and rank tests for comparing fusions over trials (e.g. final losses or
 * detection AUCs of 10 trials each). Everything takes plain number arrays.
 */

export type Alternative = 'two-sided' | 'less' | 'greater';

/** How a p-value was computed: from the permutation distribution (all of it, or seeded draws), or by the normal approximation. */
export type TestMethod = PermutationMethod | 'asymptotic';

export interface RankTestOptions extends Omit<PermutationOptions, 'method'> {
  /**
   * `auto` (default): the permutation rule of permutation-tests.ts — the exact distribution with
   * mid-ranks for ties, seeded Monte Carlo beyond its size limit. `asymptotic` (the normal
   * approximation, as R's wilcox.test with ties) only when asked for.
   */
  method?: 'auto' | TestMethod;
  /** Continuity correction of ½ in the normal approximation (default true; R's `correct`). */
  correction?: boolean;
}

export function mean(values: ArrayLike<number>): number {
  if (values.length === 0) throw new RangeError('mean: no values');
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return sum / values.length;
}

/** Standard deviation with Bessel's correction (n − 1); NaN for a single value. */
export function sampleStd(values: ArrayLike<number>): number {
  return Math.sqrt(sampleVariance(values));
}

function sampleVariance(values: ArrayLike<number>): number {
  const m = mean(values);
  if (values.length < 2) return NaN;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += (values[i] - m) ** 2;
  return sum / (values.length - 1);
}

/**
 * The q-th percentile (q in [0, 100]) by linear interpolation between order statistics, numpy's
 * default: h = (n − 1) q / 100, x₍⌊h⌋₎ + (h − ⌊h⌋)(x₍⌊h⌋+1₎ − x₍⌊h⌋₎) on the sorted values
 * (definition 7 of Hyndman & Fan 1996, "Sample quantiles in statistical packages", Am. Stat. 50(4)).
 */
export function percentile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) throw new RangeError('percentile: no values');
  if (!(q >= 0 && q <= 100)) throw new RangeError(`percentile: q must be in [0, 100], got ${q}`);
  const sorted = Float64Array.from(values).sort();
  if (Number.isNaN(sorted[sorted.length - 1])) throw new RangeError('percentile: a value is NaN');
  const h = ((sorted.length - 1) * q) / 100;
  const lower = Math.floor(h);
  const upper = Math.min(lower + 1, sorted.length - 1);
  return sorted[lower] + (h - lower) * (sorted[upper] - sorted[lower]);
}

/**
 * Cohen's d = (mean(a) − mean(b)) / s_pooled with s_pooled² = ((n_a − 1)s_a² + (n_b − 1)s_b²) / (n_a + n_b − 2)
 * (Cohen 1988, Statistical Power Analysis for the Behavioral Sciences, 2nd ed., ch. 2). Positive
 * when a is larger. ±∞ or NaN when both samples are constant.
 */
export function cohensD(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const df = a.length + b.length - 2;
  if (a.length < 1 || b.length < 1 || df < 1) throw new RangeError('cohensD: needs at least one value per sample and three in all');
  const pooled = ((a.length - 1) * (a.length > 1 ? sampleVariance(a) : 0) + (b.length - 1) * (b.length > 1 ? sampleVariance(b) : 0)) / df;
  return (mean(a) - mean(b)) / Math.sqrt(pooled);
}

/**
 * Hedges' g = J(df) · d with the exact small-sample correction J(df) = Γ(df/2) / (√(df/2) Γ((df − 1)/2)),
 * df = n_a + n_b − 2, which makes g unbiased for the population effect under normality
 * (Hedges 1981, "Distribution theory for Glass's estimator of effect size and related
 * estimators", J. Educ. Stat. 6(2), 107–128; J ≈ 1 − 3/(4 df − 1) is its usual approximation).
 * With 10 trials per fusion, J = 0.958.
 */
export function hedgesG(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return hedgesCorrection(a.length + b.length - 2) * cohensD(a, b);
}

/** Hedges' J(df); needs df ≥ 2. */
export function hedgesCorrection(df: number): number {
  if (!(df >= 2)) throw new RangeError(`hedgesCorrection: needs df ≥ 2, got ${df}`);
  return Math.exp(logGamma(df / 2) - logGamma((df - 1) / 2)) / Math.sqrt(df / 2);
}

/**
 * Cliff's delta = (#{a_i > b_j} − #{a_i < b_j}) / (n_a n_b) ∈ [−1, 1] (Cliff 1993, "Dominance
 * statistics: ordinal analyses to answer ordinal questions", Psychol. Bull. 114(3), 494–509).
 * Computed from mid-ranks: it equals 2U/(n_a n_b) − 1 with U the Mann–Whitney U of a.
 */
export function cliffsDelta(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length === 0 || b.length === 0) throw new RangeError('cliffsDelta: both samples need values');
  return (2 * mannWhitneyStatistic(a, b).u) / (a.length * b.length) - 1;
}

/**
 * Matched-pairs rank-biserial correlation r = (W⁺ − W⁻) / (W⁺ + W⁻) ∈ [−1, 1] over the non-zero
 * differences a_i − b_i (Kerby 2014, "The simple difference formula", Compr. Psychol. 3, 11.IT.3.1):
 * the paired counterpart of Cliff's δ, positive when a tends to exceed b; 0 when no pair differs.
 */
export function pairedRankBiserial(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const { wPlus, wMinus } = signedRanks(a, b);
  return wPlus + wMinus > 0 ? (wPlus - wMinus) / (wPlus + wMinus) : 0;
}

/** Sample standard deviation of a over that of b; 1 when both are 0 (equal spread), ∞ when only b's is. */
export function standardDeviationRatio(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const sa = sampleStd(a);
  const sb = sampleStd(b);
  return sa === sb ? 1 : sa / sb;
}

export interface MannWhitneyResult {
  /** U of the first sample: #{a_i > b_j} + ½ #{a_i = b_j} (0 … n_a n_b). */
  readonly u: number;
  readonly p: number;
  readonly method: TestMethod;
}

/**
 * Mann–Whitney U test (Wilcoxon rank-sum). `greater`: a tends to be larger than b (large U).
 * By default the p-value follows the permutation rule of permutation-tests.ts: the exact null
 * distribution of the mid-rank sum over all C(m + n, m) splits (without ties it is that of Mann &
 * Whitney 1947, "On a test of whether one of two random variables is stochastically larger than
 * the other", Ann. Math. Statist. 18(1), 50–60, see mannWhitneyNullCounts), seeded Monte Carlo
 * beyond its size limit; ties never switch the method. Two-sided p = min(1, 2 · smaller tail).
 * `asymptotic`: U ~ N(mn/2, σ²) with the tie-corrected σ² = mn/12 · ((N + 1) − Σ(t³ − t)/(N(N − 1))),
 * N = m + n, t the tie-group sizes (Lehmann 1975, Nonparametrics: Statistical Methods Based on
 * Ranks, ch. 1), and a continuity correction of ½ towards the mean — what R's wilcox.test
 * computes with correct = TRUE.
 */
export function mannWhitneyU(a: ArrayLike<number>, b: ArrayLike<number>, alternative: Alternative = 'two-sided', options: RankTestOptions = {}): MannWhitneyResult {
  if (a.length === 0 || b.length === 0) throw new RangeError('mannWhitneyU: both samples need values');
  if (options.method !== 'asymptotic') {
    const test = rankSumTest(a, b, { ...options, method: options.method });
    return { u: test.u, p: pValueFor(test, alternative), method: test.method };
  }
  const m = a.length;
  const n = b.length;
  const { u, tieGroups } = mannWhitneyStatistic(a, b);
  const total = m + n;
  const tieTerm = tieGroups.reduce((sum, t) => sum + t ** 3 - t, 0) / (total * (total - 1));
  const sd = Math.sqrt(((m * n) / 12) * (total + 1 - tieTerm));
  return { u, p: normalTail(u, (m * n) / 2, sd, alternative, options.correction ?? true), method: 'asymptotic' };
}

function pValueFor(test: PermutationPValues, alternative: Alternative): number {
  if (alternative === 'less') return test.less;
  if (alternative === 'greater') return test.greater;
  return Math.min(1, 2 * Math.min(test.less, test.greater));
}

/**
 * Counts of each U = 0 … mn over all C(m + n, m) arrangements of two samples of sizes m and n
 * without ties, by Mann & Whitney's recurrence c(u; m, n) = c(u − n; m − 1, n) + c(u; m, n − 1)
 * (by whether the largest pooled value comes from the first sample, beating all n of the second,
 * or from the second). An independent check of the general count in permutation-tests.ts.
 */
export function mannWhitneyNullCounts(m: number, n: number): Float64Array {
  // row[j] holds c(·; i, j) for the current i; c(·; 0, j) and c(·; i, 0) are the point mass at 0.
  let previous: Float64Array[] = Array.from({ length: n + 1 }, () => Float64Array.of(1));
  for (let i = 1; i <= m; i++) {
    const current: Float64Array[] = [Float64Array.of(1)];
    for (let j = 1; j <= n; j++) {
      const counts = new Float64Array(i * j + 1);
      const fromA = previous[j]; // c(u − j; i − 1, j)
      for (let u = 0; u < fromA.length; u++) counts[u + j] += fromA[u];
      const fromB = current[j - 1]; // c(u; i, j − 1)
      for (let u = 0; u < fromB.length; u++) counts[u] += fromB[u];
      current.push(counts);
    }
    previous = current;
  }
  return previous[n];
}

function mannWhitneyStatistic(a: ArrayLike<number>, b: ArrayLike<number>): { u: number; tieGroups: number[] } {
  const pooled = new Float64Array(a.length + b.length);
  pooled.set(Array.from(a), 0);
  pooled.set(Array.from(b), a.length);
  const { ranks, tieGroups } = midRanks(pooled);
  let rankSum = 0;
  for (let i = 0; i < a.length; i++) rankSum += ranks[i];
  return { u: rankSum - (a.length * (a.length + 1)) / 2, tieGroups };
}

export interface WilcoxonResult {
  /** W⁺: sum of the ranks of |a_i − b_i| over pairs with a_i > b_i. */
  readonly w: number;
  /** W⁻: the same over a_i < b_i; W⁺ + W⁻ = n(n + 1)/2. */
  readonly wMinus: number;
  /** Pairs with a non-zero difference (zero differences are dropped). */
  readonly n: number;
  readonly p: number;
  readonly method: TestMethod;
}

/**
 * Wilcoxon signed-rank test for paired samples (Wilcoxon 1945, "Individual comparisons by ranking
 * methods", Biometrics Bull. 1(6), 80–83), on d_i = a_i − b_i. `greater`: a tends to exceed b.
 * Zero differences are dropped (Wilcoxon's own rule, also R's and scipy's default); the test is
 * then conditional on their number. By default the p-value follows the permutation rule of
 * permutation-tests.ts: the exact distribution of W⁺ over all 2ⁿ sign patterns of the mid-ranks
 * of |d| (without ties: the subset sums of {1, …, n}, see signedRankNullCounts), seeded Monte Carlo
 * beyond its size limit. Two-sided p = min(1, 2 · smaller tail).
 * `asymptotic`: W⁺ ~ N(n(n + 1)/4, n(n + 1)(2n + 1)/24 − Σ(t³ − t)/48) with mid-ranks for ties
 * (Lehmann 1975, ch. 3; Hollander & Wolfe 1973, Nonparametric Statistical Methods, ch. 3), and a
 * continuity correction of ½ (R's wilcox.test with correct = TRUE).
 */
export function wilcoxonSignedRank(a: ArrayLike<number>, b: ArrayLike<number>, alternative: Alternative = 'two-sided', options: RankTestOptions = {}): WilcoxonResult {
  if (a.length !== b.length) throw new RangeError(`wilcoxonSignedRank: paired samples need equal lengths, got ${a.length} and ${b.length}`);
  if (options.method !== 'asymptotic') {
    const test = signedRankTest(a, b, { ...options, method: options.method });
    return { w: test.wPlus, wMinus: test.wMinus, n: test.n, p: pValueFor(test, alternative), method: test.method };
  }
  const { wPlus: w, wMinus, weights } = signedRanks(a, b);
  const n = weights.length;
  // No non-zero difference: the data say nothing either way.
  if (n === 0) return { w: 0, wMinus: 0, n: 0, p: 1, method: 'asymptotic' };
  const { tieGroups } = midRanks(weights);
  const variance = (n * (n + 1) * (2 * n + 1)) / 24 - tieGroups.reduce((sum, t) => sum + t ** 3 - t, 0) / 48;
  return { w, wMinus, n, p: normalTail(w, (n * (n + 1)) / 4, Math.sqrt(variance), alternative, options.correction ?? true), method: 'asymptotic' };
}

/** Counts of each W⁺ = 0 … n(n + 1)/2 over the 2ⁿ sign patterns (subset sums of {1, …, n}). */
export function signedRankNullCounts(n: number): Float64Array {
  const counts = new Float64Array((n * (n + 1)) / 2 + 1);
  counts[0] = 1;
  for (let k = 1; k <= n; k++) {
    for (let s = (k * (k + 1)) / 2; s >= k; s--) counts[s] += counts[s - k];
  }
  return counts;
}

/** Normal-approximation p-value, with a continuity correction of ½ towards the mean unless switched off. */
function normalTail(statistic: number, centre: number, sd: number, alternative: Alternative, correction: boolean): number {
  if (!(sd > 0)) return 1; // every value tied: no ordering information at all
  const half = correction ? 0.5 : 0;
  if (alternative === 'greater') return standardNormalCdf(-(statistic - centre - half) / sd); // Φ(−z), not 1 − Φ(z): keeps tiny p-values
  if (alternative === 'less') return standardNormalCdf((statistic - centre + half) / sd);
  const z = (Math.abs(statistic - centre) - half) / sd;
  return Math.min(1, 2 * standardNormalCdf(-z));
}

/**
 * Φ(z) through erfc, to about 1e-14 relative: erfc(x) = 1 − erf(x) with the positive-term series
 * erf(x) = (2/√π) e^(−x²) Σ 2ⁿ x^(2n+1) / (1·3·…·(2n+1)) for x < 3, and Laplace's continued
 * fraction erfc(x) = e^(−x²)/√π · 1/(x + ½/(x + 1/(x + (3/2)/(x + …)))) for x ≥ 3
 * (Abramowitz & Stegun, Handbook of Mathematical Functions, ch. 7).
 */
export function standardNormalCdf(z: number): number {
  if (Number.isNaN(z)) return NaN;
  return 0.5 * erfc(-z / Math.SQRT2);
}

function erfc(x: number): number {
  if (x < 0) return 2 - erfc(-x);
  if (x === Infinity) return 0;
  if (x < 3) {
    let term = x;
    let sum = x;
    for (let k = 1; k < 200 && term > 1e-17 * sum; k++) {
      term *= (2 * x * x) / (2 * k + 1);
      sum += term;
    }
    return 1 - ((2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum);
  }
  let fraction = x;
  for (let k = 60; k >= 1; k--) fraction = x + k / 2 / fraction;
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / fraction;
}

/** ln Γ(x) for x > 0 by the Lanczos approximation (g = 7, 9 terms; ~1e-15 relative), with reflection below ½. */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const coefficients = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  const shifted = x - 1;
  let series = coefficients[0];
  for (let i = 1; i < coefficients.length; i++) series += coefficients[i] / (shifted + i);
  const t = shifted + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (shifted + 0.5) * Math.log(t) - t + Math.log(series);
}
