import { orderSubModels } from './aggregates';
import { FigureSpec, LINE_LEGEND, LOG_AXIS, panelWidth, setupColor, topLevel, VegaLiteSpec } from './figure-spec';
import { logBand } from './lipschitz-figures';
import type { SweepValue } from './sweep-data';

/** The swept parameter on x: log scale for positive numbers spanning two decades or more, else linear or ordinal. */
function xEncoding(values: readonly SweepValue[], parameter: string): VegaLiteSpec {
  const xs = values.map((v) => v.x);
  if (xs.every((x) => typeof x === 'number')) {
    const numbers = xs as number[];
    const positive = numbers.every((x) => x > 0);
    const log = positive && Math.max(...numbers) / Math.min(...numbers) >= 100;
    return { field: 'x', type: 'quantitative', title: parameter, scale: log ? { type: 'log' } : { zero: false }, axis: log ? { ...LOG_AXIS, format: '.0e' } : {} };
  }
  const order = [...new Map(values.map((v) => [v.point, String(v.x)])).entries()].sort((a, b) => a[0] - b[0]).map(([, x]) => x);
  return { field: 'x', type: 'ordinal', title: parameter, sort: [...new Set(order)] };
}

function rowFacet(values: readonly SweepValue[]): VegaLiteSpec | undefined {
  const groups = [...new Set(values.map((v) => v.group))];
  return groups.length > 1 ? { field: 'group', type: 'nominal', title: null, sort: groups } : undefined;
}

function line(x: VegaLiteSpec, y: string, color: VegaLiteSpec, log: boolean, strokeDash?: VegaLiteSpec): VegaLiteSpec[] {
  const scale = log ? { type: 'log' } : { zero: false };
  const axis = log ? LOG_AXIS : {};
  // Bands are told apart by `detail` (areas have no dash), lines by their dash.
  const band = strokeDash ? { detail: { field: strokeDash.field, type: 'nominal' } } : {};
  const dash = strokeDash ? { strokeDash } : {};
  return [
    { mark: { type: 'area', opacity: 0.15 }, encoding: { x, y: { field: 'lower', type: 'quantitative', title: y, scale, axis }, y2: { field: 'upper' }, color, ...band } },
    { mark: { type: 'line', strokeWidth: 2 }, encoding: { x, y: { field: 'mean', type: 'quantitative', title: y, scale, axis }, color, ...dash } },
    // Points in a layer of their own: on the line they would make the dash legend draw filled dots.
    { mark: { type: 'point', filled: true, size: 22 }, encoding: { x, y: { field: 'mean', type: 'quantitative', title: y, scale, axis }, color } },
  ];
}

/** Fig. 22 (top): final Lipschitz estimate (solid) and certified bound (dashed) per sub-model against the swept parameter, one panel per set-up. */
export function lambdaLipschitzFigure(values: readonly SweepValue[], parameter: string, setups: readonly string[]): FigureSpec {
  const data = logBand(values);
  const subModels = orderSubModels(data.map((v) => v.series));
  const row = rowFacet(data);
  return {
    name: 'lambda-lipschitz',
    title: `Ablation: Lipschitz constants vs ${parameter}`,
    caption: `Final Lipschitz value per sub-model (mean over trials, band ± sample std, log scale) at each value of ${parameter}: solid = estimate (a lower bound of the ℓ2 constant for spectral norms and difference quotients; a Frobenius norm is no bound of it), dashed = certified upper bound; one panel per set-up.`,
    spec: topLevel({
      data: { values: data },
      facet: { column: { field: 'setup', type: 'nominal', sort: [...setups], title: null }, ...(row ? { row } : {}) },
      spec: {
        width: panelWidth(Math.max(1, setups.length)),
        height: 190,
        layer: line(xEncoding(data, parameter), 'Lipschitz constant', { field: 'series', type: 'nominal', title: 'sub-model', sort: subModels, legend: LINE_LEGEND }, true, {
          field: 'kind',
          type: 'nominal',
          title: null,
          scale: { domain: ['estimate', 'certified bound'], range: [[1, 0], [5, 3]] },
          legend: { symbolType: 'stroke', symbolStrokeColor: '#333', symbolStrokeWidth: 2, symbolSize: 300 },
        }),
      },
    }),
  };
}

/** Fig. 22 (bottom): norm of the trained parameters against the swept parameter, per set-up. */
export function lambdaParameterNormFigure(values: readonly SweepValue[], parameter: string, setups: readonly string[]): FigureSpec {
  const data = logBand(values);
  const row = rowFacet(data);
  const layer = line(xEncoding(data, parameter), 'parameter norm', setupColor(setups), true);
  return {
    name: 'lambda-parameter-norm',
    title: `Ablation: parameter norm vs ${parameter}`,
    caption: `Norm of the trained parameters (summary.json parameterNorm; mean over trials, band ± sample std, log scale) at each value of ${parameter}.`,
    spec: topLevel(row ? { data: { values: data }, facet: { row }, spec: { width: panelWidth(1, 320, 760), height: 190, layer } } : { data: { values: data }, width: panelWidth(1, 320, 760), height: 190, layer }),
  };
}

/** Final test loss against the swept parameter, per set-up. */
export function sweepFinalLossFigure(values: readonly SweepValue[], parameter: string, setups: readonly string[]): FigureSpec {
  const data = values.map((v) => ({ ...v, lower: v.mean - v.std, upper: v.mean + v.std }));
  const row = rowFacet(data);
  const layer = line(xEncoding(data, parameter), data[0]?.kind ? `${data[0].kind} MSE` : 'MSE', setupColor(setups), false);
  return {
    name: 'sweep-final-loss',
    title: `Final test loss vs ${parameter}`,
    caption: `Final test MSE (weighted total; mean over trials, band ± sample std) at each value of ${parameter}.`,
    spec: topLevel(row ? { data: { values: data }, facet: { row }, spec: { width: panelWidth(1, 320, 760), height: 190, layer } } : { data: { values: data }, width: panelWidth(1, 320, 760), height: 190, layer }),
  };
}
