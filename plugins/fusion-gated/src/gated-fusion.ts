import * as tf from '@tensorflow/tfjs-core';
import { ComponentConfig, Fusion, FusionContext, Parameter, ParameterSet, UserInputError } from '@mmfuse/core';

export interface GatedFusionOptions {
  /** Width of the fused representation. */
  size: number;
}

export const GATED_FUSION_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    size: { type: 'integer', minimum: 1, maximum: 65536, default: 64, description: 'Width of the fused representation (each modality is projected to it).' },
  },
};

/**
 * Gated multimodal fusion (a gated multimodal unit for M modalities):
 * u_m = tanh(h_m W_m + b_m), gate logits [a_1 … a_M] = [h_1; …; h_M] V + c, gates g = softmax over
 * the modalities per output unit, z = Σ_m g_m ⊙ u_m. The gates let the model lean on whichever
 * modality is informative for each unit and sample.
 */
export class GatedFusion implements Fusion {
  readonly parameters: Parameter[];
  readonly outputSize: number;
  private readonly parameterSet: ParameterSet;
  private readonly projections: Array<{ kernel: tf.Variable; bias: tf.Variable }> = [];
  private readonly gate: { kernel: tf.Variable; bias: tf.Variable };

  constructor(
    readonly name: string,
    readonly inputSizes: readonly number[],
    readonly options: GatedFusionOptions,
    seed: number,
  ) {
    if (inputSizes.length < 2) throw new UserInputError(`the gated fusion needs at least two modalities, got ${inputSizes.length}`);
    this.outputSize = options.size;
    // Core's parameter set names the weights `<fusion>/<local>` and draws them U(±1/√fan_in) from the seed, as PyTorch initialises linear layers.
    this.parameterSet = new ParameterSet(name, seed, 'pytorch');
    this.parameters = this.parameterSet.parameters;
    const uniform = (shape: number[], fanIn: number, local: string): tf.Variable => this.parameterSet.create(local, shape, fanIn, shape[shape.length - 1], shape.length === 1);
    inputSizes.forEach((d, m) => this.projections.push({ kernel: uniform([d, options.size], d, `projection${m}/kernel`), bias: uniform([options.size], d, `projection${m}/bias`) }));
    const total = inputSizes.reduce((a, b) => a + b, 0);
    this.gate = { kernel: uniform([total, inputSizes.length * options.size], total, 'gate/kernel'), bias: uniform([inputSizes.length * options.size], total, 'gate/bias') };
  }

  /** Gates `[B, size, M]`: gate logit of unit u and modality m is column u·M + m; they sum to one over m. */
  gates(latents: readonly tf.Tensor2D[]): tf.Tensor3D {
    return tf.tidy(() => {
      const logits = tf.add(tf.matMul(tf.concat(latents as tf.Tensor2D[], 1), this.gate.kernel as tf.Tensor2D), this.gate.bias);
      return tf.softmax(tf.reshape(logits, [latents[0].shape[0], this.outputSize, this.inputSizes.length])) as tf.Tensor3D;
    });
  }

  apply(latents: readonly tf.Tensor2D[]): tf.Tensor2D {
    return tf.tidy(() => {
      const gates = this.gates(latents);
      const units = tf.stack(latents.map((h, m) => tf.tanh(tf.add(tf.matMul(h, this.projections[m].kernel as tf.Tensor2D), this.projections[m].bias))), 2);
      return tf.sum(tf.mul(gates, units), 2) as tf.Tensor2D;
    });
  }

  getConfig(): ComponentConfig {
    return { type: 'gated', ...this.options };
  }

  dispose(): void {
    this.parameterSet.dispose();
  }
}

export function createGatedFusion(options: GatedFusionOptions, context: FusionContext): GatedFusion {
  return new GatedFusion(context.name, context.inputSizes, options, context.seed);
}
