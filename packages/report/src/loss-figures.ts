import { FinalLossValue, LossCurvePoint, Split } from './aggregates';
import { bandAndLine, FigureSpec, setupColor, topLevel } from './figure-spec';

/** Loss curves of one split: one panel per loss (each modality, total), a line per set-up with its mean ± std band over trials. */
export function lossCurveFigure(points: readonly LossCurvePoint[], split: Split, setups: readonly string[], losses: readonly string[]): FigureSpec {
  const values = points.filter((p) => p.split === split);
  const epochs = new Set(values.map((p) => p.epoch)).size;
  const trials = Math.max(0, ...values.map((p) => p.n));
  return {
    name: `loss-curves-${split}`,
    title: `${split === 'train' ? 'Training' : 'Test'} loss per modality`,
    caption: `${split === 'train' ? 'Training' : 'Test'} MSE per epoch: line = mean over ${trials} trial${trials === 1 ? '' : 's'}, band = mean ± sample std; one panel per modality and the weighted total (independent y axes).`,
    spec: topLevel({
      data: { values },
      facet: { column: { field: 'loss', type: 'nominal', sort: [...losses], title: null } },
      spec: { width: 220, height: 160, layer: bandAndLine({ field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } }, 'MSE', setupColor(setups), { points: epochs <= 12 }) },
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
        width: Math.max(90, 45 * setups.length),
        height: 150,
        layer: [
          { mark: { type: 'boxplot', extent: 'min-max', size: 22, median: { color: 'black' } }, encoding: { x, y, color: { ...setupColor(setups), legend: null } } },
          { mark: { type: 'point', filled: true, size: 22, color: '#222', opacity: 0.7 }, encoding: { x, y } },
        ],
      },
      resolve: { scale: { y: 'independent' } },
    }),
  };
}
