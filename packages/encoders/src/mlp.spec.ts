import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@mmfuse/backend';
import type { ModalitySpec } from '@mmfuse/core';
import { ConvImageEncoder } from './conv-image-encoder';
import { createConvImageDecoder } from './conv-image-decoder';
import { createMlpDecoder, createMlpEncoder, MlpEncoderOptions } from './mlp';

const series: ModalitySpec = { name: 'joints', kind: 'series', shape: [4, 3] };
const encoderOptions: MlpEncoderOptions = { units: [5, 6], latentSize: 2, activation: 'relu', activateLast: true, init: 'pytorch' };

beforeAll(async () => {
  await initBackend('cpu');
});

describe('MlpEncoder', () => {
  it('flattens each window and applies relu(xW + b) layer by layer', () => {
    const encoder = createMlpEncoder(encoderOptions, { name: 'encoder:joints', modality: series, seed: 9 });
    const xs = Float32Array.from({ length: 2 * 12 }, (_, i) => Math.cos(i));
    const out = encoder.apply(tf.tensor3d(xs, [2, 4, 3]));
    expect(out.shape).toEqual([2, 2]);
    // Reference in plain loops.
    const p = encoder.parameters.map((q) => ({ shape: q.variable.shape, data: q.variable.dataSync() }));
    for (let n = 0; n < 2; n++) {
      let h = Array.from(xs.subarray(n * 12, n * 12 + 12));
      for (let layer = 0; layer < 3; layer++) {
        const [rows, cols] = p[2 * layer].shape;
        const next = new Array(cols).fill(0).map((_, j) => {
          let s = p[2 * layer + 1].data[j];
          for (let i = 0; i < rows; i++) s += h[i] * p[2 * layer].data[i * cols + j];
          return Math.max(0, s);
        });
        h = next;
      }
      expect(Array.from(out.dataSync().subarray(n * 2, n * 2 + 2)).map((v) => +v.toFixed(5))).toEqual(h.map((v) => +v.toFixed(5)));
    }
    encoder.dispose();
  });

  it('names its parameters and round-trips its config', () => {
    const encoder = createMlpEncoder(encoderOptions, { name: 'encoder:joints', modality: series, seed: 9 });
    expect(encoder.parameters.map((p) => `${p.name}:${p.variable.shape.join('x')}`)).toEqual([
      'encoder:joints/dense0/kernel:12x5',
      'encoder:joints/dense0/bias:5',
      'encoder:joints/dense1/kernel:5x6',
      'encoder:joints/dense1/bias:6',
      'encoder:joints/dense2/kernel:6x2',
      'encoder:joints/dense2/bias:2',
    ]);
    expect(encoder.getConfig()).toEqual({ type: 'mlp', ...encoderOptions });
    encoder.dispose();
  });
});

describe('MlpDecoder', () => {
  it('mirrors an MLP encoder\'s hidden widths and restores the sample shape', () => {
    const encoder = createMlpEncoder(encoderOptions, { name: 'encoder:joints', modality: series, seed: 1 });
    const decoder = createMlpDecoder({ activation: 'relu', outputActivation: 'linear', init: 'pytorch' }, { name: 'decoder:joints', modality: series, inputSize: 4, encoder, seed: 2 });
    expect(decoder.getConfig()).toMatchObject({ type: 'mlp', units: [6, 5] });
    const out = decoder.apply(tf.ones([3, 4]) as tf.Tensor2D);
    expect(out.shape).toEqual([3, 4, 3]);
    encoder.dispose();
    decoder.dispose();
  });

  it('uses [64] after an encoder of another kind, and explicit widths when given', () => {
    const image: ModalitySpec = { name: 'camera', kind: 'image', shape: [8, 8, 1] };
    const encoder = new ConvImageEncoder('encoder:camera', image, { channels: [2], kernelSize: 3, stride: 2, padding: 1, activation: 'relu', activateLast: true, init: 'he' }, 1);
    const context = { name: 'decoder:camera', modality: image, inputSize: 4, encoder, seed: 2 };
    expect(createMlpDecoder({ activation: 'relu', outputActivation: 'sigmoid', init: 'glorot' }, context).getConfig()).toMatchObject({ units: [64] });
    const explicit = createMlpDecoder({ units: [3, 3], activation: 'relu', outputActivation: 'sigmoid', init: 'glorot' }, context);
    const out = explicit.apply(tf.ones([1, 4]) as tf.Tensor2D);
    expect(out.shape).toEqual([1, 8, 8, 1]);
    expect(Math.min(...out.dataSync()) >= 0 && Math.max(...out.dataSync()) <= 1).toBe(true);
    encoder.dispose();
  });
});

describe('describeLayers', () => {
  it('lists the dense kernels and nonlinearities in the order they are applied', () => {
    const encoder = createMlpEncoder({ ...encoderOptions, activation: 'tanh' }, { name: 'encoder:joints', modality: series, seed: 1 });
    const decoder = createMlpDecoder({ activation: 'sigmoid', outputActivation: 'linear', init: 'pytorch' }, { name: 'decoder:joints', modality: series, inputSize: 2, encoder, seed: 2 });
    expect(encoder.describeLayers().map((l) => (l.kind === 'dense' ? `${l.name}:${l.kernel.shape.join('x')}` : `${l.name}/${(l as { lipschitz: number }).lipschitz}`))).toEqual([
      'dense0:12x5',
      'tanh/1',
      'dense1:5x6',
      'tanh/1',
      'dense2:6x2',
      'tanh/1',
    ]);
    const layers = decoder.describeLayers();
    expect(layers.map((l) => l.kind)).toEqual(['dense', 'activation', 'dense', 'activation', 'dense']);
    expect((layers[1] as { lipschitz: number }).lipschitz).toBe(0.25);
    // The described kernels are the decoder's own variables, not copies.
    expect(layers.filter((l) => l.kind === 'dense').map((l) => (l as { kernel: tf.Variable }).kernel)).toEqual(decoder.parameters.filter((p) => p.name.endsWith('kernel')).map((p) => p.variable));
    encoder.dispose();
    decoder.dispose();
  });

  it('describes a conv decoder as projection, transposed convs running each encoder layer backwards', () => {
    const image: ModalitySpec = { name: 'camera', kind: 'image', shape: [16, 16, 3] };
    const encoder = new ConvImageEncoder('encoder:camera', image, { channels: [4, 6], kernelSize: 5, stride: 2, padding: 1, activation: 'relu', activateLast: false, init: 'pytorch' }, 1);
    expect(encoder.describeLayers().map((l) => l.kind)).toEqual(['conv2d', 'activation', 'conv2d']);
    const decoder = createConvImageDecoderForTest(encoder);
    const layers = decoder.describeLayers();
    expect(layers.map((l) => l.kind)).toEqual(['dense', 'conv2d-transpose', 'activation', 'conv2d-transpose']);
    const first = layers[1] as unknown as { inShape: number[]; outShape: number[] };
    expect(first.inShape).toEqual(encoder.layers[1].outShape);
    expect(first.outShape).toEqual(encoder.layers[1].inShape);
    encoder.dispose();
    decoder.dispose();
  });
});

function createConvImageDecoderForTest(encoder: ConvImageEncoder) {
  return createConvImageDecoder({ activation: 'relu', outputActivation: 'linear', init: 'pytorch' }, { name: 'decoder:camera', modality: encoder.modality, inputSize: 3, encoder, seed: 2 });
}
