import * as tf from '@tensorflow/tfjs-core';
import { ComponentConfig, Decoder, DecoderContext, DescribesLayers, LayerDescription, ModalitySpec, Parameter, UserInputError } from '@mmfuse/core';
import { activate, ActivationName, activationSchema, ACTIVATION_LIPSCHITZ } from './activations';
import type { ConvLayerGeometry } from './conv-geometry';
import { ConvImageEncoder } from './conv-image-encoder';
import { INIT_SCHEMA, InitScheme, ParameterSet } from './parameters';

export interface ConvImageDecoderOptions {
  activation: ActivationName;
  /** Nonlinearity on the reconstruction ('linear' leaves it unbounded, as the paper's MSE set-up). */
  outputActivation: ActivationName;
  init: InitScheme;
}

export const CONV_IMAGE_DECODER_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    activation: activationSchema('relu', 'Nonlinearity between transposed convolutions.'),
    outputActivation: activationSchema('linear', 'Nonlinearity on the reconstructed image (linear = none).'),
    init: INIT_SCHEMA,
  },
};

/**
 * Mirror of a convolutional encoder: a dense layer from the fused representation to the encoder's
 * last feature map (no activation), then transposed convolutions with the encoder's kernels,
 * strides and pads, each producing exactly the size the matching encoder layer consumed.
 */
export class ConvImageDecoder implements Decoder, DescribesLayers {
  private readonly params: ParameterSet;
  private readonly projection: { kernel: tf.Variable; bias: tf.Variable };
  private readonly kernels: tf.Variable[] = [];
  private readonly biases: tf.Variable[] = [];
  /** Encoder layers in decoding order. */
  readonly layers: ConvLayerGeometry[];

  constructor(
    readonly name: string,
    readonly modality: ModalitySpec,
    readonly inputSize: number,
    encoderLayers: readonly ConvLayerGeometry[],
    readonly options: ConvImageDecoderOptions,
    seed: number,
  ) {
    this.layers = [...encoderLayers].reverse();
    this.params = new ParameterSet(name, seed, options.init);
    const top = this.layers[0].outShape;
    const topSize = top[0] * top[1] * top[2];
    this.projection = {
      kernel: this.params.create('projection/kernel', [inputSize, topSize], inputSize, topSize),
      bias: this.params.create('projection/bias', [topSize], inputSize, topSize, true),
    };
    this.layers.forEach((layer, i) => {
      const [kh, kw] = layer.kernel;
      // Transposed conv maps the encoder layer's output channels back to its input channels.
      const [outC, inC] = [layer.inShape[2], layer.outShape[2]];
      const fanIn = outC * kh * kw;
      this.kernels.push(this.params.create(`deconv${i}/kernel`, [kh, kw, outC, inC], fanIn, inC * kh * kw));
      this.biases.push(this.params.create(`deconv${i}/bias`, [outC], fanIn, outC, true));
    });
  }

  get parameters(): readonly Parameter[] {
    return this.params.parameters;
  }

  apply(z: tf.Tensor2D): tf.Tensor {
    return tf.tidy(() => {
      const batch = z.shape[0];
      let h = tf.reshape(tf.add(tf.matMul(z, this.projection.kernel as tf.Tensor2D), this.projection.bias), [batch, ...this.layers[0].outShape]) as tf.Tensor4D;
      this.layers.forEach((layer, i) => {
        const [t, b, l, r] = layer.pads;
        const outShape: [number, number, number, number] = [batch, ...layer.inShape];
        h = tf.add(tf.conv2dTranspose(h, this.kernels[i] as tf.Tensor4D, outShape, layer.stride, [[0, 0], [t, b], [l, r], [0, 0]] as never), this.biases[i]);
        const last = i === this.layers.length - 1;
        h = activate(h, last ? this.options.outputActivation : this.options.activation) as tf.Tensor4D;
      });
      return h;
    });
  }

  describeLayers(): LayerDescription[] {
    const described: LayerDescription[] = [{ kind: 'dense', name: 'projection', kernel: this.projection.kernel }];
    this.layers.forEach((layer, i) => {
      // A transposed conv runs the encoder layer backwards: from its output shape to its input shape.
      described.push({ kind: 'conv2d-transpose', name: `deconv${i}`, kernel: this.kernels[i], inShape: layer.outShape, outShape: layer.inShape, stride: layer.stride, pads: layer.pads });
      const act = i === this.layers.length - 1 ? this.options.outputActivation : this.options.activation;
      if (act !== 'linear') described.push({ kind: 'activation', name: act, lipschitz: ACTIVATION_LIPSCHITZ[act] });
    });
    return described;
  }

  getConfig(): ComponentConfig {
    return { type: 'conv2d-transpose', ...this.options };
  }

  dispose(): void {
    this.params.dispose();
  }
}

export function createConvImageDecoder(options: ConvImageDecoderOptions, context: DecoderContext): ConvImageDecoder {
  if (!(context.encoder instanceof ConvImageEncoder)) {
    throw new UserInputError(`the conv2d-transpose decoder mirrors a conv2d encoder, but the encoder of "${context.modality.name}" is ${context.encoder.getConfig().type}`);
  }
  return new ConvImageDecoder(context.name, context.modality, context.inputSize, context.encoder.layers, options, context.seed);
}
