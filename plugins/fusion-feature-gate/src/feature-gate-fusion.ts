import * as tf from '@tensorflow/tfjs-core';
import { CertifiedLipschitz, checkFusionLatents, ComponentConfig, Fusion, FusionContext, fusionModalityNames, LipschitzCertificate, ModalityWeighting, Parameter, UserInputError } from '@mmfuse/core';
import { ParameterSet } from '@mmfuse/core';
import { spectralNormUpperBound } from '@mmfuse/fusion-attention';
import { FeatureGateDomain, featureGateLipschitzBound } from './feature-gate-lipschitz-bound';
import { FeatureGateOptions, resolveFeatureGateOptions } from './feature-gate-options';
import { minShares, tieSplitMin } from './tie-split-min';

interface DenseLayer {
  /** `[in, out]`: y = x·K + b. */
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable;
}

/**
 * Feature gate: a per-feature sigmoid gate computed by a small MLP from all latents mixes their
 * mean with their elementwise minimum. For M latents x_m ∈ R^d:
 *   h = [x_1; …; x_M],  g = sigmoid(W₂ relu(W₁ h + b₁) + b₂) ∈ (0, 1)^d,
 *   z = g ⊙ mean_m x_m + (1 − g) ⊙ min_m x_m   (+ mean_m x_m with `residual`).
 * Where the gate closes, a feature is only as large as its smallest modality says; where it opens,
 * every modality counts alike.
 */
export class FeatureGateFusion implements Fusion, CertifiedLipschitz, ModalityWeighting {
  readonly outputSize: number;
  readonly options: Readonly<Required<FeatureGateOptions>>;
  readonly modalityWeightsDescription =
    'M times the mean over features of each modality\'s share of ∂z_c/∂x_{m,c} with the gate held fixed (g_c/M from the mean, 1 − g_c to the modality holding the minimum, ties split); 1 each when the gate is fully open';
  private readonly params: ParameterSet;
  private readonly hidden: DenseLayer;
  private readonly output: DenseLayer;

  constructor(
    readonly name: string,
    readonly inputSizes: readonly number[],
    options: Partial<FeatureGateOptions> = {},
    seed = 0,
    private readonly modalityNames: readonly string[] = inputSizes.map((_, i) => `modality ${i}`),
  ) {
    if (inputSizes.length < 2) {
      throw new UserInputError(`the feature-gate fusion mixes the mean and the minimum of the latents, so it needs at least two modalities; got ${inputSizes.length}`);
    }
    if (inputSizes.some((d) => d !== inputSizes[0])) {
      const widths = inputSizes.map((d, i) => `${modalityNames[i]}: ${d}`).join(', ');
      throw new UserInputError(`the feature-gate fusion mixes the latents feature by feature, so they need one width; got ${widths}`);
    }
    const d = inputSizes[0];
    const joined = d * inputSizes.length;
    this.options = resolveFeatureGateOptions(options, d);
    this.outputSize = d;
    const H = this.options.hiddenSize;
    this.params = new ParameterSet(name, seed, this.options.init);
    this.hidden = { kernel: this.params.create('gate/dense0/kernel', [joined, H], joined, H), bias: this.params.create('gate/dense0/bias', [H], joined, H, true) };
    this.output = { kernel: this.params.create('gate/dense1/kernel', [H, d], H, d), bias: this.params.create('gate/dense1/bias', [d], H, d, true) };
  }

  get parameters(): readonly Parameter[] {
    return this.params.parameters;
  }

  apply(latents: readonly tf.Tensor2D[]): tf.Tensor2D {
    this.checkLatents(latents);
    return tf.tidy(() => {
      const stacked = tf.stack(latents as tf.Tensor2D[], 1);
      const mean = tf.mean(stacked, 1);
      const minimum = tieSplitMin(stacked);
      // g ⊙ mean + (1 − g) ⊙ min, with one product
      const z = tf.add(minimum, tf.mul(this.gateOf(latents), tf.sub(mean, minimum)));
      return (this.options.residual ? tf.add(z, mean) : z) as tf.Tensor2D;
    });
  }

  /** The gate g `[B, d]`, each entry in (0, 1): 1 takes the mean of the latents, 0 their minimum. */
  gates(latents: readonly tf.Tensor2D[]): tf.Tensor2D {
    this.checkLatents(latents);
    return tf.tidy(() => this.gateOf(latents));
  }

  /**
   * `[B, M]`: for feature c, ∂z_c/∂x_{m,c} with the gate held fixed is g_c/M + (1 − g_c)·s_{m,c}
   * (s: the share of the minimum, 1/k among k tied modalities), plus 1/M with `residual`; each
   * modality's fraction of their sum over m, averaged over features and times M, so the weights
   * have mean 1 over the modalities.
   */
  modalityWeights(latents: readonly tf.Tensor2D[]): tf.Tensor2D {
    this.checkLatents(latents);
    return tf.tidy(() => {
      const M = latents.length;
      const stacked = tf.stack(latents as tf.Tensor2D[], 1);
      const shares = minShares(stacked, tf.min(stacked, 1));
      const g = tf.expandDims(this.gateOf(latents), 1);
      const partial = tf.add(tf.div(g, M), tf.mul(tf.sub(1, g), shares));
      // Σ_m of the partials is 1 per feature; the residual mean adds 1/M each, so halve the sum
      const fraction = this.options.residual ? tf.div(tf.add(partial, 1 / M), 2) : partial;
      return tf.mul(tf.mean(fraction, 2), M) as tf.Tensor2D;
    });
  }

  /**
   * Upper bound of the Lipschitz constant on ‖x_m‖ ≤ inputRadius for the weights as they are now
   * (see featureGateLipschitzBound for the derivation). Kernels are read as float32 values and
   * bounded in float64.
   */
  certifiedLipschitz(domain: FeatureGateDomain = {}): LipschitzCertificate {
    const [joined, H] = this.hidden.kernel.shape as [number, number];
    const d = this.outputSize;
    const hiddenValues = this.hidden.kernel.dataSync();
    const outputValues = this.output.kernel.dataSync();
    let outputRowNorm = 0;
    for (let c = 0; c < d; c++) {
      let sum = 0;
      for (let j = 0; j < H; j++) sum += outputValues[j * d + c] ** 2;
      outputRowNorm = Math.max(outputRowNorm, Math.sqrt(sum));
    }
    return featureGateLipschitzBound(
      {
        modalities: this.inputSizes.length,
        hiddenNorm: spectralNormUpperBound(hiddenValues, joined, H),
        outputNorm: spectralNormUpperBound(outputValues, H, d),
        outputRowNorm,
        residual: this.options.residual,
      },
      domain,
    );
  }

  getConfig(): ComponentConfig {
    return { type: 'feature-gate', ...this.options };
  }

  dispose(): void {
    this.params.dispose();
  }

  private gateOf(latents: readonly tf.Tensor2D[]): tf.Tensor2D {
    const h = tf.concat(latents as tf.Tensor2D[], 1);
    const hidden = tf.relu(tf.add(tf.matMul(h, this.hidden.kernel as tf.Tensor2D), this.hidden.bias));
    return tf.sigmoid(tf.add(tf.matMul(hidden, this.output.kernel as tf.Tensor2D), this.output.bias)) as tf.Tensor2D;
  }

  private checkLatents(latents: readonly tf.Tensor2D[]): void {
    checkFusionLatents(this.name, this.inputSizes, this.modalityNames, latents);
  }
}

export function createFeatureGateFusion(options: FeatureGateOptions, context: FusionContext): FeatureGateFusion {
  const names = fusionModalityNames(context);
  return new FeatureGateFusion(context.name, context.inputSizes, options, context.seed, names);
}
