import { CERTIFIED_ESTIMATOR, estimatorLabel, LipschitzCurvePoint } from './aggregates';
import { bandAndLine, FigureSpec, panelWidth, setupColor, topLevel } from './figure-spec';

/**
 * Positive band edges for a log axis: mean − std can be ≤ 0, and is then clipped at half the
 * smallest positive mean of the figure (the band's lower side is cut off there).
 */
export function logBand<T extends { mean: number; std: number }>(points: readonly T[]): Array<T & { lower: number; upper: number }> {
  const positive = points.filter((p) => p.mean > 0 && Number.isFinite(p.mean));
  const floor = Math.min(...positive.map((p) => p.mean)) / 2;
  return positive.map((p) => ({ ...p, lower: p.mean - p.std > 0 ? p.mean - p.std : floor, upper: p.mean + p.std }));
}

/**
 * What each estimator's values are next to the l2 Lipschitz constant (the rows say it too, in
 * `bound` and `relation`): a Frobenius norm bounds it from neither side.
 */
const WHAT_VALUES_ARE: Record<string, { caption: string; axis: string }> = {
  [CERTIFIED_ESTIMATOR]: {
    caption: 'an upper bound of the l2 Lipschitz constant; a fusion certificate that holds only on the sampled latents names that domain in lipschitz.jsonl',
    axis: 'upper bound of the l2 constant',
  },
  'jacobian-spectral': { caption: 'a lower bound of the l2 Lipschitz constant', axis: 'lower bound of the l2 constant' },
  'difference-quotient': { caption: 'a lower bound of the l2 Lipschitz constant', axis: 'lower bound of the l2 constant' },
  'jacobian-frobenius': { caption: '‖J‖_F ≥ ‖J‖₂: a bound of the l2 Lipschitz constant from neither side', axis: '‖J‖_F (no bound of the l2 constant)' },
  'gradient-ratio': { caption: "a lower bound of the gradient map's Lipschitz constant, not of the function's", axis: 'gradient ratio' },
};

/** Lipschitz values of one estimator over training: one panel per sub-model, a line per set-up, mean ± std over trials, log y. */
export function lipschitzCurveFigure(points: readonly LipschitzCurvePoint[], estimator: string, setups: readonly string[], subModels: readonly string[]): FigureSpec {
  const values = logBand(points.filter((p) => p.estimator === estimator));
  const present = subModels.filter((s) => values.some((v) => v.subModel === s));
  const trials = Math.max(0, ...values.map((p) => p.n));
  const epochs = new Set(values.map((p) => p.epoch)).size;
  const what = WHAT_VALUES_ARE[estimator] ?? { caption: 'estimate', axis: 'Lipschitz constant' };
  return {
    name: `lipschitz-${estimator.replace(/[^A-Za-z0-9-]+/g, '-')}`,
    title: `Lipschitz constants during training: ${estimatorLabel(estimator)}`,
    caption: `${estimatorLabel(estimator)} (${what.caption}) per sub-model after each evaluated epoch (epoch 0: before training): line = mean over ${trials} trial${trials === 1 ? '' : 's'}, band = mean ± sample std, log scale.`,
    spec: topLevel({
      data: { values },
      facet: { field: 'subModel', type: 'nominal', sort: present, title: null },
      columns: Math.min(4, Math.max(1, present.length)),
      spec: { width: panelWidth(Math.min(4, Math.max(1, present.length))), height: 170, layer: bandAndLine({ field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } }, what.axis, setupColor(setups), { log: true, points: epochs <= 12 }) },
    }),
  };
}
