import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import { UserInputError } from '@mmfuse/core';
import { cliffsDelta, hedgesG, mannWhitneyU, mean, sampleStd, wilcoxonSignedRank } from './statistics';

/** One comparison behind a claim: two groups of per-trial values and the one-sided rank test. */
export interface ClaimTest {
  readonly what: string;
  readonly a: { label: string; mean: number; std: number; n: number };
  readonly b: { label: string; mean: number; std: number; n: number };
  /** Rank test and its one-sided p-value for the claimed direction. */
  readonly test: string;
  readonly p: number;
  /** Cliff's δ (a vs b) and Hedges' g: size and direction of the difference. */
  readonly cliffsDelta: number;
  readonly hedgesG: number;
  readonly holds: boolean;
}

export interface ClaimResult {
  readonly claim: string;
  readonly status: 'holds' | 'does not hold' | 'not testable';
  /** Why it could not be tested, when it could not. */
  readonly reason?: string;
  readonly tests: ClaimTest[];
}

interface SetupSummary {
  fusion: { type: string };
  final: { test: Record<string, { values: number[] }> };
}

interface LipschitzRow {
  setup: string;
  trial: number;
  epoch: number;
  subModel: string;
  estimator: string;
  value: number | null;
}

interface DetectionFile {
  setups: Record<string, { trials: Array<{ trial: number; results: Array<{ failure: string; auc: number }> }> }>;
}

function describe(label: string, values: readonly number[]) {
  return { label, mean: mean(values), std: values.length > 1 ? sampleStd(values) : 0, n: values.length };
}

/** a < b (`less`) or a > b (`greater`) over trials, by Mann–Whitney, with effect sizes. */
function compare(what: string, a: { label: string; values: number[] }, b: { label: string; values: number[] }, direction: 'less' | 'greater', alpha: number, paired = false): ClaimTest {
  const result = paired ? wilcoxonSignedRank(a.values, b.values, direction) : mannWhitneyU(a.values, b.values, direction, { method: 'auto' });
  const delta = cliffsDelta(a.values, b.values);
  const g = a.values.length > 1 && b.values.length > 1 ? hedgesG(a.values, b.values) : NaN;
  return {
    what,
    a: describe(a.label, a.values),
    b: describe(b.label, b.values),
    test: paired ? 'Wilcoxon signed-rank (paired by trial), one-sided' : 'Mann–Whitney U, one-sided',
    p: result.p,
    cliffsDelta: delta,
    hedgesG: g,
    holds: result.p < alpha && (direction === 'less' ? delta < 0 : delta > 0),
  };
}

function status(tests: ClaimTest[]): ClaimResult['status'] {
  return tests.every((t) => t.holds) ? 'holds' : 'does not hold';
}

/**
 * Tests the paper's ordering claims on a finished run folder, each with the rank test and effect
 * sizes behind it: attention has the lowest test loss and the lowest Lipschitz constants; encoders'
 * constants exceed decoders'; concatenation varies less across trials than summation; attention
 * separates faulty from clean latents best. A claim holds when every comparison in it is
 * significant at `alpha` in the claimed direction; one the run has no data for is "not testable".
 */
export function checkClaims(runDir: string, options: { alpha?: number; estimator?: string } = {}): ClaimResult[] {
  const alpha = options.alpha ?? 0.05;
  const estimator = options.estimator ?? 'jacobian-spectral';
  const summaryFile = join(runDir, 'summary.json');
  if (!existsSync(summaryFile)) throw new UserInputError(`${summaryFile}: missing; claims are checked on a finished run folder`);
  let summary: { setups: Record<string, SetupSummary> };
  try {
    summary = JSON.parse(readFileSync(summaryFile, 'utf8'));
  } catch (error) {
    throw new UserInputError(`${summaryFile}: not valid JSON (${(error as Error).message})`);
  }
  const setupsOf = (type: string) => Object.entries(summary.setups).filter(([, s]) => s.fusion?.type === type).map(([label]) => label);
  const attention = setupsOf('attention')[0];
  const others = Object.keys(summary.setups).filter((s) => s !== attention);
  const lossOf = (setup: string) => summary.setups[setup].final.test.total?.values ?? [];
  const results: ClaimResult[] = [];
  const untestable = (claim: string, reason: string) => results.push({ claim, status: 'not testable', reason, tests: [] });

  const lossClaim = 'attention has the lowest test loss';
  if (!attention || others.length === 0) untestable(lossClaim, 'the run needs an attention set-up and at least one other');
  else {
    const tests = others.map((o) => compare(`final test loss (total), ${attention} < ${o}`, { label: attention, values: lossOf(attention) }, { label: o, values: lossOf(o) }, 'less', alpha));
    results.push({ claim: lossClaim, status: status(tests), tests });
  }

  // Lipschitz estimates at each trial's last evaluation.
  const rows = readJsonLines<LipschitzRow>(join(runDir, 'lipschitz.jsonl')).filter((r) => r.estimator === estimator && typeof r.value === 'number');
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
  const lipschitzClaim = 'attention has the lowest Lipschitz constants (whole model and fusion)';
  if (rows.length === 0) untestable(lipschitzClaim, `no ${estimator} rows in lipschitz.jsonl (add the "lipschitz" callback)`);
  else if (!attention || others.length === 0) untestable(lipschitzClaim, 'the run needs an attention set-up and at least one other');
  else {
    const tests = others.flatMap((o) =>
      ['model', 'fusion'].map((sub) =>
        compare(`final ${estimator} of ${sub}, ${attention} < ${o}`, { label: attention, values: finalValues(attention, (n) => n === sub).map((v) => v.value) }, { label: o, values: finalValues(o, (n) => n === sub).map((v) => v.value) }, 'less', alpha),
      ),
    ).filter((t) => t.a.n > 0 && t.b.n > 0);
    if (tests.length === 0) untestable(lipschitzClaim, 'no estimates of the whole model or the fusion');
    else results.push({ claim: lipschitzClaim, status: status(tests), tests });
  }

  const encoderClaim = 'encoders have larger Lipschitz constants than decoders';
  if (rows.length === 0) untestable(encoderClaim, `no ${estimator} rows in lipschitz.jsonl (add the "lipschitz" callback)`);
  else {
    const tests = Object.keys(summary.setups).map((setup) => {
      const encoders = finalValues(setup, (n) => n.startsWith('encoder:'));
      const decoders = finalValues(setup, (n) => n.startsWith('decoder:'));
      const trials = encoders.filter((e) => decoders.some((d) => d.trial === e.trial)).map((e) => e.trial);
      const pick = (list: typeof encoders) => trials.map((t) => list.find((v) => v.trial === t)!.value);
      return compare(`${setup}: mean encoder vs mean decoder ${estimator}`, { label: `${setup} encoders`, values: pick(encoders) }, { label: `${setup} decoders`, values: pick(decoders) }, 'greater', alpha, true);
    }).filter((t) => t.a.n > 0);
    if (tests.length === 0) untestable(encoderClaim, 'no encoder and decoder estimates of the same trials');
    else results.push({ claim: encoderClaim, status: status(tests), tests });
  }

  const spreadClaim = 'concatenation varies less across trials than summation';
  const concat = setupsOf('concat')[0];
  const sum = setupsOf('sum')[0];
  if (!concat || !sum) untestable(spreadClaim, 'the run needs a concat and a sum set-up');
  else if (lossOf(concat).length < 3 || lossOf(sum).length < 3) untestable(spreadClaim, 'spread needs at least 3 trials per set-up');
  else {
    // Levene's idea with a rank test: compare absolute deviations from each group's mean (the median
    // would put an exact zero in every odd-sized group, a tie that costs the small samples their power).
    const deviations = (values: number[]) => {
      const centre = mean(values);
      return values.map((v) => Math.abs(v - centre));
    };
    const test = compare(`|final test loss − mean| (Levene), ${concat} < ${sum}`, { label: concat, values: deviations(lossOf(concat)) }, { label: sum, values: deviations(lossOf(sum)) }, 'less', alpha);
    results.push({ claim: spreadClaim, status: status([test]), tests: [test] });
  }

  const detectionClaim = 'attention separates faulty from clean latents best (ROC-AUC)';
  const detectionFile = join(runDir, 'analysis', 'failure-detection.json');
  if (!existsSync(detectionFile)) untestable(detectionClaim, 'no analysis/failure-detection.json (add the "failure-detection" callback)');
  else if (!attention || others.length === 0) untestable(detectionClaim, 'the run needs an attention set-up and at least one other');
  else {
    const detection = JSON.parse(readFileSync(detectionFile, 'utf8')) as DetectionFile;
    const aucs = (setup: string) => (detection.setups[setup]?.trials ?? []).map((t) => mean(t.results.map((r) => r.auc)));
    const tests = others.map((o) => compare(`mean ROC-AUC over failures, ${attention} > ${o}`, { label: attention, values: aucs(attention) }, { label: o, values: aucs(o) }, 'greater', alpha)).filter((t) => t.a.n > 0 && t.b.n > 0);
    if (tests.length === 0) untestable(detectionClaim, 'no detection results per trial');
    else results.push({ claim: detectionClaim, status: status(tests), tests });
  }
  return results;
}

function readJsonLines<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as T];
      } catch {
        // A torn last line of an interrupted run is skipped, like the report does.
        return [];
      }
    });
}

/** The claims as text: a verdict per claim and one line per comparison. */
export function formatClaims(results: readonly ClaimResult[], alpha = 0.05): string {
  const lines: string[] = [];
  const number = (v: number) => (Number.isFinite(v) ? (Math.abs(v) >= 0.01 && Math.abs(v) < 1000 ? v.toFixed(3) : v.toPrecision(3)) : 'n/a');
  for (const r of results) {
    lines.push(`${r.status.toUpperCase().padEnd(13)} ${r.claim}${r.reason ? ` — ${r.reason}` : ''}`);
    for (const t of r.tests) {
      lines.push(
        `    ${t.holds ? '✓' : '✗'} ${t.what}: ${t.a.label} ${number(t.a.mean)} ± ${number(t.a.std)} (n=${t.a.n}) vs ${t.b.label} ${number(t.b.mean)} ± ${number(t.b.std)} (n=${t.b.n}); ${t.test} p = ${number(t.p)}, Cliff's δ = ${number(t.cliffsDelta)}, Hedges' g = ${number(t.hedgesG)}`,
      );
    }
  }
  lines.push(`A claim holds when every comparison in it is significant at α = ${alpha} in the claimed direction.`);
  return lines.join('\n');
}
