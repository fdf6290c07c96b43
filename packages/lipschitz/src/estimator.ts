import * as tf from '@tensorflow/tfjs-core';
import type { EstimatorType, LipschitzResult } from './lipschitz-result';
import type { LipschitzTarget } from './lipschitz-target';

/** A Lipschitz estimator for target functions on a batch of sample rows. */
export interface Estimator {
  readonly type: EstimatorType;
  /**
   * Estimates on the rows of `x` (`[N, target.inputSize]`); `seed` picks the random probes.
   * Undefined when the estimator does not apply to the target (e.g. no certified bound known).
   * Asynchronous because values are read back with `data()`: GPU backends under Node have no
   * synchronous read.
   */
  estimate(target: LipschitzTarget, x: tf.Tensor2D, seed?: number, shared?: SharedForward): Promise<LipschitzResult | undefined>;
  /** Forgets warm-start state between trials and frees its tensors. */
  reset(): void;
  /**
   * A scheduled evaluation was skipped (the tracker's time budget): an estimator that refines its
   * state a little at every evaluation may make up for it at the next one.
   */
  skipped?(): void;
  /** The next evaluation is the trial's last: state kept only for a later one need not be formed. */
  finalEvaluation?(): void;
}

/**
 * f at the sample rows of each target, kept for the length of one evaluation so that estimators
 * run one after another need the forward pass only once (the spectral estimator's reverse pass
 * yields it; the Frobenius projection reuses it).
 */
export class SharedForward {
  private readonly values = new Map<string, { rows: tf.Tensor2D; n: number; value: tf.Tensor2D }>();

  /** f at the first `n` of `rows`, when an estimator of this evaluation computed it. */
  get(target: LipschitzTarget, rows: tf.Tensor2D, n: number): tf.Tensor2D | undefined {
    const entry = this.values.get(target.name);
    return entry && entry.rows === rows && entry.n === n && !entry.value.isDisposed ? entry.value : undefined;
  }

  /** Keeps a copy of f at the first `n` of `rows`. */
  put(target: LipschitzTarget, rows: tf.Tensor2D, n: number, value: tf.Tensor2D): void {
    this.values.get(target.name)?.value.dispose();
    this.values.set(target.name, { rows, n, value: tf.clone(value) });
  }

  dispose(): void {
    for (const entry of this.values.values()) entry.value.dispose();
    this.values.clear();
  }
}

/** Options every estimator takes. */
export interface CommonEstimatorOptions {
  /** Use at most this many of the given sample rows (0 = all). */
  samples: number;
  /** Seed of the random probes, mixed with the caller's seed and the target's name. */
  seed: number;
}

export const COMMON_ESTIMATOR_PROPERTIES = {
  samples: { type: 'integer', minimum: 0, maximum: 100000, default: 0, description: 'Use at most this many of the tracked samples (0 = all of them).' },
  seed: { type: 'integer', minimum: 0, maximum: 4294967295, default: 0, description: 'Seed of the random probes and perturbations (mixed with the trial seed and the sub-model name).' },
};

/** The first `samples` rows (all when 0 or more than there are). */
export function samplesUsed(x: tf.Tensor2D, samples: number): number {
  return samples > 0 ? Math.min(samples, x.shape[0]) : x.shape[0];
}
