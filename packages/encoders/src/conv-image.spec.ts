import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@mmfuse/backend';
import type { ModalitySpec } from '@mmfuse/core';
import { convStack } from './conv-geometry';
import { ConvImageDecoder, ConvImageDecoderOptions, createConvImageDecoder } from './conv-image-decoder';
import { ConvImageEncoder, ConvImageEncoderOptions } from './conv-image-encoder';
import { createMlpEncoder } from './mlp';

const image = (h: number, w: number, c: number): ModalitySpec => ({ name: 'camera', kind: 'image', shape: [h, w, c] });

function encoderOptions(overrides: Partial<ConvImageEncoderOptions>): ConvImageEncoderOptions {
  return { channels: [4, 6], kernelSize: 5, stride: 2, padding: 1, activation: 'relu', activateLast: true, init: 'pytorch', ...overrides };
}
const decoderOptions: ConvImageDecoderOptions = { activation: 'relu', outputActivation: 'linear', init: 'pytorch' };

function filled(shape: number[], phase = 0): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.61 + phase)), shape);
}

/** Direct 2-D convolution in plain loops: the independent reference for the encoder's layers. */
function referenceConv(x: Float32Array, [b, h, w, c]: number[], k: Float32Array, [kh, kw, , o]: number[], [sh, sw]: number[], [pt, , pl]: number[], [oh, ow]: number[]): Float32Array {
  const out = new Float32Array(b * oh * ow * o);
  for (let n = 0; n < b; n++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let q = 0; q < o; q++) {
          let s = 0;
          for (let u = 0; u < kh; u++)
            for (let v = 0; v < kw; v++) {
              const y = i * sh + u - pt;
              const xx = j * sw + v - pl;
              if (y < 0 || y >= h || xx < 0 || xx >= w) continue;
              for (let p = 0; p < c; p++) s += x[((n * h + y) * w + xx) * c + p] * k[((u * kw + v) * c + p) * o + q];
            }
          out[((n * oh + i) * ow + j) * o + q] = s;
        }
  return out;
}

beforeAll(async () => {
  await initBackend('cpu');
});

describe('conv geometry', () => {
  it.each([
    ['the paper (256×256)', 256, [256, 128, 64, 32, 32, 32], [256, 127, 63, 31, 15, 7, 3]],
    ['paper-128', 128, [64, 64, 32, 32, 32], [128, 63, 31, 15, 7, 3]],
    ['tiny-64', 64, [16, 32, 32, 32], [64, 31, 15, 7, 3]],
  ])('gives %s a 288-wide latent through the published feature-map sizes', (_name, side, channels, sizes) => {
    const layers = convStack([side as number, side as number, 3], channels as number[], [5, 5], [2, 2], 1);
    expect([side, ...layers.map((l) => l.outShape[0])]).toEqual(sizes);
    const last = layers[layers.length - 1].outShape;
    expect(last[0] * last[1] * last[2]).toBe(288);
  });

  it('resolves TensorFlow-style same padding explicitly, including kernel smaller than stride', () => {
    expect(convStack([7, 9, 1], [2], [3, 3], [2, 2], 'same')[0]).toMatchObject({ outShape: [4, 5, 2], pads: [1, 1, 1, 1] });
    expect(convStack([12, 12, 1], [2], [2, 2], [3, 3], 'same')[0]).toMatchObject({ outShape: [4, 4, 2], pads: [0, 0, 0, 0] });
  });

  it('names the layer that would shrink the map to nothing', () => {
    expect(() => convStack([8, 8, 3], [4, 4, 4, 4], [5, 5], [2, 2], 0)).toThrow(/layer 1 \(kernel 5×5, stride 2×2\) would turn a 2×2 map into -0×-0|layer 1 .* would turn a 2×2 map/);
  });
});

describe('ConvImageEncoder', () => {
  it('computes each layer as the direct convolution plus bias and ReLU', () => {
    const encoder = new ConvImageEncoder('encoder:camera', image(11, 9, 2), encoderOptions({ channels: [3], kernelSize: [3, 2], stride: [2, 1], padding: [1, 0, 0, 1] }), 5);
    const x = filled([2, 11, 9, 2]);
    const [kernel, bias] = encoder.parameters.map((p) => p.variable);
    const layer = encoder.layers[0];
    const expected = referenceConv(x.dataSync() as Float32Array, [2, 11, 9, 2], kernel.dataSync() as Float32Array, kernel.shape, layer.stride, layer.pads, layer.outShape);
    const b = bias.dataSync();
    for (let i = 0; i < expected.length; i++) expected[i] = Math.max(0, expected[i] + b[i % 3]);
    const actual = encoder.apply(x).dataSync();
    expect(actual.length).toBe(expected.length);
    expected.forEach((v, i) => expect(actual[i]).toBeCloseTo(v, 5));
    encoder.dispose();
  });

  it('is reproducible from its seed and round-trips its config', () => {
    const a = new ConvImageEncoder('encoder:camera', image(16, 16, 3), encoderOptions({}), 11);
    const b = new ConvImageEncoder('encoder:camera', image(16, 16, 3), a.getConfig() as never, 11);
    const c = new ConvImageEncoder('encoder:camera', image(16, 16, 3), encoderOptions({}), 12);
    expect(b.getConfig()).toEqual(a.getConfig());
    expect(a.getConfig()).toEqual({ type: 'conv2d', ...encoderOptions({}) });
    expect(b.parameters[0].variable.dataSync()).toEqual(a.parameters[0].variable.dataSync());
    expect(c.parameters[0].variable.dataSync()).not.toEqual(a.parameters[0].variable.dataSync());
    expect(a.parameters.map((p) => p.name)).toEqual(['encoder:camera/conv0/kernel', 'encoder:camera/conv0/bias', 'encoder:camera/conv1/kernel', 'encoder:camera/conv1/bias']);
    [a, b, c].forEach((m) => m.dispose());
  });
});

describe('ConvImageDecoder', () => {
  it.each([
    [[64, 64, 3], { channels: [16, 32, 32, 32] }],
    [[13, 10, 1], { channels: [3, 5], kernelSize: [3, 4] as [number, number], stride: [2, 3] as [number, number], padding: 'same' as const }],
    [[15, 15, 2], { channels: [4, 4], kernelSize: 3, stride: 3, padding: 'valid' as const }],
    [[9, 7, 3], { channels: [2], kernelSize: 2, stride: 1, padding: [0, 1, 1, 0] as [number, number, number, number] }],
  ])('reconstructs exactly the input size %j for %j', (shape, overrides) => {
    const modality = image(shape[0], shape[1], shape[2]);
    const encoder = new ConvImageEncoder('encoder:camera', modality, encoderOptions(overrides), 1);
    const decoder = createConvImageDecoder(decoderOptions, { name: 'decoder:camera', modality, inputSize: 7, encoder, seed: 2 });
    const out = decoder.apply(filled([1, 7]) as tf.Tensor2D);
    expect(out.shape).toEqual([1, ...shape]);
    tf.dispose(out);
    encoder.dispose();
    decoder.dispose();
  });

  it('uses transposed convolutions that are the exact adjoints of the encoder convolutions', () => {
    // <conv(x), y> = <x, conv^T(y)> for the same kernel: the defining property of a transposed convolution.
    const modality = image(10, 9, 2);
    const encoder = new ConvImageEncoder('encoder:camera', modality, encoderOptions({ channels: [3], kernelSize: 3, stride: 2, padding: 1 }), 1);
    const layer = encoder.layers[0];
    const kernel = filled([3, 3, 2, 3], 0.4) as tf.Tensor4D;
    const x = filled([1, 10, 9, 2], 0.2) as tf.Tensor4D;
    const y = filled([1, ...layer.outShape], 0.9) as tf.Tensor4D;
    const pads = [[0, 0], [layer.pads[0], layer.pads[1]], [layer.pads[2], layer.pads[3]], [0, 0]] as never;
    const left = tf.sum(tf.mul(tf.conv2d(x, kernel, 2, pads), y)).dataSync()[0];
    const right = tf.sum(tf.mul(x, tf.conv2dTranspose(y, kernel, [1, 10, 9, 2], 2, pads))).dataSync()[0];
    expect(right).toBeCloseTo(left, 3);
    encoder.dispose();
  });

  it('refuses to mirror an encoder that is not convolutional', () => {
    const modality = image(8, 8, 1);
    const encoder = createMlpEncoder({ units: [4], latentSize: 3, activation: 'relu', activateLast: true, init: 'pytorch' }, { name: 'encoder:camera', modality, seed: 1 });
    expect(() => createConvImageDecoder(decoderOptions, { name: 'decoder:camera', modality, inputSize: 3, encoder, seed: 1 })).toThrow(/mirrors a conv2d encoder, but the encoder of "camera" is mlp/);
    encoder.dispose();
  });
});

describe('gradients', () => {
  /** Central finite differences of the loss along a random direction vs autodiff (float64 not available: loose tolerance). */
  it('match central finite differences through encoder and decoder', async () => {
    const modality = image(9, 8, 2);
    const encoder = new ConvImageEncoder('encoder:camera', modality, encoderOptions({ channels: [3, 2], kernelSize: 3, activation: 'tanh' }), 3);
    const decoder = new ConvImageDecoder('decoder:camera', modality, encoder.outputSize, encoder.layers, { ...decoderOptions, activation: 'tanh' }, 4);
    const x = filled([2, 9, 8, 2], 0.5);
    const variables = [...encoder.parameters, ...decoder.parameters].map((p) => p.variable);
    const loss = () => tf.mean(tf.square(tf.sub(decoder.apply(encoder.apply(x)), x))) as tf.Scalar;
    const { grads } = tf.variableGrads(loss, variables);
    const directions = variables.map((v, i) => filled(v.shape, i + 0.3));
    const directional = variables.reduce((s, v, i) => s + tf.sum(tf.mul(grads[v.name], directions[i])).dataSync()[0], 0);
    const eps = 1e-2;
    const shift = (sign: number) => variables.forEach((v, i) => v.assign(tf.add(v, tf.mul(directions[i], sign * eps))));
    shift(1);
    const plus = loss().dataSync()[0];
    shift(-2);
    const minus = loss().dataSync()[0];
    shift(1);
    const numeric = (plus - minus) / (2 * eps);
    expect(Math.abs(numeric - directional)).toBeLessThan(2e-3 * Math.max(1, Math.abs(directional)));
    encoder.dispose();
    decoder.dispose();
  });

  it('are the same on the wasm backend as on the cpu backend', async () => {
    const results: Record<string, Float32Array[]> = {};
    for (const backend of ['cpu', 'wasm'] as const) {
      await initBackend(backend);
      const modality = image(17, 13, 3);
      const encoder = new ConvImageEncoder('encoder:camera', modality, encoderOptions({ channels: [4, 5] }), 3);
      const decoder = new ConvImageDecoder('decoder:camera', modality, encoder.outputSize, encoder.layers, decoderOptions, 4);
      const x = filled([3, 17, 13, 3], 0.5);
      const variables = [...encoder.parameters, ...decoder.parameters].map((p) => p.variable);
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(tf.sub(decoder.apply(encoder.apply(x)), x))) as tf.Scalar, variables);
      results[backend] = [value.dataSync() as Float32Array, ...variables.map((v) => grads[v.name].dataSync() as Float32Array)];
      encoder.dispose();
      decoder.dispose();
    }
    await initBackend('cpu');
    results.cpu.forEach((expected, i) => {
      const scale = Math.max(...Array.from(expected, Math.abs), 1e-12);
      const worst = Math.max(...Array.from(expected, (v, j) => Math.abs(v - results.wasm[i][j])));
      expect(worst / scale).toBeLessThan(1e-4);
    });
  });
});
