import * as tf from '@tensorflow/tfjs-core';
import type { ComponentConfig, DescribesLayers, Encoder, EncoderContext, LayerDescription, ModalitySpec, Parameter } from '@mmfuse/core';
import { activate, ActivationName, activationSchema, ACTIVATION_LIPSCHITZ } from './activations';
import { ConvLayerGeometry, convStack, PaddingOption, PADDING_SCHEMA, pairSchema, toPair } from './conv-geometry';
import { INIT_SCHEMA, InitScheme, ParameterSet } from './parameters';

export interface ConvImageEncoderOptions {
  /** Output channels of each convolution (the input's channels come from the data). */
  channels: number[];
  kernelSize: number | [number, number];
  stride: number | [number, number];
  padding: PaddingOption;
  activation: ActivationName;
  /** Apply the activation after the last convolution too (the paper's network does). */
  activateLast: boolean;
  init: InitScheme;
}

export const CONV_IMAGE_ENCODER_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['channels'],
  properties: {
    channels: {
      type: 'array',
      items: { type: 'integer', minimum: 1, maximum: 4096 },
      minItems: 1,
      maxItems: 32,
      description: 'Output channels of each convolution, e.g. [256, 128, 64, 32, 32, 32] for the paper\'s network; the latent is the flattened last feature map.',
    },
    kernelSize: pairSchema('Kernel size: one number or [height, width].', 5),
    stride: pairSchema('Stride: one number or [height, width].', 2),
    padding: PADDING_SCHEMA,
    activation: activationSchema('relu', 'Nonlinearity after each convolution.'),
    activateLast: { type: 'boolean', default: true, description: 'Apply the nonlinearity after the last convolution too.' },
    init: INIT_SCHEMA,
  },
};

/** Stack of strided 2-D convolutions; the latent is the flattened last feature map. */
export class ConvImageEncoder implements Encoder, DescribesLayers {
  readonly layers: ConvLayerGeometry[];
  readonly outputSize: number;
  private readonly params: ParameterSet;
  private readonly kernels: tf.Variable[] = [];
  private readonly biases: tf.Variable[] = [];

  constructor(
    readonly name: string,
    readonly modality: ModalitySpec,
    readonly options: ConvImageEncoderOptions,
    seed: number,
  ) {
    this.layers = convStack(modality.shape, options.channels, toPair(options.kernelSize), toPair(options.stride), options.padding);
    this.params = new ParameterSet(name, seed, options.init);
    this.layers.forEach((layer, i) => {
      const [kh, kw] = layer.kernel;
      const [inC, outC] = [layer.inShape[2], layer.outShape[2]];
      const fanIn = inC * kh * kw;
      this.kernels.push(this.params.create(`conv${i}/kernel`, [kh, kw, inC, outC], fanIn, outC * kh * kw));
      this.biases.push(this.params.create(`conv${i}/bias`, [outC], fanIn, outC, true));
    });
    const last = this.layers[this.layers.length - 1].outShape;
    this.outputSize = last[0] * last[1] * last[2];
  }

  get parameters(): readonly Parameter[] {
    return this.params.parameters;
  }

  apply(x: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => {
      let h = x as tf.Tensor4D;
      this.layers.forEach((layer, i) => {
        const [t, b, l, r] = layer.pads;
        h = tf.add(tf.conv2d(h, this.kernels[i] as tf.Tensor4D, layer.stride, [[0, 0], [t, b], [l, r], [0, 0]]), this.biases[i]);
        if (i < this.layers.length - 1 || this.options.activateLast) h = activate(h, this.options.activation) as tf.Tensor4D;
      });
      return tf.reshape(h, [h.shape[0], this.outputSize]) as tf.Tensor2D;
    });
  }

  describeLayers(): LayerDescription[] {
    const act = this.options.activation;
    return this.layers.flatMap((layer, i) => {
      const conv: LayerDescription = { kind: 'conv2d', name: `conv${i}`, kernel: this.kernels[i], inShape: layer.inShape, outShape: layer.outShape, stride: layer.stride, pads: layer.pads };
      const activated = i < this.layers.length - 1 || this.options.activateLast;
      return activated ? [conv, { kind: 'activation' as const, name: act, lipschitz: ACTIVATION_LIPSCHITZ[act] }] : [conv];
    });
  }

  getConfig(): ComponentConfig {
    return { type: 'conv2d', ...this.options };
  }

  dispose(): void {
    this.params.dispose();
  }
}

export function createConvImageEncoder(options: ConvImageEncoderOptions, context: EncoderContext): ConvImageEncoder {
  return new ConvImageEncoder(context.name, context.modality, options, context.seed);
}
