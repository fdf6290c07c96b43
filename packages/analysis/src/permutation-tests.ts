import { seededUniform } from './deterministic-random';
import { midRanks } from './ranks';

/**
 * Permutation tests for comparing set-ups over trials, all under one p-value rule:
 *
 * - The p-value is the null probability, under random re-assignment of the observed values, of a
 *   statistic at least as extreme as the observed one: over all C(n + m, n) splits of the pooled
 *   values into groups of n and m (two independent samples), or over all 2ⁿ sign patterns of the
 *   n paired differences (paired samples).
 * - Rank tests use mid-ranks (tied values share the mean of the ranks they span), so ties change
 *   the statistic, never the method. Mid-ranks are multiples of ½, so doubled they are integers and
 *   the null distribution is counted exactly by a subset-sum recurrence (the same numbers as
 *   listing every split, which the tests check) while the count takes at most EXACT_COUNT_LIMIT
 *   steps — up to about 110 values in all, split evenly. The Levene test, whose statistic is not
 *   a rank sum, lists its splits while there are at most ENUMERATION_LIMIT of them.
 * - Beyond those sizes: a seeded Monte-Carlo permutation test with MONTE_CARLO_PERMUTATIONS draws
 *   and p = (1 + #{draws at least as extreme}) / (1 + draws).
 * - The choice between the two depends on the sample sizes only, and the seed is fixed, so the same
 *   rank pattern always gets the same p-value whatever the values.
 * - Paired tests drop zero differences (Wilcoxon's rule) and rank the remaining |differences|.
 */

export type PermutationMethod = 'exact' | 'monte-carlo';

/** Most steps (values × smaller group × sum of doubled ranks) an exact rank-sum or signed-rank count may take. */
export const EXACT_COUNT_LIMIT = 1e8;
/** Most splits the Levene test lists one by one before it samples them. */
export const ENUMERATION_LIMIT = 200_000;
export const MONTE_CARLO_PERMUTATIONS = 100_000;
/** Any fixed number would do: what matters is that the same data always get the same p-value. */
export const PERMUTATION_SEED = 0x5eed;

export interface PermutationOptions {
  /** `auto` (default): exact within the size limits, else Monte Carlo. */
  method?: 'auto' | PermutationMethod;
  /** Monte-Carlo draws (default MONTE_CARLO_PERMUTATIONS). */
  permutations?: number;
  seed?: number;
}

export interface PermutationPValues {
  /** One-sided p-value that the first sample tends to be smaller: P(T ≤ t) under the null. */
  readonly less: number;
  /** One-sided p-value that the first sample tends to be larger: P(T ≥ t). */
  readonly greater: number;
  readonly method: PermutationMethod;
  /** Splits or sign patterns behind the p-values: all of them (exact) or those drawn (Monte Carlo). */
  readonly permutations: number;
  /** Smallest one-sided p-value the test can give at these sample sizes (see twoSampleMinimumP, pairedMinimumP). */
  readonly minimumP: number;
}

export interface RankSumTest extends PermutationPValues {
  /** Sum of the first sample's mid-ranks in the pooled sample. */
  readonly rankSum: number;
  /** Mann–Whitney U of the first sample: rank sum − n(n + 1)/2 = #{a_i > b_j} + ½ #{a_i = b_j}. */
  readonly u: number;
}

export interface SignedRankTest extends PermutationPValues {
  /** Sum of the mid-ranks of |a_i − b_i| over pairs with a_i > b_i. */
  readonly wPlus: number;
  /** The same over a_i < b_i; W⁺ + W⁻ = n(n + 1)/2. */
  readonly wMinus: number;
  /** Pairs with a non-zero difference (the others are dropped). */
  readonly n: number;
}

export interface LeveneTest extends PermutationPValues {
  /** Mean absolute deviation from its own mean, first sample minus second (negative: the first varies less). */
  readonly statistic: number;
}

/** C(n, k) as a double (exact while it stays below 2⁵³). */
export function binomial(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let result = 1;
  // Each step leaves the integer C(n − k + i, i).
  for (let i = 1; i <= Math.min(k, n - k); i++) result = (result * (n - Math.min(k, n - k) + i)) / i;
  return Math.round(result);
}

/** Smallest one-sided p-value of a two-sample permutation test with groups of n and m: 1/C(n + m, n), reached only when every split gives its own statistic. */
export function twoSampleMinimumP(n: number, m: number): number {
  return 1 / binomial(n + m, n);
}

/** Smallest one-sided p-value of a sign-flip test on n non-zero paired differences: 2⁻ⁿ. */
export function pairedMinimumP(n: number): number {
  return 2 ** -n;
}

/** Fewest trials per set-up (equal groups) whose two-sample permutation test can give p < alpha. */
export function smallestTwoSampleSize(alpha: number): number {
  return smallestSize(alpha, (n) => twoSampleMinimumP(n, n));
}

/** Fewest paired trials whose sign-flip test can give p < alpha. */
export function smallestPairedSize(alpha: number): number {
  return smallestSize(alpha, pairedMinimumP);
}

function smallestSize(alpha: number, minimumP: (n: number) => number): number {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be between 0 and 1, got ${alpha}`);
  let n = 1;
  while (minimumP(n) >= alpha) n++;
  return n;
}

/**
 * Rank-sum (Wilcoxon–Mann–Whitney) permutation test of two independent samples: the statistic is
 * the first sample's sum of mid-ranks in the pooled sample, its null distribution that over all
 * C(n + m, n) splits (see the rule at the top of this file).
 */
export function rankSumTest(a: ArrayLike<number>, b: ArrayLike<number>, options: PermutationOptions = {}): RankSumTest {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) throw new RangeError('rankSumTest: both samples need values');
  const { ranks } = midRanks([...Array.from(a), ...Array.from(b)]);
  const weights = Float64Array.from(ranks, (r) => 2 * r);
  let observed = 0;
  for (let i = 0; i < n; i++) observed += weights[i];
  const total = (n + m) * (n + m + 1);
  const smaller = Math.min(n, m);
  const rankSum = observed / 2;
  const statistics = { rankSum, u: rankSum - (n * (n + 1)) / 2 };
  const designMinimum = twoSampleMinimumP(n, m);
  if (useExact(options, (n + m) * smaller * (total + 1), EXACT_COUNT_LIMIT, 'rankSumTest')) {
    const counts = splitSumCounts(weights, smaller, total);
    // With the second sample the smaller one, count its sums: the first sample's is total − that.
    const first = smaller === n ? (s: number) => s : (s: number) => total - s;
    let atMost = 0;
    let atLeast = 0;
    for (let s = 0; s <= total; s++) {
      if (counts[s] === 0) continue;
      if (first(s) <= observed) atMost += counts[s];
      if (first(s) >= observed) atLeast += counts[s];
    }
    const splits = binomial(n + m, n);
    return { ...statistics, less: atMost / splits, greater: atLeast / splits, method: 'exact', permutations: splits, minimumP: designMinimum };
  }
  return { ...statistics, ...monteCarloSplits(weights, n, observed, 0, options, designMinimum) };
}

/** Number of size-k subsets of the (integer) weights with each sum 0 … total. */
function splitSumCounts(weights: Float64Array, k: number, total: number): Float64Array {
  const width = total + 1;
  const table = new Float64Array((k + 1) * width); // row j: subsets of j weights
  table[0] = 1;
  let reach = 0;
  weights.forEach((w, i) => {
    reach += w;
    for (let j = Math.min(k, i + 1); j >= 1; j--) {
      const row = j * width;
      const previous = (j - 1) * width;
      for (let s = reach; s >= w; s--) table[row + s] += table[previous + s - w];
    }
  });
  return table.subarray(k * width);
}

/**
 * Wilcoxon signed-rank permutation test of paired samples on d_i = a_i − b_i: zero differences are
 * dropped, the statistic is W⁺ (the mid-ranks of |d| summed over positive d), its null distribution
 * that over all 2ⁿ sign patterns of the n remaining differences.
 */
export function signedRankTest(a: ArrayLike<number>, b: ArrayLike<number>, options: PermutationOptions = {}): SignedRankTest {
  const { wPlus, wMinus, weights } = signedRanks(a, b);
  const n = weights.length;
  if (n === 0) return { wPlus: 0, wMinus: 0, n: 0, less: 1, greater: 1, method: 'exact', permutations: 1, minimumP: 1 };
  const observed = 2 * wPlus;
  const total = n * (n + 1);
  const designMinimum = pairedMinimumP(n);
  if (useExact(options, n * (total + 1), EXACT_COUNT_LIMIT, 'signedRankTest')) {
    const counts = new Float64Array(total + 1);
    counts[0] = 1;
    let reach = 0;
    for (const w of weights) {
      reach += w;
      for (let s = reach; s >= w; s--) counts[s] += counts[s - w];
    }
    let atMost = 0;
    let atLeast = 0;
    for (let s = 0; s <= total; s++) {
      if (s <= observed) atMost += counts[s];
      if (s >= observed) atLeast += counts[s];
    }
    const patterns = 2 ** n;
    return { wPlus, wMinus, n, less: atMost / patterns, greater: atLeast / patterns, method: 'exact', permutations: patterns, minimumP: designMinimum };
  }
  const draws = options.permutations ?? MONTE_CARLO_PERMUTATIONS;
  const uniform = seededUniform(options.seed ?? PERMUTATION_SEED);
  let atMost = 0;
  let atLeast = 0;
  for (let draw = 0; draw < draws; draw++) {
    let sum = 0;
    for (const w of weights) if (uniform() < 0.5) sum += w;
    if (sum <= observed) atMost++;
    if (sum >= observed) atLeast++;
  }
  return { wPlus, wMinus, n, ...monteCarloPValues(atMost, atLeast, draws, designMinimum) };
}

/** W⁺, W⁻ and the doubled mid-ranks of the non-zero |a_i − b_i|. */
export function signedRanks(a: ArrayLike<number>, b: ArrayLike<number>): { wPlus: number; wMinus: number; weights: Float64Array } {
  if (a.length !== b.length) throw new RangeError(`paired samples need equal lengths, got ${a.length} and ${b.length}`);
  const differences: number[] = [];
  for (let i = 0; i < a.length; i++) {
    const difference = a[i] - b[i];
    if (Number.isNaN(difference)) throw new RangeError(`pair ${i} gives NaN`);
    if (difference !== 0) differences.push(difference);
  }
  const { ranks } = midRanks(differences.map(Math.abs));
  let wPlus = 0;
  differences.forEach((d, i) => {
    if (d > 0) wPlus += ranks[i];
  });
  const n = differences.length;
  return { wPlus, wMinus: (n * (n + 1)) / 2 - wPlus, weights: Float64Array.from(ranks, (r) => 2 * r) };
}

/**
 * Levene's test as a permutation test: each sample's absolute deviations from its own mean (Levene
 * 1960; the median of Brown & Forsythe would put an exact zero in every odd-sized group), and the
 * difference of their means, whose null distribution is that over all C(n + m, n) splits of the
 * pooled deviations. `less`: the first sample varies less. Deviations from each sample's own mean
 * are exchangeable under equal spreads only approximately; permuting them is the usual practice.
 */
export function levenePermutationTest(a: ArrayLike<number>, b: ArrayLike<number>, options: PermutationOptions = {}): LeveneTest {
  const n = a.length;
  const m = b.length;
  if (n < 2 || m < 2) throw new RangeError('levenePermutationTest: each sample needs at least 2 values');
  const deviations = Float64Array.from([...absoluteDeviations(a), ...absoluteDeviations(b)]);
  let observed = 0;
  let scale = 0;
  deviations.forEach((z, i) => {
    if (i < n) observed += z;
    scale += z;
  });
  const statistic = observed / n - (scale - observed) / m;
  // For fixed group sizes the difference of means grows with the first group's sum, so splits are
  // compared by that sum; the same numbers added in another order may differ in the last bits.
  const tolerance = 1e-12 * scale;
  const designMinimum = twoSampleMinimumP(n, m);
  const splits = binomial(n + m, n);
  if (useExact(options, splits, ENUMERATION_LIMIT, 'levenePermutationTest')) {
    let atMost = 0;
    let atLeast = 0;
    const visit = (start: number, left: number, sum: number): void => {
      if (left === 0) {
        if (sum <= observed + tolerance) atMost++;
        if (sum >= observed - tolerance) atLeast++;
        return;
      }
      for (let i = start; i <= deviations.length - left; i++) visit(i + 1, left - 1, sum + deviations[i]);
    };
    visit(0, n, 0);
    return { statistic, less: atMost / splits, greater: atLeast / splits, method: 'exact', permutations: splits, minimumP: designMinimum };
  }
  return { statistic, ...monteCarloSplits(deviations, n, observed, tolerance, options, designMinimum) };
}

function absoluteDeviations(values: ArrayLike<number>): number[] {
  const list = Array.from(values);
  if (list.some(Number.isNaN)) throw new RangeError('a value is NaN');
  const centre = list.reduce((s, v) => s + v, 0) / list.length;
  return list.map((v) => Math.abs(v - centre));
}

function useExact(options: PermutationOptions, size: number, limit: number, name: string): boolean {
  const method = options.method ?? 'auto';
  if (method === 'exact' && size > limit) throw new RangeError(`${name}: the exact distribution is too large here (${size} > ${limit}); use method "auto" or "monte-carlo"`);
  return method === 'exact' || (method === 'auto' && size <= limit);
}

/** Random splits: the sum of the first n of a seeded partial shuffle of the pooled values, against the observed sum. */
function monteCarloSplits(values: Float64Array, n: number, observed: number, tolerance: number, options: PermutationOptions, designMinimum: number): PermutationPValues {
  const draws = options.permutations ?? MONTE_CARLO_PERMUTATIONS;
  const uniform = seededUniform(options.seed ?? PERMUTATION_SEED);
  const pool = Float64Array.from(values);
  let atMost = 0;
  let atLeast = 0;
  for (let draw = 0; draw < draws; draw++) {
    // A partial Fisher–Yates shuffle of any arrangement leaves a uniformly random subset in front.
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const j = i + Math.floor(uniform() * (pool.length - i));
      const swap = pool[i];
      pool[i] = pool[j];
      pool[j] = swap;
      sum += pool[i];
    }
    if (sum <= observed + tolerance) atMost++;
    if (sum >= observed - tolerance) atLeast++;
  }
  return monteCarloPValues(atMost, atLeast, draws, designMinimum);
}

/** p = (1 + #as extreme) / (1 + draws): the observed split counts as one of the draws, so p is never 0. */
function monteCarloPValues(atMost: number, atLeast: number, draws: number, designMinimum: number): PermutationPValues {
  return {
    less: (1 + atMost) / (1 + draws),
    greater: (1 + atLeast) / (1 + draws),
    method: 'monte-carlo',
    permutations: draws,
    minimumP: Math.max(designMinimum, 1 / (1 + draws)),
  };
}
