import * as tf from '@tensorflow/tfjs-core';
import { CertifiedLipschitz, ComponentConfig, Fusion, FusionContext, LipschitzCertificate, Parameter, UserInputError } from '@mmfuse/core';

export type ConcatFusionOptions = Record<string, never>;

export const CONCAT_FUSION_SCHEMA = { type: 'object', additionalProperties: false, properties: {} };

/** z = [h_1; …; h_M]: latents of any widths, joined along the feature axis. No parameters. */
export class ConcatFusion implements Fusion, CertifiedLipschitz {
  readonly parameters: readonly Parameter[] = [];
  readonly outputSize: number;

  constructor(
    readonly name: string,
    readonly inputSizes: readonly number[],
  ) {
    if (inputSizes.length < 1) throw new UserInputError('the concat fusion needs at least one modality');
    this.outputSize = inputSizes.reduce((a, b) => a + b, 0);
  }

  apply(latents: readonly tf.Tensor2D[]): tf.Tensor2D {
    return tf.tidy(() => (latents.length === 1 ? tf.clone(latents[0]) : tf.concat(latents as tf.Tensor2D[], 1)));
  }

  /** Concatenation is an isometry of the product norm: constant exactly 1. */
  certifiedLipschitz(): LipschitzCertificate {
    return { value: 1, norm: 'l2, product norm over the modalities\' latents', assumptions: 'exact: concatenation preserves the product norm' };
  }

  getConfig(): ComponentConfig {
    return { type: 'concat' };
  }

  dispose(): void {
    // no parameters
  }
}

export function createConcatFusion(_options: ConcatFusionOptions, context: FusionContext): ConcatFusion {
  return new ConcatFusion(context.name, context.inputSizes);
}
