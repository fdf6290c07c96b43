import * as tf from '@tensorflow/tfjs-core';
import { createRng, deriveSeed } from '@mmfuse/core';
import { chunkedJvp, chunkedJvpFromValue, chunkedVjpWithValue } from './jacobian-products';
import { COMMON_ESTIMATOR_PROPERTIES, CommonEstimatorOptions, Estimator, samplesUsed, SharedForward } from './estimator';
import type { LipschitzResult } from './lipschitz-result';
import type { LipschitzTarget } from './lipschitz-target';
import { unitRows } from './random-tensors';
import { maxOf, meanOf, normalizeRows, rowNorms, sliceRows } from './row-ops';

export interface JacobianSpectralOptions extends CommonEstimatorOptions {
  type: 'jacobian-spectral';
  /** Power iterations (reverse passes) per sample when no earlier directions are kept. */
  iterations: number;
  /** Power iterations when the directions of the previous call are reused. */
  warmIterations: number;
  /** Start from the previous call's directions for the same target (same samples, slowly changing weights). */
  warmStart: boolean;
  /**
   * Warm calls form new directions (one forward pass) on every `refreshEvery`-th call only; the
   * others reuse the kept directions with the new weights, at the cost of one reverse pass.
   */
  refreshEvery: number;
  /**
   * How J v is formed to choose the next direction: `difference` (one forward pass from the f(x)
   * the reverse pass computed, the default) or `exact` (differentiating the VJP). The reported
   * values are exact VJP norms either way.
   */
  jvp: 'difference' | 'exact';
}

export const JACOBIAN_SPECTRAL_DEFAULTS: Omit<JacobianSpectralOptions, 'type'> = { iterations: 3, warmIterations: 1, warmStart: true, refreshEvery: 1, jvp: 'difference', samples: 0, seed: 0 };

export const JACOBIAN_SPECTRAL_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    type: { const: 'jacobian-spectral', description: 'Power iteration on JJᵀ at each sample: a lower bound of the l2 Lipschitz constant.' },
    iterations: { type: 'integer', minimum: 1, maximum: 1000, default: JACOBIAN_SPECTRAL_DEFAULTS.iterations, description: 'Power iterations per sample on a cold start (each is one VJP, which gives the value, and one JVP, which gives the next direction).' },
    warmIterations: { type: 'integer', minimum: 1, maximum: 1000, default: JACOBIAN_SPECTRAL_DEFAULTS.warmIterations, description: 'Power iterations per sample when the previous evaluation\'s directions are reused; after evaluations the tracker\'s time budget skipped, one more per skipped evaluation, up to "iterations".' },
    warmStart: { type: 'boolean', default: JACOBIAN_SPECTRAL_DEFAULTS.warmStart, description: 'Reuse each sample\'s direction from the previous evaluation of the same sub-model (the samples are fixed per trial).' },
    refreshEvery: {
      type: 'integer',
      minimum: 1,
      maximum: 1000,
      default: JACOBIAN_SPECTRAL_DEFAULTS.refreshEvery,
      description: 'With a warm start: form new directions (one forward pass) on every N-th evaluation; in between, the kept directions are reused with the new weights (one reverse pass). Values stay lower bounds either way; 1 = refresh every evaluation.',
    },
    jvp: {
      enum: ['difference', 'exact'],
      default: JACOBIAN_SPECTRAL_DEFAULTS.jvp,
      description: 'How J·v picks the next direction: a forward difference (one forward pass from the f(x) of the VJP) or exactly (a reverse pass through the VJP). Reported values are exact VJP norms either way, so both give lower bounds.',
    },
    ...COMMON_ESTIMATOR_PROPERTIES,
  },
};

/**
 * ‖J_f(x)‖₂ per sample by power iteration on JJᵀ, then the max over the samples. Each iteration
 * takes one reverse pass, b = J_f(x)ᵀŵ for unit output directions ŵ, and reports ‖b‖; it then
 * forms the next directions ŵ ∝ J v with v = b/‖b‖. Each reported value is ‖J_f(x)ᵀŵ‖ for a
 * unit ŵ, so it never exceeds ‖J_f(x)‖₂ and hence never exceeds the l2 Lipschitz constant of f:
 * a lower bound, whatever the number of iterations and however J v was formed. With a warm start
 * the directions of the previous evaluation are the first ŵ, so one reverse and one forward pass
 * per evaluation keep the estimate converging as the weights move.
 */
export class JacobianSpectralEstimator implements Estimator {
  readonly type = 'jacobian-spectral' as const;
  readonly options: JacobianSpectralOptions;
  private readonly directions = new Map<string, tf.Tensor2D>();
  /** Warm calls per target since the directions were last formed. */
  private readonly sinceRefresh = new Map<string, number>();
  /** Evaluations skipped in this trial, and how many of them each target has made up for. */
  private skips = 0;
  private readonly skipsSeen = new Map<string, number>();
  /** The trial's last evaluation: no directions are formed for a next one. */
  private final = false;

  constructor(options: Partial<JacobianSpectralOptions> = {}) {
    this.options = { ...JACOBIAN_SPECTRAL_DEFAULTS, ...options, type: 'jacobian-spectral' };
  }

  async estimate(target: LipschitzTarget, samples: tf.Tensor2D, seed = 0, shared?: SharedForward): Promise<LipschitzResult> {
    const started = performance.now();
    const n = samplesUsed(samples, this.options.samples);
    const rng = createRng(deriveSeed(seed, this.options.seed, this.type, target.name));
    const x = sliceRows(samples, 0, n);
    const kept = this.directions.get(target.name);
    const warm = this.options.warmStart && kept !== undefined && kept.shape[0] === n && kept.shape[1] === target.outputSize;
    // A cold start from Gaussian output directions: Jᵀg already leans towards the top singular vectors.
    let w: tf.Tensor2D = warm ? tf.clone(kept!) : unitRows(rng, n, target.outputSize);
    // A warm call after skipped evaluations does the iterations they would have done, up to a cold start's.
    const owed = this.skips - (this.skipsSeen.get(target.name) ?? this.skips);
    this.skipsSeen.set(target.name, this.skips);
    const iterations = warm ? Math.min(this.options.warmIterations * (1 + owed), Math.max(this.options.iterations, this.options.warmIterations)) : this.options.iterations;
    const calls = warm ? (this.sinceRefresh.get(target.name) ?? 0) + 1 : 0;
    // The last iteration's new directions only serve the next call: formed on every refreshEvery-th warm call.
    const refresh = this.options.warmStart && !this.final && (!warm || calls >= this.options.refreshEvery);
    this.sinceRefresh.set(target.name, refresh ? 0 : calls);
    let values: number[] = new Array(n).fill(0);
    for (let t = 0; t < iterations; t++) {
      const { product: back, value } = chunkedVjpWithValue(target, x, w);
      if (t === 0) shared?.put(target, samples, n, value);
      values = await rowNorms(back);
      // The next directions: only for a further iteration or for the next evaluation.
      if (t < iterations - 1 || refresh) {
        const v = await normalizeRows(back, () => unitRows(rng, n, target.inputSize));
        const forward = this.options.jvp === 'exact' ? chunkedJvp(target, x, v) : chunkedJvpFromValue(target, x, value, v);
        const next = await normalizeRows(forward, () => unitRows(rng, n, target.outputSize));
        tf.dispose([v, forward, w]);
        w = next;
      }
      tf.dispose([back, value]);
    }
    this.keep(target.name, w);
    x.dispose();
    return {
      estimator: this.type,
      quantity: 'spectral-local',
      bound: 'lower',
      of: `the l2 Lipschitz constant of ${target.name}`,
      relation: '‖J(x)ᵀw‖ ≤ ‖J(x)‖₂ ≤ L for unit w at each sample: a lower bound of L',
      value: maxOf(values),
      mean: meanOf(values),
      perSample: values,
      samples: n,
      seconds: (performance.now() - started) / 1000,
      method: `power iteration on JJᵀ, ${iterations} reverse pass${iterations === 1 ? '' : 'es'} per sample (${warm ? `warm start from the kept directions${refresh ? ', refreshed for the next evaluation' : ''}` : 'cold start from Gaussian directions'}); J·v ${this.options.jvp === 'exact' ? 'by differentiating the VJP' : 'by forward differences'}, values exact VJP norms`,
      norm: target.norm,
    };
  }

  reset(): void {
    for (const w of this.directions.values()) w.dispose();
    this.directions.clear();
    this.sinceRefresh.clear();
    this.skips = 0;
    this.skipsSeen.clear();
    this.final = false;
  }

  skipped(): void {
    this.skips++;
  }

  finalEvaluation(): void {
    this.final = true;
  }

  private keep(name: string, w: tf.Tensor2D): void {
    this.directions.get(name)?.dispose();
    if (this.options.warmStart) this.directions.set(name, w);
    else w.dispose();
  }
}
