import type { LossRecord } from '@mmfuse/core';
import { MeanStd, meanStd } from './statistics';
import type { EpochRecord } from './trial-trainer';

export interface TrialOutcome {
  setup: string;
  trial: number;
  seed: number;
  seconds: number;
  /** The epochs it completed. */
  epochs: EpochRecord[];
  /**
   * `diverged`: the loss or weights stopped being finite; the trial stopped there. `failed`: the
   * worker it was handed to failed every time (`error` says why); it has no epochs.
   */
  status: 'done' | 'diverged' | 'failed';
  error?: string;
  divergence?: { epoch: number; step: number; subModel: string | null; details: Record<string, unknown>; /** Where it showed when not in the weights (e.g. "the test loss of camera"). */ where?: string };
  /** L2 norm of each sub-model's parameters (and `model`, all of them) after the last epoch. */
  parameterNorms?: Record<string, number>;
}

export interface SetupSummary {
  /** Fusion type and options of this set-up. */
  fusion: Record<string, unknown>;
  /** Trials that finished; the statistics below are over these only. */
  trials: number;
  /** Trials that diverged, with where; never part of a mean. */
  diverged: Array<{ trial: number; epoch: number; step: number; subModel: string | null; details: Record<string, unknown>; where?: string }>;
  /** Trials whose worker failed every time, with its error; never part of a mean. */
  failed?: Array<{ trial: number; error: string }>;
  parameters: number;
  /** Losses after the last epoch over trials: mean, sample std (n − 1), and each trial's value. */
  final: { train: Record<string, MeanStd & { values: number[] }>; test: Record<string, MeanStd & { values: number[] }> };
  /** Mean and std over trials of each epoch's loss, for curves. */
  curves: { train: Record<string, { mean: number[]; std: number[] }>; test: Record<string, { mean: number[]; std: number[] }> };
  secondsPerTrial: MeanStd;
  /** L2 norm of each sub-model's parameters after training, and of all of them (the λ ablation's second panel). */
  parameterNorms: Record<string, MeanStd>;
  parameterNorm?: MeanStd;
}

function finalOf(outcomes: TrialOutcome[], split: 'train' | 'test', key: string): MeanStd & { values: number[] } {
  const values = outcomes.map((o) => o.epochs[o.epochs.length - 1][split][key]);
  return { ...meanStd(values), values };
}

function curveOf(outcomes: TrialOutcome[], split: 'train' | 'test', key: string): { mean: number[]; std: number[] } {
  const epochs = Math.min(...outcomes.map((o) => o.epochs.length));
  const mean: number[] = [];
  const std: number[] = [];
  for (let e = 0; e < epochs; e++) {
    const s = meanStd(outcomes.map((o) => o.epochs[e][split][key]));
    mean.push(s.mean);
    std.push(s.std);
  }
  return { mean, std };
}

/** Summary of one set-up (one fusion) over its trials, in the shape of the paper's Table 1. */
function parameterNormSummary(outcomes: TrialOutcome[]): Pick<SetupSummary, 'parameterNorms' | 'parameterNorm'> {
  const parameterNorms = Object.fromEntries(
    Object.keys(outcomes[0]?.parameterNorms ?? {}).map((name) => [name, meanStd(outcomes.map((o) => o.parameterNorms?.[name] ?? NaN).filter(Number.isFinite))]),
  );
  return parameterNorms.model ? { parameterNorms, parameterNorm: parameterNorms.model } : { parameterNorms };
}

export function summarizeSetup(all: TrialOutcome[], fusion: Record<string, unknown>, parameters: number): SetupSummary {
  const outcomes = all.filter((o) => o.status === 'done' && o.epochs.length > 0);
  const diverged = all.filter((o) => o.status === 'diverged').map((o) => ({ trial: o.trial, ...o.divergence! }));
  const failed = all.filter((o) => o.status === 'failed').map((o) => ({ trial: o.trial, error: o.error ?? 'unknown error' }));
  const keys = outcomes.length > 0 ? Object.keys(outcomes[0].epochs[0].test as LossRecord) : [];
  const pick = <T>(f: (split: 'train' | 'test', key: string) => T) =>
    ({ train: Object.fromEntries(keys.map((k) => [k, f('train', k)])), test: Object.fromEntries(keys.map((k) => [k, f('test', k)])) }) as { train: Record<string, T>; test: Record<string, T> };
  return {
    fusion,
    trials: outcomes.length,
    diverged,
    ...(failed.length > 0 ? { failed } : {}),
    parameters,
    final: pick((split, key) => finalOf(outcomes, split, key)),
    curves: pick((split, key) => curveOf(outcomes, split, key)),
    secondsPerTrial: meanStd(outcomes.map((o) => o.seconds)),
    ...parameterNormSummary(outcomes),
  };
}
