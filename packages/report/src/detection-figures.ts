import { FigureSpec, PAGE_WIDTH, panelWidth, setupColor, topLevel, VegaLiteSpec } from './figure-spec';
import type { FailureDetectionFile } from './run-data';

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

/** One (set-up, failure) cell of the detection summary: mean AUC over trials and whether it is distinguishable from chance. */
export interface AucCell {
  setup: string;
  failure: string;
  auc: number;
  /** Standard error of the mean AUC (Hanley & McNeil 1982, from each trial's clean and faulty counts). */
  se: number;
  trials: number;
  /** |AUC − 0.5| < 1.96·se: no evidence the latents separate this failure from clean samples. */
  chance: boolean;
}

/**
 * Hanley & McNeil's standard error of an AUC from n₁ faulty and n₀ clean samples:
 * SE² = [A(1−A) + (n₁−1)(Q₁−A²) + (n₀−1)(Q₂−A²)] / (n₁n₀), Q₁ = A/(2−A), Q₂ = 2A²/(1+A).
 */
export function aucStandardError(auc: number, faulty: number, clean: number): number {
  if (faulty < 1 || clean < 1) return Infinity;
  const q1 = auc / (2 - auc);
  const q2 = (2 * auc * auc) / (1 + auc);
  const variance = (auc * (1 - auc) + (faulty - 1) * (q1 - auc * auc) + (clean - 1) * (q2 - auc * auc)) / (faulty * clean);
  return Math.sqrt(Math.max(variance, 0));
}

/** Mean AUC per set-up and failure over trials, with its standard error and a chance flag. */
export function aucCells(file: FailureDetectionFile): AucCell[] {
  const cells: AucCell[] = [];
  for (const [setup, entry] of Object.entries(file.setups)) {
    for (const failure of [...new Set(entry.trials.flatMap((t) => t.results.map((r) => r.failure)))]) {
      const results = entry.trials.flatMap((t) => t.results.filter((r) => r.failure === failure && typeof r.auc === 'number' && r.confusion));
      if (results.length === 0) continue;
      const auc = results.reduce((s, r) => s + r.auc!, 0) / results.length;
      const se = Math.sqrt(results.reduce((s, r) => s + aucStandardError(r.auc!, r.confusion.tp + r.confusion.fn, r.confusion.tn + r.confusion.fp) ** 2, 0)) / results.length;
      cells.push({ setup, failure, auc, se, trials: results.length, chance: Math.abs(auc - 0.5) < 1.96 * se });
    }
  }
  return cells;
}

/** Failure × set-up heatmap of the mean AUC; cells indistinguishable from chance are marked. */
export function aucHeatmapFigure(file: FailureDetectionFile, setups: readonly string[], cells: readonly AucCell[] = aucCells(file)): FigureSpec | undefined {
  if (cells.length === 0) return undefined;
  const failures = failuresOf(file).filter((f) => cells.some((c) => c.failure === f));
  const order = [...setups.filter((s) => cells.some((c) => c.setup === s)), ...[...new Set(cells.map((c) => c.setup))].filter((s) => !setups.includes(s))];
  const values = cells.map((c) => ({ ...c, label: `${c.auc.toFixed(2)}${c.chance ? ' ≈ chance' : ''}` }));
  const chance = cells.filter((c) => c.chance).length;
  const x = { field: 'setup', type: 'nominal', sort: order, title: null, axis: { labelAngle: 0, orient: 'top' } };
  const y = { field: 'failure', type: 'nominal', sort: failures, title: null };
  const trials = Math.max(...cells.map((c) => c.trials));
  return {
    name: 'failure-auc',
    title: 'Failure detection: AUC per failure and set-up',
    caption: `Area under the ROC curve of the kPCA Mahalanobis distance of the latents, clean against faulty test samples, mean over ${trials} trial${trials === 1 ? '' : 's'} (0.5 = chance, 1 = perfect separation). ${chance} of ${cells.length} cells are marked "≈ chance": their AUC is within 1.96 standard errors of 0.5 (Hanley–McNeil, from each trial's sample counts).`,
    spec: topLevel({
      data: { values },
      width: Math.min(PAGE_WIDTH - 360, Math.max(240, 150 * order.length)),
      height: Math.max(60, 26 * failures.length),
      layer: [
        { mark: { type: 'rect', stroke: 'white' }, encoding: { x, y, color: { field: 'auc', type: 'quantitative', title: 'AUC', scale: { scheme: 'blueorange', domain: [0, 1], domainMid: 0.5 } } } },
        {
          mark: { type: 'text', fontSize: 11 },
          encoding: { x, y, text: { field: 'label', type: 'nominal' }, color: { condition: { test: 'abs(datum.auc - 0.5) > 0.3', value: 'white' }, value: 'black' } },
        },
      ],
    }),
  };
}

/** ROC points of kept distances (a sample is called faulty at distance ≥ t), at most `points` of them. */
export function rocPoints(clean: readonly number[], faulty: readonly number[], points = 200): Array<{ fpr: number; tpr: number }> {
  const thresholds = [...new Set([...clean, ...faulty].filter(Number.isFinite))].sort((a, b) => b - a);
  const step = Math.max(1, Math.ceil(thresholds.length / points));
  const curve = [{ fpr: 0, tpr: 0 }];
  for (let i = 0; i < thresholds.length; i += step) {
    const t = thresholds[i];
    curve.push({ fpr: clean.filter((d) => d >= t).length / Math.max(1, clean.length), tpr: faulty.filter((d) => d >= t).length / Math.max(1, faulty.length) });
  }
  curve.push({ fpr: 1, tpr: 1 });
  return curve;
}

/** ROC curves of the most and the least separable failure (by mean AUC over set-ups), one line per set-up, first trial. */
export function rocFigure(file: FailureDetectionFile, setups: readonly string[], cells: readonly AucCell[] = aucCells(file)): FigureSpec | undefined {
  const byFailure = new Map<string, number[]>();
  for (const c of cells) byFailure.set(c.failure, [...(byFailure.get(c.failure) ?? []), c.auc]);
  const ranked = [...byFailure.entries()].map(([failure, aucs]) => ({ failure, auc: aucs.reduce((a, b) => a + b, 0) / aucs.length })).sort((a, b) => b.auc - a.auc);
  if (ranked.length === 0) return undefined;
  const chosen = ranked.length === 1 ? [ranked[0]] : [ranked[0], ranked[ranked.length - 1]];
  const values: VegaLiteSpec[] = [];
  for (const { failure, auc } of chosen) {
    const panel = `${failure} (${chosen.length > 1 && failure === chosen[0].failure ? 'most' : chosen.length > 1 ? 'least' : 'only'} separable, mean AUC ${auc.toFixed(2)})`;
    for (const [setup, entry] of Object.entries(file.setups)) {
      const result = firstTrial(entry)?.results.find((r) => r.failure === failure);
      if (!result?.distances) continue;
      rocPoints(result.distances.clean, result.distances.faulty).forEach((p, i) => values.push({ kind: 'roc', panel, setup, i, ...p }));
    }
    values.push({ kind: 'chance', panel, fpr: 0, tpr: 0 }, { kind: 'chance', panel, fpr: 1, tpr: 1 });
  }
  if (!values.some((v) => v.kind === 'roc')) return undefined;
  const panels = [...new Set(values.filter((v) => v.kind === 'roc').map((v) => v.panel as string))];
  const x = { field: 'fpr', type: 'quantitative', title: 'false positive rate', scale: { domain: [0, 1] } };
  const y = { field: 'tpr', type: 'quantitative', title: 'true positive rate', scale: { domain: [0, 1] } };
  return {
    name: 'failure-roc',
    title: 'ROC curves of the most and least separable failures',
    caption: "True against false positive rate as the distance threshold moves, from the first trial's kept distances (up to keepDistances per side); the dashed diagonal is chance.",
    spec: topLevel({
      data: { values: values.filter((v) => panels.includes(v.panel as string)) },
      facet: { field: 'panel', type: 'nominal', title: null, sort: panels },
      columns: panels.length,
      spec: {
        width: Math.min(360, panelWidth(panels.length)),
        height: Math.min(360, panelWidth(panels.length)),
        layer: [
          { transform: [{ filter: "datum.kind === 'chance'" }], mark: { type: 'line', color: '#999', strokeDash: [4, 4] }, encoding: { x, y } },
          { transform: [{ filter: "datum.kind === 'roc'" }], mark: { type: 'line', strokeWidth: 2 }, encoding: { x, y, color: setupColor(setups), order: { field: 'i', type: 'quantitative' } } },
        ],
      },
    }),
  };
}
