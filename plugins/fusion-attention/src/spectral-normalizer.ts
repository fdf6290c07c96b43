import * as tf from '@tensorflow/tfjs-core';
import { createRng, normal } from '@mmfuse/core';
import type { SpectralMode } from './attention-fusion-options';

/** Squared norms below this count as zero (well above float32's smallest normal number). */
const TINY = 1e-30;

let vectorCounter = 0;

/**
 * Spectral normalisation of one kernel K `[in, out]` (y = x·K, so K = Wᵀ and σ_max(K) = σ_max(W)):
 * `K̂ = K / max(1, σ̂)` (mode `clip`) or `K̂ = K / σ̂` (mode `rescale`), applied as (x·K) / divisor, with σ̂ from power iteration on KᵀK whose vector u ∈ R^out persists in a
 * non-trainable variable between calls (Miyato et al. 2018). σ̂ = ‖K u‖ reads u from that variable,
 * so gradients treat u (and the left vector, by the envelope theorem) as constants:
 * ∂σ̂/∂K = v uᵀ with v = K u / ‖K u‖.
 *
 * σ̂ ≤ σ_max always, and for fixed K it never decreases from one step to the next (power iteration
 * on a positive semi-definite matrix raises the Rayleigh quotient), so ‖K̂‖₂ = σ_max / max(1, σ̂)
 * only falls from call to call and reaches min(σ_max, 1) as u converges (1 with `rescale`).
 */
export class SpectralNormalizer {
  readonly u: tf.Variable;

  constructor(
    private readonly kernel: tf.Variable,
    private readonly iterations: number,
    seed: number,
    name: string,
    readonly mode: SpectralMode = 'clip',
  ) {
    const out = kernel.shape[1] as number;
    const rng = createRng(seed);
    const values = Float32Array.from({ length: out }, () => normal(rng));
    const norm = Math.hypot(...values) || 1;
    for (let i = 0; i < out; i++) values[i] /= norm;
    const initial = tf.tensor2d(values, [out, 1]);
    this.u = tf.variable(initial, false, `${name}/power-iteration#${++vectorCounter}`);
    initial.dispose();
  }

  /**
   * max(1, σ̂) (`clip`) or σ̂ (`rescale`) for this forward call, so that x·K̂ = (x·K) / divisor(); advances the power iteration
   * first (once per call, `iterations` steps). Dividing the product rather than the kernel touches
   * B·out numbers instead of in·out, in the forward and the backward pass.
   */
  divisor(): tf.Scalar {
    return tf.tidy(() => {
      this.advance(this.iterations);
      const sigma = tf.sqrt(tf.maximum(tf.sum(tf.square(tf.matMul(this.kernel as tf.Tensor2D, this.u as tf.Tensor2D))), TINY));
      return (this.mode === 'clip' ? tf.maximum(sigma, 1) : sigma) as tf.Scalar;
    });
  }

  /** Runs power-iteration steps without a forward call (e.g. after loading weights). */
  refine(steps: number): void {
    tf.tidy(() => this.advance(steps));
  }

  /**
   * σ̂ = ‖K u‖ of the current vector: the estimate the last forward call used, computed on the host
   * in float64 from the two variables (read them back first on a GPU backend: `readWeightsToHost`).
   */
  estimate(): number {
    const kernel = this.kernel.dataSync();
    const u = this.u.dataSync();
    const [rows, cols] = this.kernel.shape as [number, number];
    let sum = 0;
    for (let r = 0; r < rows; r++) {
      let dot = 0;
      for (let c = 0; c < cols; c++) dot += kernel[r * cols + c] * u[c];
      sum += dot * dot;
    }
    return Math.sqrt(sum);
  }

  /** The divisor a call with estimate σ̂ uses (in float64). */
  divisorFor(sigma: number): number {
    return this.mode === 'clip' ? Math.max(1, sigma) : Math.max(sigma, Math.sqrt(TINY));
  }

  /** The persistent right singular vector estimate (length `out`). */
  vector(): Float32Array {
    return this.u.dataSync() as Float32Array;
  }

  dispose(): void {
    this.u.dispose();
  }

  private advance(steps: number): void {
    const kernel = this.kernel as tf.Tensor2D;
    let u = this.u as tf.Tensor2D;
    for (let t = 0; t < steps; t++) {
      const v = unitOrZero(tf.matMul(kernel, u));
      u = unitOr(tf.matMul(kernel, v, true, false), u);
    }
    if (steps > 0) this.u.assign(u);
  }
}

/** x / ‖x‖, or ~0 when x is ~0. */
function unitOrZero(x: tf.Tensor2D): tf.Tensor2D {
  return tf.mul(x, tf.rsqrt(tf.maximum(tf.sum(tf.square(x)), TINY))) as tf.Tensor2D;
}

/** x / ‖x‖, or `fallback` when x is ~0 (a zero kernel must not zero the persistent vector for good). */
function unitOr(x: tf.Tensor2D, fallback: tf.Tensor2D): tf.Tensor2D {
  const squared = tf.sum(tf.square(x));
  const degenerate = tf.cast(tf.lessEqual(squared, TINY), 'float32');
  return tf.add(tf.mul(unitOrZero(x), tf.sub(1, degenerate)), tf.mul(fallback, degenerate)) as tf.Tensor2D;
}
