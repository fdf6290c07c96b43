import type { RunData, SetupSummaryData } from './run-data';
import { lossKeysOf, setupsOf } from './run-data';
import { MeanStd, meanStd } from './statistics';

export type Split = 'train' | 'test';

/** One point of a loss curve: mean and sample std over trials of one epoch's loss, and the band mean ± std. */
export interface LossCurvePoint {
  setup: string;
  split: Split;
  loss: string;
  epoch: number;
  mean: number;
  std: number;
  lower: number;
  upper: number;
  n: number;
}

function divergedTrials(setup: SetupSummaryData | undefined): Set<number> {
  return new Set((setup?.diverged ?? []).map((d) => d.trial));
}

/**
 * Loss curves over trials per set-up, split and loss key. From metrics.jsonl when the run wrote it
 * (diverged trials left out, as in the summary's statistics), otherwise from summary.json's curves.
 */
export function lossCurves(data: RunData): LossCurvePoint[] {
  const points: LossCurvePoint[] = [];
  const keys = lossKeysOf(data);
  for (const setup of setupsOf(data)) {
    const diverged = divergedTrials(data.summary.setups[setup]);
    const rows = data.metrics.filter((r) => r.setup === setup && !diverged.has(r.trial));
    for (const split of ['train', 'test'] as const) {
      for (const loss of keys) {
        if (rows.length > 0) {
          const epochs = [...new Set(rows.map((r) => r.epoch))].sort((a, b) => a - b);
          for (const epoch of epochs) {
            const stats = meanStd(rows.filter((r) => r.epoch === epoch).map((r) => r[split][loss]).filter((v): v is number => typeof v === 'number'));
            if (stats.n > 0) points.push(curvePoint(setup, split, loss, epoch, stats));
          }
        } else {
          const curve = data.summary.setups[setup].curves?.[split]?.[loss];
          curve?.mean.forEach((mean, i) => points.push(curvePoint(setup, split, loss, i + 1, { mean, std: curve.std[i] ?? 0, n: data.summary.setups[setup].trials ?? NaN })));
        }
      }
    }
  }
  return points;
}

function curvePoint(setup: string, split: Split, loss: string, epoch: number, stats: MeanStd): LossCurvePoint {
  return { setup, split, loss, epoch, mean: stats.mean, std: stats.std, lower: stats.mean - stats.std, upper: stats.mean + stats.std, n: stats.n };
}

/** Every finished trial's final loss, per set-up, split and loss key (from summary.json). */
export interface FinalLossValue {
  setup: string;
  split: Split;
  loss: string;
  /** Position among the set-up's finished trials. */
  index: number;
  value: number;
}

export function finalLossValues(data: RunData): FinalLossValue[] {
  const out: FinalLossValue[] = [];
  for (const setup of setupsOf(data)) {
    for (const split of ['train', 'test'] as const) {
      for (const [loss, stats] of Object.entries(data.summary.setups[setup].final[split])) {
        (stats.values ?? []).forEach((value, index) => {
          if (Number.isFinite(value)) out.push({ setup, split, loss, index, value });
        });
      }
    }
  }
  return out;
}

/** Estimators by how directly they speak of the l2 Lipschitz constant: the first present is "the estimate". */
const ESTIMATE_PREFERENCE = ['jacobian-spectral', 'difference-quotient', 'jacobian-frobenius', 'gradient-ratio'];
export const CERTIFIED_ESTIMATOR = 'certified-bound';

const ESTIMATOR_LABELS: Record<string, string> = {
  'jacobian-spectral': 'spectral ‖J‖₂ (lower bound)',
  'jacobian-frobenius': 'Frobenius ‖J‖_F (not l2)',
  'difference-quotient': 'difference quotient (lower bound)',
  'gradient-ratio': 'gradient ratio (of ∇)',
  'certified-bound': 'certified (upper bound)',
};

export function estimatorLabel(estimator: string): string {
  return ESTIMATOR_LABELS[estimator] ?? estimator;
}

/** Estimators in display order: estimates by preference, then unknown ones, the certified bound last. */
export function orderEstimators(estimators: Iterable<string>): string[] {
  const rank = (e: string) => (e === CERTIFIED_ESTIMATOR ? 1000 : ESTIMATE_PREFERENCE.includes(e) ? ESTIMATE_PREFERENCE.indexOf(e) : 500);
  return [...new Set(estimators)].sort((a, b) => rank(a) - rank(b));
}

/** The estimator that stands for "the Lipschitz estimate" among those present. */
export function preferredEstimate(estimators: Iterable<string>): string | undefined {
  return orderEstimators(estimators).find((e) => e !== CERTIFIED_ESTIMATOR);
}

/** Sub-models in model order: encoders, fusion, decoders, the whole model. */
export function orderSubModels(names: Iterable<string>): string[] {
  const rank = (n: string) => (n.startsWith('encoder:') ? 0 : n === 'fusion' ? 1 : n.startsWith('decoder:') ? 2 : n === 'model' ? 4 : 3);
  const unique = [...new Set(names)];
  return unique.sort((a, b) => rank(a) - rank(b) || unique.indexOf(a) - unique.indexOf(b));
}

export interface LipschitzCurvePoint {
  setup: string;
  subModel: string;
  estimator: string;
  epoch: number;
  mean: number;
  std: number;
  n: number;
}

/** Mean and std over trials of each evaluation, per set-up, sub-model and estimator. */
export function lipschitzCurves(data: RunData): LipschitzCurvePoint[] {
  const groups = new Map<string, { setup: string; subModel: string; estimator: string; epoch: number; values: number[] }>();
  for (const r of data.lipschitz) {
    const key = [r.setup, r.subModel, r.estimator, r.epoch].join('\u0000');
    const group = groups.get(key) ?? { setup: r.setup, subModel: r.subModel, estimator: r.estimator, epoch: r.epoch, values: [] };
    group.values.push(r.value);
    groups.set(key, group);
  }
  return [...groups.values()]
    .map(({ values, ...rest }) => ({ ...rest, ...meanStd(values) }))
    .sort((a, b) => a.epoch - b.epoch);
}

/** Final Lipschitz value of a set-up's sub-model for one estimator: each trial's last evaluation, mean ± std over trials. */
export interface FinalLipschitz {
  setup: string;
  subModel: string;
  estimator: string;
  bound?: string;
  mean: number;
  std: number;
  n: number;
}

const ESTIMATOR_OF_QUANTITY: Record<string, string> = {
  spectral: 'jacobian-spectral',
  frobenius: 'jacobian-frobenius',
  'difference-quotient': 'difference-quotient',
  'gradient-ratio': 'gradient-ratio',
  'upper-bound': 'certified-bound',
  // the vocabulary of current lipschitz rows
  'spectral-local': 'jacobian-spectral',
  'frobenius-local': 'jacobian-frobenius',
  certified: 'certified-bound',
};

/**
 * From lipschitz.jsonl (each trial's last evaluated epoch), or, without it, from the tracker's
 * summary in summary.json (`callbacks.lipschitz.data.final`). Empty when neither exists.
 */
export function finalLipschitz(data: RunData): FinalLipschitz[] {
  if (data.lipschitz.length > 0) {
    const last = new Map<string, { epoch: number; value: number; bound?: string }>();
    for (const r of data.lipschitz) {
      const key = [r.setup, r.subModel, r.estimator, r.trial].join('\u0000');
      const known = last.get(key);
      if (!known || r.epoch >= known.epoch) last.set(key, { epoch: r.epoch, value: r.value, bound: r.bound });
    }
    const groups = new Map<string, FinalLipschitz & { values: number[] }>();
    for (const [key, { value, bound }] of last) {
      const [setup, subModel, estimator] = key.split('\u0000');
      const groupKey = [setup, subModel, estimator].join('\u0000');
      const group = groups.get(groupKey) ?? { setup, subModel, estimator, bound, mean: NaN, std: NaN, n: 0, values: [] };
      group.values.push(value);
      groups.set(groupKey, group);
    }
    return [...groups.values()].map(({ values, ...rest }) => ({ ...rest, ...meanStd(values) }));
  }
  const final = data.summary.callbacks?.lipschitz?.data?.final;
  if (typeof final !== 'object' || final === null) return [];
  const out: FinalLipschitz[] = [];
  for (const [setup, subModels] of Object.entries(final as Record<string, Record<string, Record<string, { mean: number; std: number; n: number; bound?: string; quantity?: string }>>>)) {
    for (const [subModel, columns] of Object.entries(subModels ?? {})) {
      for (const [label, cell] of Object.entries(columns ?? {})) {
        const estimator = (cell.quantity && ESTIMATOR_OF_QUANTITY[cell.quantity]) || label;
        out.push({ setup, subModel, estimator, bound: cell.bound, mean: cell.mean, std: cell.std, n: cell.n });
      }
    }
  }
  return out;
}
