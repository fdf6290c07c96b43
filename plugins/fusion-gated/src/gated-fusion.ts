import * as tf from '@tensorflow/tfjs-core';
import { ComponentConfig, createRng, Fusion, FusionContext, Parameter, UserInputError } from '@mmfuse/core';

let variableCounter = 0;

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
  readonly parameters: Parameter[] = [];
  readonly outputSize: number;
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
    const rng = createRng(seed);
    // U(±1/√fan_in), as PyTorch initialises linear layers.
    const uniform = (shape: number[], fanIn: number, local: string): tf.Variable => {
      const bound = 1 / Math.sqrt(fanIn);
      const initial = tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (rng() * 2 - 1) * bound), shape);
      // tfjs needs process-unique variable names; the parameter name stays stable.
      const variable = tf.variable(initial, true, `${name}/${local}#gated${++variableCounter}`);
      initial.dispose();
      this.parameters.push({ name: `${name}/${local}`, variable });
      return variable;
    };
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
    for (const p of this.parameters) p.variable.dispose();
    this.parameters.length = 0;
  }
}

export function createGatedFusion(options: GatedFusionOptions, context: FusionContext): GatedFusion {
  return new GatedFusion(context.name, context.inputSizes, options, context.seed);
}
