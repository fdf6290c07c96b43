import { bandAndLine, FigureSpec, setupColor, topLevel, VegaLiteSpec } from './figure-spec';
import { encodePng, pngDataUrl } from './png-encode';
import type { FailureDetectionFile, ReconstructionsFile, RobustnessFile } from './run-data';
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

/** Input | reconstruction | |error| heatmap, one row per set-up and sample; the heatmaps share one colour scale. */
export function reconstructionFigure(file: ReconstructionsFile, setups: readonly string[]): FigureSpec {
  const size = 128;
  const order = [...setups.filter((s) => s in file.setups), ...Object.keys(file.setups).filter((s) => !setups.includes(s))];
  let maxError = 0;
  const rows: VegaLiteSpec[] = [];
  const modalities = new Set<string>();
  for (const setup of order) {
    const { modality, shape, samples } = file.setups[setup];
    modalities.add(modality);
    const [height, width, channels = 1] = shape;
    samples.slice(0, RECONSTRUCTION_SAMPLES).forEach((sample, i) => {
      const heatmap = errorHeatmap(sample.input, sample.output, shape);
      maxError = Math.max(maxError, ...heatmap.cells.map((c) => c.error));
      const image = (pixels: number[], title: string): VegaLiteSpec => ({
        title: { text: title, fontSize: 11, fontWeight: 'normal' },
        width: size,
        height: Math.round((size * height) / width),
        data: { values: [{ url: pngDataUrl(encodePng(pixels, width, height, channels)) }] },
        mark: { type: 'image', aspect: false, align: 'left', baseline: 'top', width: size, height: Math.round((size * height) / width), aria: false },
        encoding: { url: { field: 'url', type: 'nominal' }, x: { value: 0 }, y: { value: 0 } },
      });
      rows.push({
        title: { text: `${setup} · ${modality} · sample ${i + 1}`, fontSize: 12 },
        hconcat: [
          image(sample.input, 'input'),
          image(sample.output, 'reconstruction'),
          {
            title: { text: '|error|', fontSize: 11, fontWeight: 'normal' },
            width: size,
            height: Math.round((size * heatmap.rows) / heatmap.cols),
            data: { values: heatmap.cells },
            mark: { type: 'rect', aria: false },
            encoding: {
              x: { field: 'col', type: 'ordinal', axis: null },
              y: { field: 'row', type: 'ordinal', axis: null },
              color: { field: 'error', type: 'quantitative', title: '|error|', scale: { scheme: 'inferno', domain: [0, 1] } },
            },
          },
        ],
      });
    });
  }
  // One colour scale for every heatmap, up to the largest error, so set-ups compare at a glance.
  const domain = [0, maxError > 0 ? maxError : 1];
  for (const row of rows) (((row.hconcat as VegaLiteSpec[])[2].encoding as VegaLiteSpec).color as VegaLiteSpec).scale = { scheme: 'inferno', domain };
  return {
    name: 'reconstructions',
    title: 'Reconstructions and pixel errors',
    caption: `Test inputs, their reconstructions and the per-pixel absolute error (mean over channels${order.some((s) => Math.max(...file.setups[s].shape.slice(0, 2)) > HEATMAP_MAX_SIDE) ? `, averaged over blocks to at most ${HEATMAP_MAX_SIDE}×${HEATMAP_MAX_SIDE} cells` : ''}) for ${[...modalities].join(', ')}; up to ${RECONSTRUCTION_SAMPLES} samples per set-up, one colour scale for all heatmaps.`,
    spec: topLevel({ vconcat: rows, spacing: 14, resolve: { scale: { color: 'shared' } } }),
  };
}

/** Histogram bars of a set of values over `bins` equal bins of [low, high]. */
function histogram(values: readonly number[], low: number, high: number, bins: number): Array<{ start: number; end: number; count: number }> {
  const width = (high - low) / bins || 1;
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    counts[Math.min(bins - 1, Math.max(0, Math.floor((v - low) / width)))]++;
  }
  return counts.map((count, i) => ({ start: low + i * width, end: low + (i + 1) * width, count }));
}

function firstTrial(entry: FailureDetectionFile['setups'][string]) {
  return [...entry.trials].sort((a, b) => a.trial - b.trial)[0];
}

function failuresOf(file: FailureDetectionFile): string[] {
  const all = [...new Set(Object.values(file.setups).flatMap((e) => e.trials.flatMap((t) => t.results.map((r) => r.failure))))];
  return [...all.filter((f) => f === 'all'), ...all.filter((f) => f !== 'all')];
}

/** Distances of clean and faulty latents from the clean kPCA model, with the detection threshold, per set-up and failure. */
export function distanceHistogramFigure(file: FailureDetectionFile, setups: readonly string[]): FigureSpec | undefined {
  const values: VegaLiteSpec[] = [];
  const trialsShown = new Set<number>();
  for (const [setup, entry] of Object.entries(file.setups)) {
    const trial = firstTrial(entry);
    if (!trial) continue;
    for (const result of trial.results) {
      if (!result.distances) continue;
      trialsShown.add(trial.trial);
      const all = [...result.distances.clean, ...result.distances.faulty, result.threshold].filter(Number.isFinite);
      const low = Math.min(...all);
      const high = Math.max(...all);
      for (const group of ['clean', 'faulty'] as const) {
        for (const bar of histogram(result.distances[group], low, high, 24)) values.push({ kind: 'bar', setup, failure: result.failure, group, ...bar });
      }
      values.push({ kind: 'threshold', setup, failure: result.failure, threshold: result.threshold });
    }
  }
  if (values.length === 0) return undefined;
  const failures = failuresOf(file).filter((f) => values.some((v) => v.failure === f));
  const x = { field: 'start', type: 'quantitative', title: 'Mahalanobis distance in kPCA space' };
  return {
    name: 'failure-distances',
    title: 'Latent distances: clean vs faulty',
    caption: `Distribution of the Mahalanobis distance (kPCA of the latents) for clean and faulty test samples, trial ${[...trialsShown].join(', ')}; dashed line: the detection threshold (95th percentile of the clean distances unless configured otherwise) — a sample beyond it is flagged faulty.`,
    spec: topLevel({
      data: { values },
      facet: { row: { field: 'failure', type: 'nominal', sort: failures, title: 'failure' }, column: { field: 'setup', type: 'nominal', sort: [...setups], title: null } },
      spec: {
        width: 200,
        height: 110,
        layer: [
          {
            transform: [{ filter: "datum.kind === 'bar'" }],
            mark: { type: 'rect', opacity: 0.6 },
            encoding: {
              x,
              x2: { field: 'end' },
              y: { field: 'count', type: 'quantitative', title: 'samples', stack: null },
              color: { field: 'group', type: 'nominal', title: null, scale: { domain: ['clean', 'faulty'], range: ['#4c78a8', '#e45756'] } },
            },
          },
          { transform: [{ filter: "datum.kind === 'threshold'" }], mark: { type: 'rule', color: 'black', strokeDash: [5, 3], strokeWidth: 1.5 }, encoding: { x: { field: 'threshold', type: 'quantitative' } } },
        ],
      },
      resolve: { scale: { x: 'independent', y: 'independent' } },
    }),
  };
}

/** Confusion matrices (actual × predicted) per set-up and failure, counts summed over trials. */
export function confusionMatrixFigure(file: FailureDetectionFile, setups: readonly string[]): FigureSpec | undefined {
  const values: VegaLiteSpec[] = [];
  let trials = 0;
  for (const [setup, entry] of Object.entries(file.setups)) {
    trials = Math.max(trials, entry.trials.length);
    const failures = [...new Set(entry.trials.flatMap((t) => t.results.map((r) => r.failure)))];
    for (const failure of failures) {
      const results = entry.trials.flatMap((t) => t.results.filter((r) => r.failure === failure && r.confusion));
      const sum = (k: 'tp' | 'fp' | 'tn' | 'fn') => results.reduce((s, r) => s + (r.confusion[k] ?? 0), 0);
      const cells = [
        { actual: 'faulty', predicted: 'faulty', count: sum('tp') },
        { actual: 'faulty', predicted: 'clean', count: sum('fn') },
        { actual: 'clean', predicted: 'faulty', count: sum('fp') },
        { actual: 'clean', predicted: 'clean', count: sum('tn') },
      ];
      // Share within the actual class: what the shading shows, so classes of different sizes compare.
      for (const c of cells) {
        const classTotal = cells.filter((d) => d.actual === c.actual).reduce((s, d) => s + d.count, 0);
        values.push({ setup, failure, ...c, share: classTotal > 0 ? c.count / classTotal : 0 });
      }
    }
  }
  if (values.length === 0) return undefined;
  const failures = failuresOf(file).filter((f) => values.some((v) => v.failure === f));
  const x = { field: 'predicted', type: 'nominal', sort: ['faulty', 'clean'], title: 'predicted', axis: { labelAngle: 0 } };
  const y = { field: 'actual', type: 'nominal', sort: ['faulty', 'clean'], title: 'actual' };
  return {
    name: 'confusion-matrices',
    title: 'Failure detection: confusion matrices',
    caption: `Counts of clean and faulty test samples by prediction (threshold rule above), summed over ${trials} trial${trials === 1 ? '' : 's'}; shading: share of the actual class.`,
    spec: topLevel({
      data: { values },
      facet: { row: { field: 'failure', type: 'nominal', sort: failures, title: 'failure' }, column: { field: 'setup', type: 'nominal', sort: [...setups], title: null } },
      spec: {
        width: 110,
        height: 110,
        layer: [
          { mark: { type: 'rect', stroke: 'white' }, encoding: { x, y, color: { field: 'share', type: 'quantitative', title: 'share of class', scale: { scheme: 'blues', domain: [0, 1] } } } },
          { mark: { type: 'text', fontSize: 13 }, encoding: { x, y, text: { field: 'count', type: 'quantitative' }, color: { condition: { test: 'datum.share > 0.5', value: 'white' }, value: 'black' } } },
        ],
      },
    }),
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
  return {
    name: 'robustness-curves',
    title: 'Robustness: loss vs perturbation severity',
    caption: `Test ${loss} MSE with one modality perturbed (columns) by each mode (rows: dropped to zeros or to the mean, or an injected failure) against severity: line = mean over trials, band = mean ± sample std.`,
    spec: topLevel({
      data: { values },
      facet: { row: { field: 'mode', type: 'nominal', title: null }, column: { field: 'perturbed', type: 'nominal', title: 'perturbed modality' } },
      spec: { width: 200, height: 130, layer: bandAndLine({ field: 'severity', type: 'quantitative', title: 'severity' }, `${loss} MSE`, setupColor(setups), { points: true }) },
      resolve: { scale: { y: 'independent' } },
    }),
  };
}
