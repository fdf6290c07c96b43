import * as tf from '@tensorflow/tfjs-core';
import { ComponentConfig, Decoder, DecoderContext, DescribesLayers, Encoder, EncoderContext, LayerDescription, ModalitySpec, Parameter, sampleSize } from '@mmfuse/core';
import { ActivationName, activationSchema } from './activations';
import { DenseStack } from './dense-stack';
import { INIT_SCHEMA, InitScheme, ParameterSet } from './parameters';

const UNITS = {
  type: 'array',
  items: { type: 'integer', minimum: 1, maximum: 65536 },
  maxItems: 32,
};

export interface MlpEncoderOptions {
  units: number[];
  latentSize: number;
  activation: ActivationName;
  activateLast: boolean;
  init: InitScheme;
}

export const MLP_ENCODER_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    units: { ...UNITS, default: [64, 128], description: 'Hidden layer widths, input side first (the input is the flattened sample).' },
    latentSize: { type: 'integer', minimum: 1, maximum: 65536, default: 32, description: 'Width of the latent (the last layer).' },
    activation: activationSchema('relu', 'Nonlinearity after each hidden layer.'),
    activateLast: { type: 'boolean', default: true, description: 'Apply the nonlinearity to the latent too (the paper\'s network does).' },
    init: INIT_SCHEMA,
  },
};

/** Flattens each sample (a window `[L, n]`, an image, a vector) and maps it through dense layers. */
export class MlpEncoder implements Encoder, DescribesLayers {
  readonly outputSize: number;
  private readonly params: ParameterSet;
  private readonly stack: DenseStack;

  constructor(
    readonly name: string,
    readonly modality: ModalitySpec,
    readonly options: MlpEncoderOptions,
    seed: number,
  ) {
    this.params = new ParameterSet(name, seed, options.init);
    this.outputSize = options.latentSize;
    this.stack = new DenseStack(this.params, [sampleSize(modality), ...options.units, options.latentSize], options.activation, options.activateLast ? options.activation : 'linear');
  }

  get parameters(): readonly Parameter[] {
    return this.params.parameters;
  }

  apply(x: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => this.stack.apply(tf.reshape(x, [x.shape[0], sampleSize(this.modality)]) as tf.Tensor2D));
  }

  describeLayers(): LayerDescription[] {
    return this.stack.describeLayers();
  }

  getConfig(): ComponentConfig {
    return { type: 'mlp', ...this.options };
  }

  dispose(): void {
    this.params.dispose();
  }
}

export interface MlpDecoderOptions {
  /** Hidden widths, fused side first; omitted = the encoder's hidden widths reversed (when it is an MLP). */
  units?: number[];
  activation: ActivationName;
  outputActivation: ActivationName;
  init: InitScheme;
}

export const MLP_DECODER_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    units: { ...UNITS, description: 'Hidden layer widths, fused side first; when left out, the MLP encoder\'s hidden widths reversed (or [64] for other encoders).' },
    activation: activationSchema('relu', 'Nonlinearity after each hidden layer.'),
    outputActivation: activationSchema('linear', 'Nonlinearity on the reconstruction (linear = none).'),
    init: INIT_SCHEMA,
  },
};

/** Dense layers from the fused representation to a flat sample, reshaped to the modality's shape. */
export class MlpDecoder implements Decoder, DescribesLayers {
  private readonly params: ParameterSet;
  private readonly stack: DenseStack;

  constructor(
    readonly name: string,
    readonly modality: ModalitySpec,
    readonly inputSize: number,
    readonly options: MlpDecoderOptions & { units: number[] },
    seed: number,
  ) {
    this.params = new ParameterSet(name, seed, options.init);
    this.stack = new DenseStack(this.params, [inputSize, ...options.units, sampleSize(modality)], options.activation, options.outputActivation);
  }

  get parameters(): readonly Parameter[] {
    return this.params.parameters;
  }

  apply(z: tf.Tensor2D): tf.Tensor {
    return tf.tidy(() => tf.reshape(this.stack.apply(z), [z.shape[0], ...this.modality.shape]));
  }

  describeLayers(): LayerDescription[] {
    return this.stack.describeLayers();
  }

  getConfig(): ComponentConfig {
    return { type: 'mlp', ...this.options };
  }

  dispose(): void {
    this.params.dispose();
  }
}

export function createMlpEncoder(options: MlpEncoderOptions, context: EncoderContext): MlpEncoder {
  return new MlpEncoder(context.name, context.modality, options, context.seed);
}

export function createMlpDecoder(options: MlpDecoderOptions, context: DecoderContext): MlpDecoder {
  const units = options.units ?? (context.encoder instanceof MlpEncoder ? [...context.encoder.options.units].reverse() : [64]);
  return new MlpDecoder(context.name, context.modality, context.inputSize, { ...options, units }, context.seed);
}
