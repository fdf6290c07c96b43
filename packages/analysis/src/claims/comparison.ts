// The statistics behind a claim: one comparison (a one-sided permutation test with effect sizes and
// their bootstrap intervals) and a claim's verdict from its comparisons.
import { bootstrapPairs, bootstrapTwoSamples } from '../bootstrap';
import { seedFromText } from '../deterministic-random';
import {
  binomial,
  levenePermutationTest,
  PermutationMethod,
  PermutationPValues,
  rankSumTest,
  signedRankTest,
  smallestPairedSize,
  smallestTwoSampleSize,
} from '../permutation-tests';
import { cliffsDelta, mean, pairedRankBiserial, sampleStd, standardDeviationRatio } from '../statistics';

/**
 * A claim's verdict: `holds` when its comparisons are significant in the claimed direction,
 * `contradicted` when one is significant the other way (the same test, one-sided the other way),
 * `inconclusive` otherwise — including when the run lacks the data or its design cannot reach α.
 */
export type Verdict = 'holds' | 'contradicted' | 'inconclusive';

/** Which test a comparison uses: two independent groups of trials, paired trials, or spreads. */
export type ComparisonTest = 'rank-sum' | 'signed-rank' | 'levene';

export interface GroupSummary {
  readonly label: string;
  readonly mean: number;
  /** Sample standard deviation (n − 1); 0 for a single value. */
  readonly std: number;
  readonly n: number;
  readonly values: number[];
}

/** An effect size and its seeded percentile bootstrap interval. */
export interface EffectEstimate {
  readonly name: string;
  /** Short name for tables. */
  readonly symbol: string;
  readonly estimate: number;
  readonly lower: number;
  readonly upper: number;
}

/** One comparison behind a claim: two groups of per-trial values, the one-sided test and effect sizes. */
export interface ClaimComparison {
  readonly what: string;
  readonly a: GroupSummary;
  readonly b: GroupSummary;
  /** The claimed direction: a below b (`less`) or above (`greater`). */
  readonly direction: 'less' | 'greater';
  readonly test: ComparisonTest;
  readonly testName: string;
  readonly method: PermutationMethod;
  /** One-sided p-value in the claimed direction. */
  readonly p: number;
  /** The same test, one-sided in the opposite direction. */
  readonly pOpposite: number;
  /** Smallest p-value these sample sizes allow. */
  readonly minimumP: number;
  /** Effect sizes of a against b, the first being the headline one, with 95 % bootstrap intervals. */
  readonly effects: EffectEstimate[];
  readonly verdict: Verdict;
  readonly reason: string;
}

export interface ClaimResult {
  readonly id: string;
  readonly statement: string;
  readonly verdict: Verdict;
  readonly reason: string;
  readonly comparisons: ClaimComparison[];
}

export interface ClaimsReport {
  readonly alpha: number;
  readonly estimator: string;
  /** The set-up treated as attention, or null when the run has none. */
  readonly attention: string | null;
  /** Bootstrap resamples behind each effect's interval. */
  readonly resamples: number;
  /** Non-inferiority margin relative to concatenation's mean test loss. */
  readonly margin?: number;
  readonly results: ClaimResult[];
}

export interface ClaimsOptions {
  /** Significance level of each one-sided test (default 0.05). */
  alpha?: number;
  /** Lipschitz estimator compared (default `jacobian-spectral`). */
  estimator?: string;
  /** Label of the set-up the attention claims are about (default: the set-up labelled, or else the only one of fusion type, "attention"). */
  attention?: string;
  /** Bootstrap resamples per effect size (default BOOTSTRAP_RESAMPLES). */
  resamples?: number;
  /** Non-inferiority margin, relative to concatenation's mean clean test loss (default 0.05). */
  margin?: number;
}

/** Per-trial values of one set-up (or one part of it). */
export interface Group {
  label: string;
  values: number[];
}

const TEST_NAMES: Record<ComparisonTest, string> = {
  'rank-sum': 'Wilcoxon–Mann–Whitney rank-sum permutation test, one-sided',
  'signed-rank': 'Wilcoxon signed-rank permutation test (paired by trial), one-sided',
  levene: 'Levene permutation test (|value − set-up mean|), one-sided',
};

function summarise(group: Group): GroupSummary {
  const { label, values } = group;
  return { label, mean: mean(values), std: values.length > 1 ? sampleStd(values) : 0, n: values.length, values };
}

/** Context shared by a claim's comparisons. */
export interface ClaimContext {
  id: string;
  alpha: number;
  resamples: number;
}

export function compare(claim: ClaimContext, what: string, a: Group, b: Group, direction: 'less' | 'greater', test: ComparisonTest): ClaimComparison {
  const result: PermutationPValues & { n?: number } =
    test === 'signed-rank' ? signedRankTest(a.values, b.values) : test === 'levene' ? levenePermutationTest(a.values, b.values) : rankSumTest(a.values, b.values);
  const p = direction === 'less' ? result.less : result.greater;
  const pOpposite = direction === 'less' ? result.greater : result.less;
  // Each comparison draws its own resamples, reproducibly: the seed comes from the claim and the comparison.
  const bootstrap = { resamples: claim.resamples, seed: seedFromText(`${claim.id}: ${what}`) };
  const effects = effectsOf(test, a.values, b.values, bootstrap);
  const design: Design = test === 'signed-rank' ? { kind: 'paired', pairs: a.values.length, differing: result.n ?? 0 } : { kind: test, n: a.values.length, m: b.values.length };
  const { verdict, reason } = judge(p, pOpposite, claim.alpha, result, design);
  return { what, a: summarise(a), b: summarise(b), direction, test, testName: TEST_NAMES[test], method: result.method, p, pOpposite, minimumP: result.minimumP, effects, verdict, reason };
}

type Statistic = (a: Float64Array, b: Float64Array) => number;

function effectsOf(test: ComparisonTest, a: number[], b: number[], options: { resamples: number; seed: number }): EffectEstimate[] {
  const meanDifference: Statistic = (x, y) => mean(x) - mean(y);
  const interval = (name: string, symbol: string, statistic: Statistic): EffectEstimate => {
    const ci = test === 'signed-rank' ? bootstrapPairs(a, b, statistic, options) : bootstrapTwoSamples(a, b, statistic, options);
    return { name, symbol, estimate: ci.estimate, lower: ci.lower, upper: ci.upper };
  };
  if (test === 'signed-rank') {
    return [interval('matched-pairs rank-biserial r', 'r', pairedRankBiserial), interval('mean of paired differences', 'Δmean', meanDifference)];
  }
  if (test === 'levene') {
    return [interval('ratio of standard deviations', 'SD ratio', standardDeviationRatio), interval('difference of standard deviations', 'ΔSD', (x, y) => sampleStd(x) - sampleStd(y))];
  }
  return [interval("Cliff's δ", 'δ', cliffsDelta), interval('difference of means', 'Δmean', meanDifference)];
}

type Design = { kind: 'rank-sum' | 'levene'; n: number; m: number } | { kind: 'paired'; pairs: number; differing: number };

/** Verdict of one comparison, and why. */
function judge(p: number, pOpposite: number, alpha: number, test: PermutationPValues, design: Design): { verdict: Verdict; reason: string } {
  if (p < alpha) return { verdict: 'holds', reason: `p = ${formatP(p)} < α = ${alpha}` };
  if (pOpposite < alpha) return { verdict: 'contradicted', reason: `significant the other way: p = ${formatP(pOpposite)} < α = ${alpha}` };
  if (test.minimumP >= alpha) return { verdict: 'inconclusive', reason: unreachable(design, alpha, test) };
  return { verdict: 'inconclusive', reason: `p = ${formatP(p)} ≥ α = ${alpha} (the other way p = ${formatP(pOpposite)})` };
}

/** Why no outcome of this design can reach α, computed from its sample sizes. */
function unreachable(design: Design, alpha: number, test: PermutationPValues): string {
  if (test.method === 'monte-carlo') return `${test.permutations} Monte-Carlo permutations cannot reach α = ${alpha} (smallest attainable p = ${formatValue(test.minimumP)})`;
  if (design.kind === 'paired') {
    const trials = design.differing === design.pairs ? `${design.pairs} paired trials` : `${design.differing} of ${design.pairs} paired trials differ, and ${design.differing}`;
    return `${trials} cannot reach α = ${alpha} with a one-sided signed-rank test (smallest attainable p = 1/2^${design.differing} = ${formatValue(test.minimumP)}); use ≥ ${smallestPairedSize(alpha)} paired trials`;
  }
  const trials = design.n === design.m ? `${design.n} trials per set-up` : `${design.n} and ${design.m} trials`;
  const kind = design.kind === 'levene' ? 'permutation test' : 'rank test';
  return `${trials} cannot reach α = ${alpha} with a one-sided ${kind} (smallest attainable p = 1/${binomial(design.n + design.m, design.n)} = ${formatValue(test.minimumP)}); use ≥ ${smallestTwoSampleSize(alpha)} per set-up`;
}

/** A claim's verdict from its comparisons: any contradiction contradicts it, it holds when all hold. */
export function claimResult(id: string, statement: string, comparisons: ClaimComparison[], alpha: number): ClaimResult {
  const contradicted = comparisons.filter((c) => c.verdict === 'contradicted');
  const open = comparisons.filter((c) => c.verdict === 'inconclusive');
  const held = comparisons.length - contradicted.length - open.length;
  const base = { id, statement, comparisons };
  if (contradicted.length > 0) {
    return { ...base, verdict: 'contradicted', reason: `${contradicted.length} of ${comparisons.length} comparisons significant the other way: ${contradicted.map((c) => c.what).join('; ')}` };
  }
  if (open.length === 0) {
    const which = comparisons.length === 1 ? 'the comparison is' : `all ${comparisons.length} comparisons are`;
    return { ...base, verdict: 'holds', reason: `${which} significant at α = ${alpha} in the claimed direction` };
  }
  const reasons = [...new Set(open.map((c) => c.reason))];
  // One shared reason (typically the design's) says it all; otherwise name the comparisons.
  const why =
    reasons.length === 1 && open.every((c) => c.minimumP >= alpha)
      ? reasons[0]
      : open.length === 1
        ? `${open[0].what}: ${open[0].reason}`
        : `not significant: ${open.map((c) => c.what).join('; ')}`;
  return { ...base, verdict: 'inconclusive', reason: `${held} of ${comparisons.length} comparisons hold; ${why}` };
}

export function untested(id: string, statement: string, reason: string): ClaimResult {
  return { id, statement, verdict: 'inconclusive', reason, comparisons: [] };
}

/** Two significant digits; exponent notation below 0.001. */
export function formatP(p: number): string {
  return p < 0.001 ? p.toExponential(1) : String(Number(p.toPrecision(2)));
}

export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'n/a' : v > 0 ? '∞' : '−∞';
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : String(Number(v.toPrecision(3)));
}
