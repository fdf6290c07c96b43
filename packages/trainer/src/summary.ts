import type { LossRecord } from '@mmfuse/core';
import type { SetupSummary, TrialOutcome } from '@mmfuse/runs';
import { MeanStd, meanStd } from './statistics';

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
