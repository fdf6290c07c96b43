import * as tf from '@tensorflow/tfjs-core';
import { createRng, deriveSeed, permutation, Rng } from '@mmfuse/core';
import { COMMON_ESTIMATOR_PROPERTIES, CommonEstimatorOptions, Estimator, samplesUsed, SharedForward } from './estimator';
import { chunkedApply, chunkedJvpFromValue, chunkedVjp } from './jacobian-products';
import { FROBENIUS_RELATION, LipschitzResult } from './lipschitz-result';
import type { LipschitzTarget } from './lipschitz-target';
import { gaussianArray } from './random-tensors';
import { maxOf, meanOf, readAndDispose, repeatRows, rowsPerBatch, sliceRows } from './row-ops';

/**
 * - `exact`: one VJP per output coordinate (batched), the whole Jacobian;
 * - `subset`: the paper's Algorithm 1, `probes` random output coordinates per sample, rescaled by
 *   n_out / probes so that the squared norm is unbiased;
 * - `projection`: `probes` Gaussian vectors, E‖Jg‖² = E‖gᵀJ‖² = ‖J‖_F² (unbiased for the square);
 *   by default J·g by a forward difference from the f(x) another estimator of the evaluation
 *   computed (one forward pass per probe), or exactly, gᵀJ by a reverse pass (`products: exact`);
 * - `auto`: exact when the Jacobian has at most `exactUpTo` entries (n_in·n_out: fusions and
 *   series sub-models), projection otherwise (image encoders and decoders, the whole model).
 */
export type FrobeniusMethod = 'auto' | 'exact' | 'subset' | 'projection';

export interface JacobianFrobeniusOptions extends CommonEstimatorOptions {
  type: 'jacobian-frobenius';
  method: FrobeniusMethod;
  /** Output coordinates (subset) or Gaussian vectors (projection) per sample. */
  probes: number;
  /** `auto` computes the whole Jacobian when it has at most this many entries (n_in·n_out). */
  exactUpTo: number;
  /** Projections: J·g by forward differences (`difference`) or gᵀJ by reverse passes (`exact`). */
  products: 'difference' | 'exact';
}

export const JACOBIAN_FROBENIUS_DEFAULTS: Omit<JacobianFrobeniusOptions, 'type'> = { method: 'auto', probes: 1, exactUpTo: 65536, products: 'difference', samples: 0, seed: 0 };

export const JACOBIAN_FROBENIUS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    type: { const: 'jacobian-frobenius', description: 'Max over the samples of ‖J_f(x)‖_F (Algorithm 1). Not the l2 constant: it may exceed it by up to √min(n_in, n_out).' },
    method: {
      enum: ['auto', 'exact', 'subset', 'projection'],
      default: JACOBIAN_FROBENIUS_DEFAULTS.method,
      description: 'exact = every output gradient; subset = the paper\'s random output gradients rescaled to be unbiased; projection = Gaussian probes (E‖vᵀJ‖² = ‖J‖_F²); auto = exact for Jacobians of at most exactUpTo entries, else projection.',
    },
    probes: { type: 'integer', minimum: 1, maximum: 100000, default: JACOBIAN_FROBENIUS_DEFAULTS.probes, description: 'Output coordinates (subset) or Gaussian vectors (projection) per sample; each costs one VJP per sample (one forward pass for projections by difference).' },
    exactUpTo: { type: 'integer', minimum: 0, maximum: 1000000000, default: JACOBIAN_FROBENIUS_DEFAULTS.exactUpTo, description: 'With method auto: compute the whole Jacobian (one VJP per output coordinate) when it has at most this many entries n_in·n_out.' },
    products: {
      enum: ['difference', 'exact'],
      default: JACOBIAN_FROBENIUS_DEFAULTS.products,
      description: 'Projections only: J·g for Gaussian g in input space by a forward difference (one forward pass per probe, reusing f(x)), or gᵀJ for Gaussian g in output space by a reverse pass each. Both are unbiased for ‖J‖_F², the difference up to its O(h) truncation (none for piecewise-linear maps away from kinks).',
    },
    ...COMMON_ESTIMATOR_PROPERTIES,
  },
};

/** ‖J_f(x)‖_F per sample, max over the samples. */
export class JacobianFrobeniusEstimator implements Estimator {
  readonly type = 'jacobian-frobenius' as const;
  readonly options: JacobianFrobeniusOptions;

  constructor(options: Partial<JacobianFrobeniusOptions> = {}) {
    this.options = { ...JACOBIAN_FROBENIUS_DEFAULTS, ...options, type: 'jacobian-frobenius' };
  }

  async estimate(target: LipschitzTarget, samples: tf.Tensor2D, seed = 0, shared?: SharedForward): Promise<LipschitzResult> {
    const started = performance.now();
    const n = samplesUsed(samples, this.options.samples);
    const rng = createRng(deriveSeed(seed, this.options.seed, this.type, target.name));
    const method = this.resolveMethod(target);
    const probes = method === 'exact' ? target.outputSize : Math.min(this.options.probes, method === 'subset' ? target.outputSize : Number.MAX_SAFE_INTEGER);
    const byDifference = method === 'projection' && this.options.products === 'difference';
    const x = sliceRows(samples, 0, n);
    const squares = byDifference ? await this.squaresByDifference(target, samples, x, probes, rng, shared) : await this.squaresByReversePasses(target, method, x, probes, rng);
    // exact: Σ of every row; subset: n_out/k Σ of k rows; projection: mean over k probes.
    const scale = method === 'exact' ? 1 : method === 'subset' ? target.outputSize / probes : 1 / probes;
    const values = Array.from(squares, (s) => Math.sqrt(s * scale));
    x.dispose();
    return {
      estimator: this.type,
      quantity: 'frobenius-local',
      bound: 'none',
      of: `the l2 Lipschitz constant of ${target.name}`,
      relation:
        method === 'exact'
          ? `${FROBENIUS_RELATION} (max over the samples of ‖J(x)‖_F, which may exceed ‖J(x)‖₂ by up to √min(n_in, n_out))`
          : `${FROBENIUS_RELATION} (max over the samples of an unbiased estimate of each ‖J(x)‖_F²)`,
      value: maxOf(values),
      mean: meanOf(values),
      perSample: values,
      samples: n,
      seconds: (performance.now() - started) / 1000,
      method:
        method === 'exact'
          ? `exact: all ${target.outputSize} output gradients per sample`
          : method === 'subset'
            ? `random subset of ${probes} of ${target.outputSize} output gradients per sample, rescaled by n_out/k`
            : byDifference
              ? `random projection: ${probes} Gaussian probe${probes === 1 ? '' : 's'} g per sample, E‖Jg‖² = ‖J‖_F², J·g by forward differences`
              : `random projection: ${probes} Gaussian probe${probes === 1 ? '' : 's'} per sample, E‖gᵀJ‖² = ‖J‖_F²`,
      norm: target.norm,
    };
  }

  reset(): void {
    // no state
  }

  /** Σ over probes of ‖J g‖² per sample: f(x) once (or from the spectral estimator), then one forward pass per probe. */
  private async squaresByDifference(target: LipschitzTarget, samples: tf.Tensor2D, x: tf.Tensor2D, probes: number, rng: Rng, shared?: SharedForward): Promise<Float64Array> {
    const n = x.shape[0];
    const squares = new Float64Array(n);
    const known = shared?.get(target, samples, n);
    const value = known ?? chunkedApply(target, x);
    for (let p = 0; p < probes; p++) {
      const values = await readAndDispose(tf.tidy(() => {
        const g = tf.tensor2d(gaussianArray(rng, n * target.inputSize), [n, target.inputSize]);
        const norms = tf.sqrt(tf.sum(tf.square(g), 1, true));
        // J·g = ‖g‖ J·ĝ; the difference is taken along the unit ĝ so its step stays small.
        const along = chunkedJvpFromValue(target, x, value, tf.div(g, norms) as tf.Tensor2D);
        return tf.mul(tf.sum(tf.square(along), 1), tf.squeeze(tf.square(norms), [1]));
      }));
      for (let b = 0; b < n; b++) squares[b] += values[b];
    }
    if (!known) value.dispose();
    return squares;
  }

  /** Σ over probes of ‖uᵀJ‖² per sample, by reverse passes; the probes of all samples go through together, in slices that fit in memory. */
  private async squaresByReversePasses(target: LipschitzTarget, method: Exclude<FrobeniusMethod, 'auto'>, x: tf.Tensor2D, probes: number, rng: Rng): Promise<Float64Array> {
    const n = x.shape[0];
    const squares = new Float64Array(n);
    const perSlice = Math.max(1, Math.floor(rowsPerBatch(Math.max(target.inputSize, target.outputSize)) / n));
    const coordinates = method === 'subset' ? Array.from({ length: n }, () => permutation(target.outputSize, rng).subarray(0, probes)) : [];
    for (let first = 0; first < probes; first += perSlice) {
      const count = Math.min(perSlice, probes - first);
      const u = this.probeRows(method, target.outputSize, n, first, count, coordinates, rng);
      const repeated = repeatRows(x, count);
      const rows = chunkedVjp(target, repeated, u);
      const rowSquares = tf.tidy(() => tf.sum(tf.reshape(tf.square(rows), [n, count * target.inputSize]), 1));
      const values = await rowSquares.data();
      for (let b = 0; b < n; b++) squares[b] += values[b];
      tf.dispose([u, repeated, rows, rowSquares]);
    }
    return squares;
  }

  private resolveMethod(target: LipschitzTarget): Exclude<FrobeniusMethod, 'auto'> {
    if (this.options.method !== 'auto') return this.options.method;
    return target.inputSize * target.outputSize <= this.options.exactUpTo ? 'exact' : 'projection';
  }

  /** Rows for probes `first..first+count` of every sample, sample-major like `repeatRows`. */
  private probeRows(method: Exclude<FrobeniusMethod, 'auto'>, width: number, n: number, first: number, count: number, coordinates: Int32Array[], rng: Rng): tf.Tensor2D {
    if (method === 'projection') return tf.tensor2d(gaussianArray(rng, n * count * width), [n * count, width]);
    const values = new Float32Array(n * count * width);
    for (let b = 0; b < n; b++) {
      for (let j = 0; j < count; j++) {
        const coordinate = method === 'exact' ? first + j : coordinates[b][first + j];
        values[(b * count + j) * width + coordinate] = 1;
      }
    }
    return tf.tensor2d(values, [n * count, width]);
  }
}
