import { bandAndLine, FigureSpec, PAGE_WIDTH, panelWidth, setupColor, topLevel, VegaLiteSpec } from './figure-spec';
import { encodePng, pngDataUrl } from './png-encode';
import type { ReconstructionsFile, RobustnessFile } from './run-data';
import { meanStd } from './statistics';

/** At most this many samples per set-up, and heatmap cells per side (larger images are block-averaged). */
export const RECONSTRUCTION_SAMPLES = 4;
export const HEATMAP_MAX_SIDE = 32;

export interface HeatmapCell {
  row: number;
  col: number;
  error: number;
}

/** Mean absolute error over channels, averaged over square blocks so that a side has at most `maxSide` cells. */
export function errorHeatmap(input: readonly number[], output: readonly number[], shape: readonly number[], maxSide = HEATMAP_MAX_SIDE): { cells: HeatmapCell[]; rows: number; cols: number } {
  const [height, width, channels = 1] = shape;
  const block = Math.max(1, Math.ceil(Math.max(height, width) / maxSide));
  const rows = Math.ceil(height / block);
  const cols = Math.ceil(width / block);
  const sum = new Float64Array(rows * cols);
  const count = new Float64Array(rows * cols);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let e = 0;
      for (let c = 0; c < channels; c++) {
        const at = (y * width + x) * channels + c;
        e += Math.abs(input[at] - output[at]);
      }
      const cell = Math.floor(y / block) * cols + Math.floor(x / block);
      sum[cell] += e / channels;
      count[cell] += 1;
    }
  }
  const cells: HeatmapCell[] = [];
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) cells.push({ row: r, col: c, error: sum[r * cols + c] / count[r * cols + c] });
  return { cells, rows, cols };
}

/**
 * A grid: one row per test sample, the input first, then each set-up's reconstruction and its
 * |error| heatmap side by side; the heatmaps share one colour scale.
 */
export function reconstructionFigure(file: ReconstructionsFile, setups: readonly string[]): FigureSpec {
  const order = [...setups.filter((s) => s in file.setups), ...Object.keys(file.setups).filter((s) => !setups.includes(s))];
  // Every set-up's samples are the same test indices (spread evenly over the split), so one input column serves them all.
  const columns = 1 + 2 * order.length;
  const size = Math.max(72, Math.min(128, Math.floor((PAGE_WIDTH - 40) / columns) - 8));
  let maxError = 0;
  const rows: VegaLiteSpec[] = [];
  const modalities = new Set(order.map((s) => file.setups[s].modality));
  const samples = Math.min(RECONSTRUCTION_SAMPLES, ...order.map((s) => file.setups[s].samples.length));
  const heatmaps: VegaLiteSpec[] = [];
  const image = (pixels: number[], shape: number[], title: string): VegaLiteSpec => {
    const [height, width, channels = 1] = shape;
    const h = Math.round((size * height) / width);
    return {
      title: { text: title, fontSize: 10, fontWeight: 'normal' },
      width: size,
      height: h,
      data: { values: [{ url: pngDataUrl(encodePng(pixels, width, height, channels)) }] },
      mark: { type: 'image', aspect: false, align: 'left', baseline: 'top', width: size, height: h, aria: false },
      encoding: { url: { field: 'url', type: 'nominal' }, x: { value: 0 }, y: { value: 0 } },
    };
  };
  for (let i = 0; i < samples; i++) {
    const first = file.setups[order[0]];
    const cells: VegaLiteSpec[] = [image(first.samples[i].input, first.shape, `sample ${i + 1}: input`)];
    for (const setup of order) {
      const { shape, samples: kept } = file.setups[setup];
      const heatmap = errorHeatmap(kept[i].input, kept[i].output, shape);
      maxError = Math.max(maxError, ...heatmap.cells.map((c) => c.error));
      cells.push(image(kept[i].output, shape, setup));
      const cell: VegaLiteSpec = {
        title: { text: `${setup} |error|`, fontSize: 10, fontWeight: 'normal' },
        width: size,
        height: Math.round((size * heatmap.rows) / heatmap.cols),
        data: { values: heatmap.cells },
        mark: { type: 'rect', aria: false },
        encoding: {
          x: { field: 'col', type: 'ordinal', axis: null },
          y: { field: 'row', type: 'ordinal', axis: null },
          color: { field: 'error', type: 'quantitative', title: '|error|', scale: { scheme: 'inferno', domain: [0, 1] } },
        },
      };
      heatmaps.push(cell);
      cells.push(cell);
    }
    rows.push({ hconcat: cells, spacing: 6 });
  }
  // One colour scale for every heatmap, up to the largest error, so set-ups compare at a glance.
  const domain = [0, maxError > 0 ? maxError : 1];
  for (const cell of heatmaps) ((cell.encoding as VegaLiteSpec).color as VegaLiteSpec).scale = { scheme: 'inferno', domain };
  const large = order.some((s) => Math.max(...file.setups[s].shape.slice(0, 2)) > HEATMAP_MAX_SIDE);
  return {
    name: 'reconstructions',
    title: 'Reconstructions and pixel errors',
    caption: `${samples} test sample${samples === 1 ? '' : 's'} of ${[...modalities].join(', ')} (rows): the input, then each set-up's reconstruction and its per-pixel absolute error (mean over channels${large ? `, averaged over blocks to at most ${HEATMAP_MAX_SIDE}×${HEATMAP_MAX_SIDE} cells` : ''}), one colour scale for all heatmaps.`,
    spec: topLevel({ vconcat: rows, spacing: 10, resolve: { scale: { color: 'shared' } } }),
  };
}

/** Loss under a perturbed modality vs severity: one panel per perturbed modality and mode, mean ± std over trials. */
export function robustnessFigure(file: RobustnessFile, setups: readonly string[], loss = 'total'): FigureSpec | undefined {
  const groups = new Map<string, { setup: string; perturbed: string; mode: string; severity: number; values: number[] }>();
  for (const [setup, entry] of Object.entries(file.setups)) {
    for (const t of entry.trials) {
      for (const c of t.curves) {
        const value = c.loss?.[loss] ?? c.loss?.[Object.keys(c.loss ?? {})[0]];
        if (typeof value !== 'number') continue;
        const key = [setup, c.perturbed, c.mode, c.severity].join('\u0000');
        const g = groups.get(key) ?? { setup, perturbed: c.perturbed, mode: c.mode, severity: c.severity, values: [] };
        g.values.push(value);
        groups.set(key, g);
      }
    }
  }
  if (groups.size === 0) return undefined;
  const values = [...groups.values()]
    .map(({ values: v, ...rest }) => {
      const s = meanStd(v);
      return { ...rest, mean: s.mean, std: s.std, n: s.n, lower: s.mean - s.std, upper: s.mean + s.std };
    })
    .sort((a, b) => a.severity - b.severity);
  // Modes measured at several severities are curves; single-severity ones (the clean run, drops) are points.
  const severities = new Map<string, Set<number>>();
  for (const v of values) severities.set(`${v.perturbed} · ${v.mode}`, (severities.get(`${v.perturbed} · ${v.mode}`) ?? new Set()).add(v.severity));
  const isCurve = (v: { perturbed: string; mode: string }) => (severities.get(`${v.perturbed} · ${v.mode}`)?.size ?? 0) > 1;
  const clean = values.filter((v) => v.mode === 'clean');
  const curveValues = values
    .filter(isCurve)
    .map((v) => ({ ...v, panel: `${v.perturbed} · ${v.mode}` }));
  // Each curve starts from the clean loss at severity 0, when it was not measured there.
  for (const panel of [...new Set(curveValues.map((v) => v.panel))]) {
    if (curveValues.some((v) => v.panel === panel && v.severity === 0)) continue;
    for (const c of clean) curveValues.push({ ...c, panel, severity: 0 });
  }
  curveValues.sort((a, b) => a.severity - b.severity);
  const panels = [...new Set(curveValues.map((v) => v.panel))];
  const pointValues = values.filter((v) => !isCurve(v)).map((v) => ({ ...v, condition: v.mode === 'clean' ? 'clean' : `${v.perturbed} ${v.mode}` }));
  const conditions = [...new Set(pointValues.map((v) => v.condition))];
  const parts: VegaLiteSpec[] = [];
  if (panels.length > 0) {
    const columns = Math.min(4, panels.length);
    parts.push({
      data: { values: curveValues },
      facet: { field: 'panel', type: 'nominal', title: null, sort: panels },
      columns,
      spec: { width: panelWidth(columns), height: 170, layer: bandAndLine({ field: 'severity', type: 'quantitative', title: 'severity' }, `${loss} MSE`, setupColor(setups), { points: true }) },
      resolve: { scale: { y: 'independent' } },
    });
  }
  if (conditions.length > 0) {
    const y = { field: 'condition', type: 'nominal', sort: conditions, title: null };
    const x = { field: 'mean', type: 'quantitative', title: `${loss} MSE`, scale: { zero: false } };
    parts.push({
      data: { values: pointValues },
      width: Math.min(PAGE_WIDTH - 420, 640),
      height: 24 * conditions.length,
      layer: [
        { mark: { type: 'rule', opacity: 0.5 }, encoding: { y, yOffset: { field: 'setup', sort: [...setups] }, x: { field: 'lower', type: 'quantitative' }, x2: { field: 'upper' }, color: setupColor(setups) } },
        { mark: { type: 'point', filled: true, size: 50 }, encoding: { y, yOffset: { field: 'setup', sort: [...setups] }, x, color: setupColor(setups) } },
      ],
    });
  }
  return {
    name: 'robustness-curves',
    title: 'Robustness: loss under a perturbed modality',
    caption: `Test ${loss} MSE with one modality perturbed. ${panels.length > 0 ? 'Curves: an injected failure against its severity, from the clean loss at 0 (line = mean over trials, band = mean ± sample std). ' : ''}${conditions.length > 0 ? 'Points: the clean loss and each modality dropped to zeros or to its training mean (dot = mean over trials, bar = mean ± sample std).' : ''}`,
    spec: topLevel({ vconcat: parts, spacing: 24 }),
  };
}
