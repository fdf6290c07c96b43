// One function per claim of the paper, each testing it on a run's evidence and returning a result
// (untested, with why, when the run lacks what it needs).
import { ANALYSIS_FILES } from '@mmfuse/runs';
import { mean } from '../statistics';
import { ClaimResult, claimResult, compare, formatValue, Group, untested } from './comparison';
import { bothHaveValues, RobustnessFile, RunEvidence } from './run-evidence';

const NO_VALUES = 'summary.json lists no per-trial final test losses ("values")';
const needsConcat = (e: RunEvidence) => `the run needs a set-up labelled (or the only one of fusion type) "concat"; it has ${e.labels.join(', ')}`;
const noLipschitz = (e: RunEvidence) => `no ${e.estimator} rows in lipschitz.jsonl (add the "lipschitz" callback)`;

export function lowestLoss(e: RunEvidence): ClaimResult {
  const statement = `${e.name} has the lowest test loss`;
  if (e.attentionProblem) return untested('lowest-loss', statement, e.attentionProblem);
  const attention = e.attention!;
  const pairs = e.others.map((o): [Group, Group] => [{ label: attention, values: e.lossOf(attention) }, { label: o, values: e.lossOf(o) }]).filter(bothHaveValues);
  const comparisons = pairs.map(([a, b]) => compare(e.context('lowest-loss'), `final test loss (total), ${a.label} < ${b.label}`, a, b, 'less', 'rank-sum'));
  return comparisons.length > 0 ? claimResult('lowest-loss', statement, comparisons, e.alpha) : untested('lowest-loss', statement, NO_VALUES);
}

export function lowestLipschitz(e: RunEvidence): ClaimResult {
  const statement = `${e.name} has the lowest Lipschitz constants (whole model and fusion)`;
  if (e.lipschitz().length === 0) return untested('lowest-lipschitz', statement, noLipschitz(e));
  if (e.attentionProblem) return untested('lowest-lipschitz', statement, e.attentionProblem);
  const of = (setup: string, sub: string): Group => ({ label: setup, values: e.finalLipschitz(setup, (n) => n === sub).map((v) => v.value) });
  const comparisons = e.others.flatMap((o) =>
    ['model', 'fusion']
      .map((sub) => [sub, of(e.attention!, sub), of(o, sub)] as const)
      .filter(([, a, b]) => bothHaveValues([a, b]))
      .map(([sub, a, b]) => compare(e.context('lowest-lipschitz'), `final ${e.estimator} of ${sub}, ${a.label} < ${b.label}`, a, b, 'less', 'rank-sum')),
  );
  return comparisons.length > 0 ? claimResult('lowest-lipschitz', statement, comparisons, e.alpha) : untested('lowest-lipschitz', statement, 'no estimates of the whole model or the fusion');
}

export function encodersAboveDecoders(e: RunEvidence): ClaimResult {
  const statement = 'encoders have larger Lipschitz constants than decoders';
  if (e.lipschitz().length === 0) return untested('encoders-above-decoders', statement, noLipschitz(e));
  const comparisons = e.labels.flatMap((setup) => {
    const encoders = e.finalLipschitz(setup, (n) => n.startsWith('encoder:'));
    const decoders = e.finalLipschitz(setup, (n) => n.startsWith('decoder:'));
    const trials = encoders.filter((x) => decoders.some((d) => d.trial === x.trial)).map((x) => x.trial);
    if (trials.length === 0) return [];
    const pick = (list: typeof encoders) => trials.map((t) => list.find((v) => v.trial === t)!.value);
    const what = `${setup}: mean encoder vs mean decoder ${e.estimator}`;
    return [compare(e.context('encoders-above-decoders'), what, { label: `${setup} encoders`, values: pick(encoders) }, { label: `${setup} decoders`, values: pick(decoders) }, 'greater', 'signed-rank')];
  });
  return comparisons.length > 0 ? claimResult('encoders-above-decoders', statement, comparisons, e.alpha) : untested('encoders-above-decoders', statement, 'no encoder and decoder estimates of the same trials');
}

export function concatSteadier(e: RunEvidence): ClaimResult {
  const statement = 'concatenation varies less across trials than summation';
  const { concat, sum } = e;
  if (!concat || !sum) return untested('concat-steadier', statement, `the run needs a set-up labelled (or the only one of fusion type) "concat" and one "sum"; it has ${e.labels.join(', ')}`);
  if (e.lossOf(concat).length < 2 || e.lossOf(sum).length < 2) return untested('concat-steadier', statement, 'a spread needs at least 2 trials per set-up');
  const comparison = compare(e.context('concat-steadier'), `spread of final test loss (total), ${concat} < ${sum}`, { label: concat, values: e.lossOf(concat) }, { label: sum, values: e.lossOf(sum) }, 'less', 'levene');
  return claimResult('concat-steadier', statement, [comparison], e.alpha);
}

export function bestDetection(e: RunEvidence): ClaimResult {
  const statement = `${e.name} separates faulty from clean latents best (ROC-AUC)`;
  if (!e.hasAnalysis(ANALYSIS_FILES.failureDetection)) return untested('best-detection', statement, 'no analysis/failure-detection.json (add the "failure-detection" callback)');
  if (e.attentionProblem) return untested('best-detection', statement, e.attentionProblem);
  const detection = e.detection();
  const aucs = (setup: string): Group => ({ label: setup, values: (detection.setups[setup]?.trials ?? []).map((t) => mean(t.results.map((r) => r.auc))) });
  const comparisons = e.others
    .map((o): [Group, Group] => [aucs(e.attention!), aucs(o)])
    .filter(bothHaveValues)
    .map(([a, b]) => compare(e.context('best-detection'), `mean ROC-AUC over failures, ${a.label} > ${b.label}`, a, b, 'greater', 'rank-sum'));
  return comparisons.length > 0 ? claimResult('best-detection', statement, comparisons, e.alpha) : untested('best-detection', statement, 'no detection results per trial');
}

export function nonInferiorToConcat(e: RunEvidence, margin: number): ClaimResult {
  const statement = `${e.name}'s clean test loss is no worse than concatenation's by more than ${formatValue(100 * margin)} % of concatenation's mean`;
  const { attention, concat } = e;
  if (e.attentionProblem) return untested('non-inferior-to-concat', statement, e.attentionProblem);
  if (!concat || concat === attention) return untested('non-inferior-to-concat', statement, needsConcat(e));
  if (e.lossOf(attention!).length === 0 || e.lossOf(concat).length === 0) return untested('non-inferior-to-concat', statement, NO_VALUES);
  // H1: attention < concat + Δ, i.e. (attention − Δ) < concat, with Δ = margin × concat's mean.
  const delta = margin * mean(e.lossOf(concat));
  const shifted = { label: `${attention} − ${formatValue(delta)}`, values: e.lossOf(attention!).map((v) => v - delta) };
  const comparison = compare(e.context('non-inferior-to-concat'), `final test loss (total), ${attention} < ${concat} + ${formatValue(delta)}`, shifted, { label: concat, values: e.lossOf(concat) }, 'less', 'rank-sum');
  return claimResult('non-inferior-to-concat', statement, [comparison], e.alpha);
}

type Curve = RobustnessFile['setups'][string]['trials'][number]['curves'][number];

/** One condition per lost modality: dropped to zeros, and each failure at its largest severity (as concatenation's curves list them). */
function robustnessConditions(robustness: RobustnessFile, concat: string): Map<string, (c: Curve) => boolean> {
  const conditions = new Map<string, (c: Curve) => boolean>();
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
  return conditions;
}

export function robustToModalityLoss(e: RunEvidence): ClaimResult {
  const statement = `${e.name} loses less than concatenation when one modality is missing or corrupted at test time`;
  const { attention, concat } = e;
  if (!e.hasAnalysis(ANALYSIS_FILES.robustness)) return untested('robust-to-modality-loss', statement, 'no analysis/robustness.json (add the "robustness" callback)');
  if (e.attentionProblem) return untested('robust-to-modality-loss', statement, e.attentionProblem);
  if (!concat || concat === attention) return untested('robust-to-modality-loss', statement, needsConcat(e));
  const robustness = e.robustness();
  const losses = (setup: string, pick: (c: Curve) => boolean) =>
    (robustness.setups[setup]?.trials ?? []).map((t) => t.curves.find(pick)?.loss.total).filter((v): v is number => typeof v === 'number');
  const comparisons = [...robustnessConditions(robustness, concat).entries()]
    .map(([what, pick]): [string, Group, Group] => [what, { label: attention!, values: losses(attention!, pick) }, { label: concat, values: losses(concat, pick) }])
    .filter(([, a, b]) => bothHaveValues([a, b]))
    .map(([what, a, b]) => compare(e.context('robust-to-modality-loss'), `test loss (total), ${what}, ${a.label} < ${b.label}`, a, b, 'less', 'rank-sum'));
  return comparisons.length > 0 ? claimResult('robust-to-modality-loss', statement, comparisons, e.alpha) : untested('robust-to-modality-loss', statement, 'no robustness curves per trial');
}

export function fastestConvergence(e: RunEvidence): ClaimResult {
  const statement = `${e.name} converges fastest (fewest epochs until the test loss first reaches a level both set-ups attain)`;
  const metrics = e.metrics();
  if (e.attentionProblem) return untested('fastest-convergence', statement, e.attentionProblem);
  if (metrics.length === 0) return untested('fastest-convergence', statement, 'no per-epoch test losses in metrics.jsonl');
  const attention = e.attention!;
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
  const comparisons = e.others
    .filter((o) => e.lossOf(attention).length > 0 && e.lossOf(o).length > 0)
    .map((o) => {
      // A level both reach: 5 % above the worse of the two final mean losses.
      const level = 1.05 * Math.max(mean(e.lossOf(attention)), mean(e.lossOf(o)));
      return [o, level, epochsTo(attention, level), epochsTo(o, level)] as const;
    })
    .filter(([, , a, b]) => bothHaveValues([a, b]))
    .map(([o, level, a, b]) => compare(e.context('fastest-convergence'), `epochs until the test loss (total) ≤ ${formatValue(level)} (105 % of the worse final mean), ${attention} < ${o}`, a, b, 'less', 'rank-sum'));
  return comparisons.length > 0 ? claimResult('fastest-convergence', statement, comparisons, e.alpha) : untested('fastest-convergence', statement, 'no set-up with both final losses and per-epoch test losses to compare');
}
