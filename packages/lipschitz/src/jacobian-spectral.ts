import * as tf from '@tensorflow/tfjs-core';
import { createRng, deriveSeed } from '@mmfuse/core';
import { chunkedJvp, chunkedJvpByDifference, chunkedVjp } from './jacobian-products';
import { COMMON_ESTIMATOR_PROPERTIES, CommonEstimatorOptions, Estimator, samplesUsed } from './estimator';
import type { LipschitzResult } from './lipschitz-result';
import type { LipschitzTarget } from './lipschitz-target';
import { gaussianTensor, unitRows } from './random-tensors';
import { maxOf, meanOf, normalizeRows, rowNorms, sliceRows } from './row-ops';

export interface JacobianSpectralOptions extends CommonEstimatorOptions {
  type: 'jacobian-spectral';
  /** Power iterations on JᵀJ per sample when no earlier vector is kept. */
  iterations: number;
  /** Power iterations when the vector of the previous call is reused. */
  warmIterations: number;
  /** Start from the previous call's vector for the same target (same samples, slowly changing weights). */
  warmStart: boolean;
  /**
   * How J v is formed to choose the next direction: `difference` (two forward passes, the default)
   * or `exact` (differentiating the VJP). The reported values are exact VJP norms either way.
   */
  jvp: 'difference' | 'exact';
}

export const JACOBIAN_SPECTRAL_DEFAULTS: Omit<JacobianSpectralOptions, 'type'> = { iterations: 2, warmIterations: 1, warmStart: true, jvp: 'difference', samples: 0, seed: 0 };

export const JACOBIAN_SPECTRAL_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    type: { const: 'jacobian-spectral', description: 'Power iteration on JᵀJ at each sample: a lower bound of the l2 Lipschitz constant.' },
    iterations: { type: 'integer', minimum: 1, maximum: 1000, default: JACOBIAN_SPECTRAL_DEFAULTS.iterations, description: 'Power iterations per sample on a cold start (each is one JVP and one VJP).' },
    warmIterations: { type: 'integer', minimum: 1, maximum: 1000, default: JACOBIAN_SPECTRAL_DEFAULTS.warmIterations, description: 'Power iterations per sample when the previous evaluation\'s vectors are reused.' },
    warmStart: { type: 'boolean', default: JACOBIAN_SPECTRAL_DEFAULTS.warmStart, description: 'Reuse each sample\'s vector from the previous evaluation of the same sub-model (the samples are fixed per trial).' },
    jvp: {
      enum: ['difference', 'exact'],
      default: JACOBIAN_SPECTRAL_DEFAULTS.jvp,
      description: 'How J·v picks the next direction: a central difference (two forward passes) or exactly (a reverse pass through the VJP). Reported values are exact VJP norms either way, so both give lower bounds.',
    },
    ...COMMON_ESTIMATOR_PROPERTIES,
  },
};

/**
 * ‖J_f(x)‖₂ per sample by power iteration on JᵀJ, then the max over the samples. Each reported
 * value is ‖J_f(x)ᵀ w‖ for a unit vector w, so it never exceeds ‖J_f(x)‖₂ and hence never exceeds
 * the l2 Lipschitz constant of f: a lower bound, whatever the number of iterations.
 */
export class JacobianSpectralEstimator implements Estimator {
  readonly type = 'jacobian-spectral' as const;
  readonly options: JacobianSpectralOptions;
  private readonly vectors = new Map<string, tf.Tensor2D>();

  constructor(options: Partial<JacobianSpectralOptions> = {}) {
    this.options = { ...JACOBIAN_SPECTRAL_DEFAULTS, ...options, type: 'jacobian-spectral' };
  }

  estimate(target: LipschitzTarget, samples: tf.Tensor2D, seed = 0): LipschitzResult {
    const started = performance.now();
    const n = samplesUsed(samples, this.options.samples);
    const rng = createRng(deriveSeed(seed, this.options.seed, this.type, target.name));
    const x = sliceRows(samples, 0, n);
    const fallback = unitRows(rng, n, target.inputSize);
    const kept = this.vectors.get(target.name);
    const warm = this.options.warmStart && kept !== undefined && kept.shape[0] === n && kept.shape[1] === target.inputSize;
    let v: tf.Tensor2D;
    if (warm) {
      v = tf.clone(kept!);
    } else {
      // A cold start from Jᵀg (g Gaussian) already leans towards the top singular directions.
      const g = gaussianTensor(rng, [n, target.outputSize]) as tf.Tensor2D;
      const back = chunkedVjp(target, x, g);
      v = normalizeRows(back, fallback);
      tf.dispose([g, back]);
    }
    const iterations = warm ? this.options.warmIterations : this.options.iterations;
    let values: number[] = new Array(n).fill(0);
    for (let t = 0; t < iterations; t++) {
      const w = this.options.jvp === 'exact' ? chunkedJvp(target, x, v) : chunkedJvpByDifference(target, x, v);
      const outputFallback = unitRows(rng, n, target.outputSize);
      const unitW = normalizeRows(w, outputFallback);
      const back = chunkedVjp(target, x, unitW);
      // ‖Jᵀŵ‖ with ‖ŵ‖ = 1 is at least ‖J v‖ and at most ‖J‖₂: the better of the two lower bounds.
      values = rowNorms(back);
      const next = normalizeRows(back, fallback);
      tf.dispose([w, outputFallback, unitW, back, v]);
      v = next;
    }
    this.keep(target.name, v);
    tf.dispose([x, fallback]);
    return {
      estimator: this.type,
      quantity: 'spectral',
      bound: 'lower',
      of: `the l2 Lipschitz constant of ${target.name} (each sample gives ‖J(x)ᵀw‖ ≤ ‖J(x)‖₂ for a unit w)`,
      value: maxOf(values),
      mean: meanOf(values),
      perSample: values,
      samples: n,
      seconds: (performance.now() - started) / 1000,
      method: `power iteration on JᵀJ, ${iterations} iteration${iterations === 1 ? '' : 's'} per sample (${warm ? 'warm start from the previous evaluation' : 'cold start from Jᵀg, g Gaussian'}); J·v ${this.options.jvp === 'exact' ? 'by differentiating the VJP' : 'by central differences'}, values exact VJP norms`,
      norm: target.norm,
    };
  }

  reset(): void {
    for (const v of this.vectors.values()) v.dispose();
    this.vectors.clear();
  }

  private keep(name: string, v: tf.Tensor2D): void {
    this.vectors.get(name)?.dispose();
    if (this.options.warmStart) this.vectors.set(name, v);
    else v.dispose();
  }
}
