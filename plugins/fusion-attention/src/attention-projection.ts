import * as tf from '@tensorflow/tfjs-core';
import { deriveSeed } from '@mmfuse/core';
import type { ParameterSet } from '@mmfuse/core';
import type { AttentionProjection, SpectralMode } from './attention-fusion-options';
import { powerIterationEstimate, spectralNormUpperBound } from './spectral-norm';
import { SpectralNormalizer } from './spectral-normalizer';

/** One dense layer of a projection: kernel `[in, out]`, optional bias, optional spectral normaliser. */
interface ProjectionLayer {
  readonly kernel: tf.Variable;
  readonly bias?: tf.Variable;
  readonly normalizer?: SpectralNormalizer;
}

/** What a certificate needs to know about one layer, in float64. */
export interface ProjectionLayerNorms {
  /** Upper bound of ‖K̂‖₂ of the kernel the next forward call uses. */
  readonly spectralNorm: number;
  /** ‖b‖₂ (0 without a bias). */
  readonly biasNorm: number;
}

export interface ProjectionSettings {
  /** Name of the owning sub-model (for variable names). */
  readonly owner: string;
  readonly kind: AttentionProjection;
  readonly inputSize: number;
  readonly outputSize: number;
  readonly spectralNorm: boolean;
  readonly spectralMode: SpectralMode;
  readonly powerIterations: number;
  readonly seed: number;
}

/**
 * The map from one modality's (normalised) latent to the shared score space R^k: one matrix
 * (`linear`, named `<fusion>/projection<i>/kernel`) or two dense layers with ReLU between
 * (`mlp`, `<fusion>/projection<i>/dense{0,1}/{kernel,bias}`). Kernels are `[in, out]`: y = x·K = W x.
 * `prefix` is the local name (`projection<i>`) inside the owner's ParameterSet.
 */
export class AttentionProjectionMap {
  private readonly layers: ProjectionLayer[] = [];

  constructor(
    params: ParameterSet,
    readonly prefix: string,
    readonly settings: ProjectionSettings,
  ) {
    const { kind, inputSize, outputSize } = settings;
    if (kind === 'linear') {
      this.addLayer(params, prefix, inputSize, outputSize, false);
    } else {
      this.addLayer(params, `${prefix}/dense0`, inputSize, outputSize, true);
      this.addLayer(params, `${prefix}/dense1`, outputSize, outputSize, true);
    }
  }

  /** p = W u (linear) or W₂ relu(W₁ u + b₁) + b₂ (mlp), batched over rows of `u`. */
  apply(u: tf.Tensor2D): tf.Tensor2D {
    let h = u;
    this.layers.forEach((layer, i) => {
      h = tf.matMul(h, layer.kernel as tf.Tensor2D);
      if (layer.normalizer) h = tf.div(h, layer.normalizer.divisor());
      if (layer.bias) h = tf.add(h, layer.bias);
      if (i < this.layers.length - 1) h = tf.relu(h);
    });
    return h;
  }

  refineSpectralEstimates(steps: number): void {
    for (const layer of this.layers) layer.normalizer?.refine(steps);
  }

  /** The persistent power-iteration vectors of this projection's layers. */
  powerIterationVectors(): tf.Variable[] {
    return this.layers.flatMap((layer) => (layer.normalizer ? [layer.normalizer.u] : []));
  }

  /** σ̂ of each spectrally normalised layer as the last forward call used (empty without spectral norm). */
  spectralEstimates(): number[] {
    return this.layers.flatMap((layer) => (layer.normalizer ? [layer.normalizer.estimate()] : []));
  }

  /**
   * W = K̂ᵀ (k × d rows) of a linear projection as the last forward call applied it, for references
   * such as the Lemma 4.1 Jacobian.
   */
  appliedMatrix(): number[][] {
    if (this.layers.length !== 1) throw new Error(`${this.prefix}: only a linear projection is one matrix`);
    const layer = this.layers[0];
    const [rows, cols] = layer.kernel.shape as [number, number];
    const values = layer.kernel.dataSync();
    const divisor = layer.normalizer ? layer.normalizer.divisorFor(layer.normalizer.estimate()) : 1;
    return Array.from({ length: cols }, (_, r) => Array.from({ length: rows }, (__, c) => values[c * cols + r] / divisor));
  }

  /**
   * Float64 norms of every layer as the next forward call applies it: ‖K‖₂ bounded from above, and
   * with spectral normalisation divided by max(1, σ̂) (or σ̂) where σ̂ is the estimate that call will compute
   * (lowered by 1e-5 relative, more than float32 rounding can move it). Later calls with the same
   * weights only raise σ̂, so the norms stay valid for them.
   */
  layerNorms(): ProjectionLayerNorms[] {
    return this.layers.map((layer) => {
      const [rows, cols] = layer.kernel.shape as [number, number];
      const values = layer.kernel.dataSync();
      let spectralNorm = spectralNormUpperBound(values, rows, cols);
      if (layer.normalizer) {
        const next = powerIterationEstimate(values, rows, cols, layer.normalizer.vector(), this.settings.powerIterations);
        spectralNorm /= layer.normalizer.divisorFor(next * (1 - 1e-5));
      }
      const biasNorm = layer.bias ? Math.hypot(...layer.bias.dataSync()) : 0;
      return { spectralNorm, biasNorm };
    });
  }

  dispose(): void {
    for (const layer of this.layers) layer.normalizer?.dispose();
  }

  private addLayer(params: ParameterSet, layer: string, inputSize: number, outputSize: number, withBias: boolean): void {
    const kernel = params.create(`${layer}/kernel`, [inputSize, outputSize], inputSize, outputSize);
    const bias = withBias ? params.create(`${layer}/bias`, [outputSize], inputSize, outputSize, true) : undefined;
    const normalizer = this.settings.spectralNorm
      ? new SpectralNormalizer(kernel, this.settings.powerIterations, deriveSeed(this.settings.seed, 'power-iteration', layer), `${this.settings.owner}/${layer}`, this.settings.spectralMode)
      : undefined;
    this.layers.push({ kernel, bias, normalizer });
  }
}
