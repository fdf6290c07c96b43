import { existsSync } from 'fs';
import { join } from 'path';
import { readJsonFile, readJsonLines as readJsonLinesOf, UserInputError } from '@mmfuse/core';
import { analysisName, ANALYSIS_FILES, EpochRow, readRunSummary, RUN_FILES } from '@mmfuse/runs';
import { BOOTSTRAP_RESAMPLES, bootstrapPairs, bootstrapTwoSamples } from './bootstrap';
import { seedFromText } from './deterministic-random';
import {
  binomial,
  levenePermutationTest,
  PermutationMethod,
  PermutationPValues,
  rankSumTest,
  signedRankTest,
  smallestPairedSize,
  smallestTwoSampleSize,
} from './permutation-tests';
import { cliffsDelta, mean, pairedRankBiserial, sampleStd, standardDeviationRatio } from './statistics';

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

interface LipschitzRow {
  setup: string;
  trial: number;
  epoch: number;
  subModel: string;
  estimator: string;
  value: number | null;
}

/** A metrics.jsonl row as far as convergence is concerned (a damaged row may lack its losses). */
type MetricsRow = Pick<EpochRow, 'setup' | 'trial' | 'epoch'> & { test?: Partial<EpochRow['test']> };

interface RobustnessFile {
  setups: Record<string, { trials: Array<{ trial: number; curves: Array<{ perturbed: string; mode: string; severity: number; loss: Record<string, number> }> }> }>;
}

interface DetectionFile {
  setups: Record<string, { trials: Array<{ trial: number; results: Array<{ failure: string; auc: number }> }> }>;
}

interface Group {
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
interface ClaimContext {
  id: string;
  alpha: number;
  resamples: number;
}

function compare(claim: ClaimContext, what: string, a: Group, b: Group, direction: 'less' | 'greater', test: ComparisonTest): ClaimComparison {
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
function claimResult(id: string, statement: string, comparisons: ClaimComparison[], alpha: number): ClaimResult {
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

function untested(id: string, statement: string, reason: string): ClaimResult {
  return { id, statement, verdict: 'inconclusive', reason, comparisons: [] };
}

/**
 * Tests the paper's ordering claims on a finished run folder, each with the permutation test and
 * effect sizes behind it: attention has the lowest test loss and the lowest Lipschitz constants;
 * encoders' constants exceed decoders'; concatenation varies less across trials than summation;
 * attention separates faulty from clean latents best. "Attention" is one set-up (options.attention),
 * compared against every set-up of another fusion type (variants of the same fusion are left out).
 */
export function checkClaims(runDir: string, options: ClaimsOptions = {}): ClaimsReport {
  const alpha = options.alpha ?? 0.05;
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`checkClaims: alpha must be between 0 and 1, got ${alpha}`);
  const estimator = options.estimator ?? 'jacobian-spectral';
  const resamples = options.resamples ?? BOOTSTRAP_RESAMPLES;
  const summary = readRunSummary(runDir, 'claims are checked on a finished run folder');
  if (!summary) throw new UserInputError(`${join(runDir, RUN_FILES.summary)}: missing; claims are checked on a finished run folder`);
  const setups = summary.setups;
  const labels = Object.keys(setups);
  const typeOf = (setup: string) => setups[setup].fusion?.type;
  /** The set-up labelled `name`, else the only one whose fusion is of type `name`. */
  const find = (name: string) => {
    if (name in setups) return name;
    const ofType = labels.filter((s) => typeOf(s) === name);
    return ofType.length === 1 ? ofType[0] : undefined;
  };
  if (options.attention !== undefined && !(options.attention in setups)) {
    throw new UserInputError(`attention set-up "${options.attention}": not in this run; expected one of ${labels.join(', ')}`);
  }
  const attention = options.attention ?? find('attention');
  const others = attention ? labels.filter((s) => s !== attention && (typeOf(s) === undefined || typeOf(s) !== typeOf(attention))) : [];
  const attentionProblem = !attention
    ? `no set-up labelled "attention" among ${labels.join(', ')} (choose one with --attention <label>)`
    : others.length === 0
      ? `no set-up of another fusion type to compare "${attention}" with`
      : undefined;
  const name = attention && attention !== 'attention' ? `attention ("${attention}")` : 'attention';
  const lossOf = (setup: string) => setups[setup].final?.test?.total?.values ?? [];
  const context = (id: string): ClaimContext => ({ id, alpha, resamples });
  const bothHaveValues = ([a, b]: [Group, Group]) => a.values.length > 0 && b.values.length > 0;
  const results: ClaimResult[] = [];

  const lossStatement = `${name} has the lowest test loss`;
  if (attentionProblem) results.push(untested('lowest-loss', lossStatement, attentionProblem));
  else {
    const pairs = others.map((o): [Group, Group] => [{ label: attention!, values: lossOf(attention!) }, { label: o, values: lossOf(o) }]).filter(bothHaveValues);
    const comparisons = pairs.map(([a, b]) => compare(context('lowest-loss'), `final test loss (total), ${a.label} < ${b.label}`, a, b, 'less', 'rank-sum'));
    results.push(comparisons.length > 0 ? claimResult('lowest-loss', lossStatement, comparisons, alpha) : untested('lowest-loss', lossStatement, 'summary.json lists no per-trial final test losses ("values")'));
  }

  // Lipschitz estimates at each trial's last evaluation.
  const rows = readJsonLines<LipschitzRow>(join(runDir, RUN_FILES.lipschitz)).filter((r) => r.estimator === estimator && typeof r.value === 'number');
  const last = new Map<string, LipschitzRow>();
  for (const r of rows) {
    const key = `${r.setup}\u0000${r.trial}\u0000${r.subModel}`;
    const seen = last.get(key);
    if (!seen || seen.epoch <= r.epoch) last.set(key, r);
  }
  const finalValues = (setup: string, subModel: (name: string) => boolean) => {
    const byTrial = new Map<number, number[]>();
    for (const r of last.values()) if (r.setup === setup && subModel(r.subModel)) byTrial.set(r.trial, [...(byTrial.get(r.trial) ?? []), r.value as number]);
    return [...byTrial.entries()].sort((x, y) => x[0] - y[0]).map(([trial, values]) => ({ trial, value: mean(values) }));
  };
  const noLipschitz = `no ${estimator} rows in lipschitz.jsonl (add the "lipschitz" callback)`;

  const lipschitzStatement = `${name} has the lowest Lipschitz constants (whole model and fusion)`;
  if (rows.length === 0) results.push(untested('lowest-lipschitz', lipschitzStatement, noLipschitz));
  else if (attentionProblem) results.push(untested('lowest-lipschitz', lipschitzStatement, attentionProblem));
  else {
    const of = (setup: string, sub: string): Group => ({ label: setup, values: finalValues(setup, (n) => n === sub).map((v) => v.value) });
    const comparisons = others.flatMap((o) =>
      ['model', 'fusion']
        .map((sub) => [sub, of(attention!, sub), of(o, sub)] as const)
        .filter(([, a, b]) => bothHaveValues([a, b]))
        .map(([sub, a, b]) => compare(context('lowest-lipschitz'), `final ${estimator} of ${sub}, ${a.label} < ${b.label}`, a, b, 'less', 'rank-sum')),
    );
    results.push(comparisons.length > 0 ? claimResult('lowest-lipschitz', lipschitzStatement, comparisons, alpha) : untested('lowest-lipschitz', lipschitzStatement, 'no estimates of the whole model or the fusion'));
  }

  const encoderStatement = 'encoders have larger Lipschitz constants than decoders';
  if (rows.length === 0) results.push(untested('encoders-above-decoders', encoderStatement, noLipschitz));
  else {
    const comparisons = labels.flatMap((setup) => {
      const encoders = finalValues(setup, (n) => n.startsWith('encoder:'));
      const decoders = finalValues(setup, (n) => n.startsWith('decoder:'));
      const trials = encoders.filter((e) => decoders.some((d) => d.trial === e.trial)).map((e) => e.trial);
      if (trials.length === 0) return [];
      const pick = (list: typeof encoders) => trials.map((t) => list.find((v) => v.trial === t)!.value);
      const what = `${setup}: mean encoder vs mean decoder ${estimator}`;
      return [compare(context('encoders-above-decoders'), what, { label: `${setup} encoders`, values: pick(encoders) }, { label: `${setup} decoders`, values: pick(decoders) }, 'greater', 'signed-rank')];
    });
    results.push(comparisons.length > 0 ? claimResult('encoders-above-decoders', encoderStatement, comparisons, alpha) : untested('encoders-above-decoders', encoderStatement, 'no encoder and decoder estimates of the same trials'));
  }

  const spreadStatement = 'concatenation varies less across trials than summation';
  const concat = find('concat');
  const sum = find('sum');
  if (!concat || !sum) results.push(untested('concat-steadier', spreadStatement, `the run needs a set-up labelled (or the only one of fusion type) "concat" and one "sum"; it has ${labels.join(', ')}`));
  else if (lossOf(concat).length < 2 || lossOf(sum).length < 2) results.push(untested('concat-steadier', spreadStatement, 'a spread needs at least 2 trials per set-up'));
  else {
    const comparison = compare(context('concat-steadier'), `spread of final test loss (total), ${concat} < ${sum}`, { label: concat, values: lossOf(concat) }, { label: sum, values: lossOf(sum) }, 'less', 'levene');
    results.push(claimResult('concat-steadier', spreadStatement, [comparison], alpha));
  }

  const detectionStatement = `${name} separates faulty from clean latents best (ROC-AUC)`;
  const detectionFile = join(runDir, analysisName(ANALYSIS_FILES.failureDetection));
  if (!existsSync(detectionFile)) results.push(untested('best-detection', detectionStatement, 'no analysis/failure-detection.json (add the "failure-detection" callback)'));
  else if (attentionProblem) results.push(untested('best-detection', detectionStatement, attentionProblem));
  else {
    const detection = readJsonFile<DetectionFile>(detectionFile, 'it is written by the "failure-detection" callback');
    const aucs = (setup: string): Group => ({ label: setup, values: (detection.setups[setup]?.trials ?? []).map((t) => mean(t.results.map((r) => r.auc))) });
    const comparisons = others
      .map((o): [Group, Group] => [aucs(attention!), aucs(o)])
      .filter(bothHaveValues)
      .map(([a, b]) => compare(context('best-detection'), `mean ROC-AUC over failures, ${a.label} > ${b.label}`, a, b, 'greater', 'rank-sum'));
    results.push(comparisons.length > 0 ? claimResult('best-detection', detectionStatement, comparisons, alpha) : untested('best-detection', detectionStatement, 'no detection results per trial'));
  }
  const margin = options.margin ?? 0.05;
  const nonInferiorStatement = `${name}'s clean test loss is no worse than concatenation's by more than ${formatValue(100 * margin)} % of concatenation's mean`;
  if (attentionProblem) results.push(untested('non-inferior-to-concat', nonInferiorStatement, attentionProblem));
  else if (!concat || concat === attention) results.push(untested('non-inferior-to-concat', nonInferiorStatement, `the run needs a set-up labelled (or the only one of fusion type) "concat"; it has ${labels.join(', ')}`));
  else if (lossOf(attention!).length === 0 || lossOf(concat).length === 0) results.push(untested('non-inferior-to-concat', nonInferiorStatement, 'summary.json lists no per-trial final test losses ("values")'));
  else {
    // H1: attention < concat + Δ, i.e. (attention − Δ) < concat, with Δ = margin × concat's mean.
    const delta = margin * mean(lossOf(concat));
    const shifted = { label: `${attention} − ${formatValue(delta)}`, values: lossOf(attention!).map((v) => v - delta) };
    const comparison = compare(context('non-inferior-to-concat'), `final test loss (total), ${attention} < ${concat} + ${formatValue(delta)}`, shifted, { label: concat, values: lossOf(concat) }, 'less', 'rank-sum');
    results.push(claimResult('non-inferior-to-concat', nonInferiorStatement, [comparison], alpha));
  }

  const robustStatement = `${name} loses less than concatenation when one modality is missing or corrupted at test time`;
  const robustnessFile = join(runDir, analysisName(ANALYSIS_FILES.robustness));
  if (!existsSync(robustnessFile)) results.push(untested('robust-to-modality-loss', robustStatement, 'no analysis/robustness.json (add the "robustness" callback)'));
  else if (attentionProblem) results.push(untested('robust-to-modality-loss', robustStatement, attentionProblem));
  else if (!concat || concat === attention) results.push(untested('robust-to-modality-loss', robustStatement, `the run needs a set-up labelled (or the only one of fusion type) "concat"; it has ${labels.join(', ')}`));
  else {
    const robustness = readJsonFile<RobustnessFile>(robustnessFile, 'it is written by the "robustness" callback');
    // one comparison per lost modality: dropped to zeros, and its failure at the largest severity
    const losses = (setup: string, pick: (c: RobustnessFile['setups'][string]['trials'][number]['curves'][number]) => boolean) =>
      (robustness.setups[setup]?.trials ?? []).map((t) => t.curves.find(pick)?.loss.total).filter((v): v is number => typeof v === 'number');
    const conditions = new Map<string, (c: { perturbed: string; mode: string; severity: number }) => boolean>();
    for (const t of robustness.setups[concat]?.trials ?? []) {
      const worst = new Map<string, number>();
      for (const c of t.curves) if (c.perturbed !== 'none' && !c.mode.startsWith('drop-')) worst.set(`${c.perturbed}\u0000${c.mode}`, Math.max(worst.get(`${c.perturbed}\u0000${c.mode}`) ?? 0, c.severity));
      for (const c of t.curves) {
        if (c.perturbed === 'none') continue;
        if (c.mode === 'drop-zeros') conditions.set(`${c.perturbed} dropped (zeros)`, (x) => x.perturbed === c.perturbed && x.mode === 'drop-zeros');
        else if (!c.mode.startsWith('drop-') && c.severity === worst.get(`${c.perturbed}\u0000${c.mode}`)) {
          conditions.set(`${c.perturbed} with ${c.mode} at severity ${c.severity}`, (x) => x.perturbed === c.perturbed && x.mode === c.mode && x.severity === c.severity);
        }
      }
    }
    const comparisons = [...conditions.entries()]
      .map(([what, pick]): [string, Group, Group] => [what, { label: attention!, values: losses(attention!, pick) }, { label: concat, values: losses(concat, pick) }])
      .filter(([, a, b]) => bothHaveValues([a, b]))
      .map(([what, a, b]) => compare(context('robust-to-modality-loss'), `test loss (total), ${what}, ${a.label} < ${b.label}`, a, b, 'less', 'rank-sum'));
    results.push(comparisons.length > 0 ? claimResult('robust-to-modality-loss', robustStatement, comparisons, alpha) : untested('robust-to-modality-loss', robustStatement, 'no robustness curves per trial'));
  }
  const fastStatement = `${name} converges fastest (fewest epochs until the test loss first reaches a level both set-ups attain)`;
  const metrics = readJsonLines<MetricsRow>(join(runDir, RUN_FILES.metrics)).filter((r) => typeof r.test?.total === 'number');
  if (attentionProblem) results.push(untested('fastest-convergence', fastStatement, attentionProblem));
  else if (metrics.length === 0) results.push(untested('fastest-convergence', fastStatement, 'no per-epoch test losses in metrics.jsonl'));
  else {
    const lastEpoch = Math.max(...metrics.map((r) => r.epoch));
    const curves = new Map<string, Map<number, Array<[number, number]>>>();
    for (const r of metrics) {
      const bySetup = curves.get(r.setup) ?? new Map<number, Array<[number, number]>>();
      bySetup.set(r.trial, [...(bySetup.get(r.trial) ?? []), [r.epoch, r.test!.total!]]);
      curves.set(r.setup, bySetup);
    }
    // Per trial, the first epoch whose test loss is at or below `level`; a trial that never gets there counts as one epoch past the last.
    const epochsTo = (setup: string, level: number): Group => ({
      label: setup,
      values: [...(curves.get(setup)?.values() ?? [])].map((curve) => curve.sort((x, y) => x[0] - y[0]).find(([, loss]) => loss <= level)?.[0] ?? lastEpoch + 1),
    });
    const comparisons = others
      .filter((o) => lossOf(attention!).length > 0 && lossOf(o).length > 0)
      .map((o) => {
        // A level both reach: 5 % above the worse of the two final mean losses.
        const level = 1.05 * Math.max(mean(lossOf(attention!)), mean(lossOf(o)));
        return [o, level, epochsTo(attention!, level), epochsTo(o, level)] as const;
      })
      .filter(([, , a, b]) => bothHaveValues([a, b]))
      .map(([o, level, a, b]) => compare(context('fastest-convergence'), `epochs until the test loss (total) ≤ ${formatValue(level)} (105 % of the worse final mean), ${attention} < ${o}`, a, b, 'less', 'rank-sum'));
    results.push(comparisons.length > 0 ? claimResult('fastest-convergence', fastStatement, comparisons, alpha) : untested('fastest-convergence', fastStatement, 'no set-up with both final losses and per-epoch test losses to compare'));
  }
  return { alpha, estimator, attention: attention ?? null, resamples, margin, results };
}

/** The rows of a JSON-lines file; a torn last line of an interrupted run is skipped, as the report does. */
function readJsonLines<T>(file: string): T[] {
  return readJsonLinesOf<T>(file).rows.map((r) => r.row);
}

/** Two significant digits; exponent notation below 0.001. */
function formatP(p: number): string {
  return p < 0.001 ? p.toExponential(1) : String(Number(p.toPrecision(2)));
}

function formatValue(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'n/a' : v > 0 ? '∞' : '−∞';
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : String(Number(v.toPrecision(3)));
}

/** "attention 0.919 ± 0.019 (n=5)". */
export function formatGroup(group: GroupSummary): string {
  return `${group.label} ${formatValue(group.mean)} ± ${formatValue(group.std)} (n=${group.n})`;
}

/** "δ = -1 [-1, -0.6]; Δmean = …". */
export function formatEffects(effects: readonly EffectEstimate[]): string {
  return effects.map((e) => `${e.symbol} = ${formatValue(e.estimate)} [${formatValue(e.lower)}, ${formatValue(e.upper)}]`).join('; ');
}

/** The claims as the rows of one table: a row per claim, then one per comparison behind it. */
export function claimsTable(report: ClaimsReport): { head: string[]; rows: string[][] } {
  const head = ['claim', 'statement / comparison', 'figure per set-up (mean ± std)', 'p', 'effect [95 % CI]', 'verdict', 'reason'];
  const rows: string[][] = [];
  for (const r of report.results) {
    rows.push([r.id, r.statement, '', '', '', r.verdict, r.reason]);
    for (const c of r.comparisons) rows.push(['', `  ${c.what}`, `${formatGroup(c.a)}; ${formatGroup(c.b)}`, formatP(c.p), formatEffects(c.effects), c.verdict, c.reason]);
  }
  return { head, rows };
}

/** The claims as text: the table, then how p-values and intervals were found. */
export function formatClaims(report: ClaimsReport): string {
  const { head, rows } = claimsTable(report);
  const all = [head, ...rows];
  // Every column but the last (the reason) is padded to its widest cell.
  const widths = head.map((_, column) => Math.max(...all.map((row) => [...row[column]].length)));
  const lines = all.map((row) => row.map((cell, column) => (column < row.length - 1 ? cell + ' '.repeat(widths[column] - [...cell].length) : cell)).join('  ').trimEnd());
  lines.splice(1, 0, widths.map((w, column) => '─'.repeat(column < widths.length - 1 ? w : Math.min(w, 40))).join('  '));
  lines.push(
    '',
    `A claim holds when every comparison in it is significant at α = ${report.alpha} in the claimed direction, and is contradicted when one is significant the other way.`,
    'p: one-sided, from the permutation distribution over all splits of the trials (all sign flips for paired trials), mid-ranks for ties; seeded Monte Carlo only beyond the exact size limit.',
    `Effects: a against b, with seeded 95 % percentile bootstrap intervals (${report.resamples} resamples; each set-up resampled on its own, pairs together).`,
  );
  return lines.join('\n');
}
