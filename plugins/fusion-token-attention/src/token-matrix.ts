import * as tf from '@tensorflow/tfjs-core';
import { deriveSeed, Parameter } from '@mmfuse/core';
import type { ParameterSet } from '@mmfuse/core';
import { powerIterationEstimate, SpectralNormalizer } from '@mmfuse/fusion-attention';

export interface TokenMatrixSettings {
  /** Name of the owning sub-model (for variable and buffer names). */
  readonly owner: string;
  readonly spectralNorm: boolean;
  readonly powerIterations: number;
  readonly seed: number;
}

/** A kernel in float64 as the next forward call applies it: K / divisor. */
export interface AppliedKernel {
  /** K `[rows, cols]` row-major (y = x·K). */
  readonly values: Float64Array;
  readonly rows: number;
  readonly cols: number;
  /** max(1, σ̂) of the next forward call, lowered by 1e-5 relative (1 without spectral normalisation). */
  readonly divisor: number;
}

/**
 * One bias-free matrix of the fusion, stored as a kernel K `[in, out]` (y = x·K = W x) named
 * `<owner>/<local>/kernel`, optionally spectrally normalised (K̂ = K / max(1, σ̂) with a persistent
 * power-iteration vector, the buffer `<owner>/<local>/power-iteration`).
 */
export class TokenMatrix {
  readonly kernel: tf.Variable;
  private readonly normalizer?: SpectralNormalizer;

  constructor(
    params: ParameterSet,
    readonly local: string,
    inputSize: number,
    outputSize: number,
    private readonly settings: TokenMatrixSettings,
  ) {
    this.kernel = params.create(`${local}/kernel`, [inputSize, outputSize], inputSize, outputSize);
    this.normalizer = settings.spectralNorm
      ? new SpectralNormalizer(this.kernel, settings.powerIterations, deriveSeed(settings.seed, 'power-iteration', local), `${settings.owner}/${local}`)
      : undefined;
  }

  /** max(1, σ̂) for this forward call (advancing the power iteration), or undefined without spectral normalisation. */
  divisor(): tf.Scalar | undefined {
    return this.normalizer?.divisor();
  }

  /** x·K̂ for rows x `[N, in]`; divides the product, which is cheaper than dividing the kernel. */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    const product = tf.matMul(x, this.kernel as tf.Tensor2D) as tf.Tensor2D;
    const divisor = this.divisor();
    return divisor ? (tf.div(product, divisor) as tf.Tensor2D) : product;
  }

  /** The persistent power-iteration vector as a named buffer (none without spectral normalisation). */
  buffer(): Parameter | undefined {
    return this.normalizer ? { name: `${this.settings.owner}/${this.local}/power-iteration`, variable: this.normalizer.u } : undefined;
  }

  /** σ̂ the last forward call used, or undefined without spectral normalisation. */
  spectralEstimate(): number | undefined {
    return this.normalizer?.estimate();
  }

  refine(steps: number): void {
    this.normalizer?.refine(steps);
  }

  /**
   * The kernel in float64 and the divisor the next forward call will compute, lowered by 1e-5
   * relative (more than float32 rounding can move it): power iteration on fixed weights only
   * raises σ̂, so norms divided by it stay upper bounds for every later call with these weights.
   */
  applied(): AppliedKernel {
    const [rows, cols] = this.kernel.shape as [number, number];
    const values = Float64Array.from(this.kernel.dataSync());
    let divisor = 1;
    if (this.normalizer) {
      const next = powerIterationEstimate(values, rows, cols, this.normalizer.vector(), this.settings.powerIterations);
      divisor = Math.max(1, next * (1 - 1e-5));
    }
    return { values, rows, cols, divisor };
  }

  dispose(): void {
    this.normalizer?.dispose();
  }
}
