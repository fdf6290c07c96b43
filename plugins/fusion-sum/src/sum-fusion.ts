import * as tf from '@tensorflow/tfjs-core';
import { CertifiedLipschitz, ComponentConfig, Fusion, FusionContext, LipschitzCertificate, Parameter, UserInputError } from '@mmfuse/core';

export type SumFusionOptions = Record<string, never>;

export const SUM_FUSION_SCHEMA = { type: 'object', additionalProperties: false, properties: {} };

/** z = Σ_m h_m: every latent must have the same width. No parameters. */
export class SumFusion implements Fusion, CertifiedLipschitz {
  readonly parameters: readonly Parameter[] = [];
  readonly outputSize: number;

  constructor(
    readonly name: string,
    readonly inputSizes: readonly number[],
    modalityNames: readonly string[] = inputSizes.map((_, i) => `modality ${i}`),
  ) {
    if (inputSizes.length < 1) throw new UserInputError('the sum fusion needs at least one modality');
    if (new Set(inputSizes).size > 1) {
      const listed = inputSizes.map((size, i) => `${modalityNames[i]} ${size}`).join(', ');
      throw new UserInputError(`the sum fusion adds latents, so all must have one width; got ${listed}. Give the encoders equal latent sizes, or use concat`);
    }
    this.outputSize = inputSizes[0];
  }

  apply(latents: readonly tf.Tensor2D[]): tf.Tensor2D {
    return tf.tidy(() => (latents.length === 1 ? tf.clone(latents[0]) : (tf.addN(latents as tf.Tensor2D[]) as tf.Tensor2D)));
  }

  /** ‖Σ h_m‖ ≤ Σ ‖h_m‖ ≤ √M ‖(h_1, …, h_M)‖ (Cauchy–Schwarz), with equality for equal inputs: exact. */
  certifiedLipschitz(): LipschitzCertificate {
    return {
      value: Math.sqrt(this.inputSizes.length),
      norm: 'l2, product norm over the modalities\' latents',
      assumptions: 'exact: the sum of M latents has constant √M (attained when all latents move alike)',
    };
  }

  getConfig(): ComponentConfig {
    return { type: 'sum' };
  }

  dispose(): void {
    // no parameters
  }
}

export function createSumFusion(_options: SumFusionOptions, context: FusionContext): SumFusion {
  return new SumFusion(context.name, context.inputSizes, context.modalities.map((m) => m.name));
}
