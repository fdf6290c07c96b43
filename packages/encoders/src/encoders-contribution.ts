import { injectable } from 'inversify';
import type { ComponentContribution, ComponentRegistry } from '@mmfuse/core';
import { CONV_IMAGE_DECODER_SCHEMA, createConvImageDecoder } from './conv-image-decoder';
import { CONV_IMAGE_ENCODER_SCHEMA, createConvImageEncoder } from './conv-image-encoder';
import { createMlpDecoder, createMlpEncoder, MLP_DECODER_SCHEMA, MLP_ENCODER_SCHEMA } from './mlp';

@injectable()
export class EncodersContribution implements ComponentContribution {
  registerComponents(registry: ComponentRegistry): void {
    registry.register({
      kind: 'encoder',
      type: 'conv2d',
      description: 'Strided 2-D convolutions on [height, width, channels] images; latent = flattened last feature map',
      optionsSchema: CONV_IMAGE_ENCODER_SCHEMA,
      create: createConvImageEncoder,
    });
    registry.register({
      kind: 'decoder',
      type: 'conv2d-transpose',
      description: 'Dense layer to the conv2d encoder\'s last feature map, then transposed convolutions mirroring the encoder exactly',
      optionsSchema: CONV_IMAGE_DECODER_SCHEMA,
      create: createConvImageDecoder,
    });
    registry.register({
      kind: 'encoder',
      type: 'mlp',
      description: 'Dense layers on the flattened sample (series windows, vectors, small images)',
      optionsSchema: MLP_ENCODER_SCHEMA,
      create: createMlpEncoder,
    });
    registry.register({
      kind: 'decoder',
      type: 'mlp',
      description: 'Dense layers from the fused representation to the flattened sample, reshaped to the modality',
      optionsSchema: MLP_DECODER_SCHEMA,
      create: createMlpDecoder,
    });
  }
}
