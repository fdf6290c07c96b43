import type { LossRecord } from '@mmfuse/core';
import { MeanStd, meanStd } from './statistics';
import type { EpochRecord } from './trial-trainer';

export interface TrialOutcome {
  setup: string;
  trial: number;
  seed: number;
  seconds: number;
  epochs: EpochRecord[];
}

export interface SetupSummary {
  /** Fusion type and options of this set-up. */
  fusion: Record<string, unknown>;
  trials: number;
  parameters: number;
  /** Losses after the last epoch over trials: mean, sample std (n − 1), and each trial's value. */
  final: { train: Record<string, MeanStd & { values: number[] }>; test: Record<string, MeanStd & { values: number[] }> };
  /** Mean and std over trials of each epoch's loss, for curves. */
  curves: { train: Record<string, { mean: number[]; std: number[] }>; test: Record<string, { mean: number[]; std: number[] }> };
  secondsPerTrial: MeanStd;
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
export function summarizeSetup(outcomes: TrialOutcome[], fusion: Record<string, unknown>, parameters: number): SetupSummary {
  const keys = Object.keys(outcomes[0].epochs[0].test as LossRecord);
  const pick = <T>(f: (split: 'train' | 'test', key: string) => T) =>
    ({ train: Object.fromEntries(keys.map((k) => [k, f('train', k)])), test: Object.fromEntries(keys.map((k) => [k, f('test', k)])) }) as { train: Record<string, T>; test: Record<string, T> };
  return {
    fusion,
    trials: outcomes.length,
    parameters,
    final: pick((split, key) => finalOf(outcomes, split, key)),
    curves: pick((split, key) => curveOf(outcomes, split, key)),
    secondsPerTrial: meanStd(outcomes.map((o) => o.seconds)),
  };
}
