import { FinalLossValue, LossCurvePoint, Split } from './aggregates';
import { bandAndLine, FigureSpec, panelWidth, setupColor, topLevel } from './figure-spec';

/** Loss curves of one split: one panel per loss (each modality, total), a line per set-up with its mean ± std band over trials. */
/** Whether a panel's values span a decade or more (largest over smallest positive mean): a log axis then keeps the late epochs readable. */
export function spansDecades(values: readonly number[]): boolean {
  const positive = values.filter((v) => v > 0 && Number.isFinite(v));
  if (positive.length < 2 || positive.length < values.filter(Number.isFinite).length) return false;
  return Math.max(...positive) / Math.min(...positive) >= 10;
}

/**
 * Loss curves of one split: one panel per loss (each modality, total), a line per set-up with its
 * mean ± std band over trials. `axis` 'auto' draws the y axes on a log scale when some panel's
 * means span a decade or more (and every value is positive), else linear.
 */
export function lossCurveFigure(points: readonly LossCurvePoint[], split: Split, setups: readonly string[], losses: readonly string[], axis: 'auto' | 'log' | 'linear' = 'auto'): FigureSpec {
  const values = points.filter((p) => p.split === split);
  const epochs = new Set(values.map((p) => p.epoch)).size;
  const trials = Math.max(0, ...values.map((p) => p.n));
  const positive = values.every((p) => p.mean > 0);
  const decades = losses.some((loss) => spansDecades(values.filter((p) => p.loss === loss).map((p) => p.mean)));
  const log = positive && (axis === 'log' || (axis === 'auto' && decades));
  // A log band needs a positive lower edge: mean − std can cross zero, so clip it to the smallest mean seen.
  const floor = Math.min(...values.map((p) => p.mean).filter((v) => v > 0));
  const drawn = log ? values.map((p) => ({ ...p, lower: Math.max(p.lower, floor / 10) })) : values;
  const why = log ? (axis === 'log' ? 'log y axes (asked for)' : 'log y axes: the values span a decade or more') : axis === 'linear' ? 'linear y axes (asked for)' : 'linear y axes';
  return {
    name: `loss-curves-${split}`,
    title: `${split === 'train' ? 'Training' : 'Test'} loss per modality`,
    caption: `${split === 'train' ? 'Training' : 'Test'} MSE per epoch: line = mean over ${trials} trial${trials === 1 ? '' : 's'}, band = mean ± sample std; one panel per modality and the weighted total (independent ${why}).`,
    spec: topLevel({
      data: { values: drawn },
      facet: { column: { field: 'loss', type: 'nominal', sort: [...losses], title: null } },
      spec: { width: panelWidth(losses.length), height: 200, layer: bandAndLine({ field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } }, 'MSE', setupColor(setups), { points: epochs <= 12, log }) },
      resolve: { scale: { y: 'independent' } },
    }),
  };
}

/** Boxplots of the final losses per set-up, with every trial as a dot; test on the first row, training below. */
export function finalLossBoxplotFigure(values: readonly FinalLossValue[], setups: readonly string[], losses: readonly string[]): FigureSpec {
  const x = { field: 'setup', type: 'nominal', sort: [...setups], title: null, axis: { labelAngle: 0 } };
  const y = { field: 'value', type: 'quantitative', title: 'final MSE', scale: { zero: false } };
  return {
    name: 'final-loss-boxplots',
    title: 'Final losses per set-up',
    caption: 'Distribution of the final MSE over finished trials per set-up (box: quartiles, whiskers: min–max, dots: trials); test on top, training below.',
    spec: topLevel({
      data: { values },
      facet: { row: { field: 'split', type: 'nominal', sort: ['test', 'train'], title: null }, column: { field: 'loss', type: 'nominal', sort: [...losses], title: null } },
      spec: {
        width: Math.max(120, Math.min(panelWidth(losses.length), 70 * setups.length)),
        height: 170,
        layer: [
          { mark: { type: 'boxplot', extent: 'min-max', size: 22, median: { color: 'black' } }, encoding: { x, y, color: { ...setupColor(setups), legend: null } } },
          { mark: { type: 'point', filled: true, size: 22, color: '#222', opacity: 0.7 }, encoding: { x, y } },
        ],
      },
      resolve: { scale: { y: 'independent' } },
    }),
  };
}
