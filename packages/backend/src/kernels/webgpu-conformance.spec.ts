import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../select-backend';
import { CONV_CASES, filled, MATMUL_CASES, maxRelativeError } from './conformance-cases';

/**
 * tfjs-backend-webgpu's kernels against the cpu backend on the grids the wasm kernels are checked
 * on, run on whatever adapter `webgpu` finds: here Mesa's software rasteriser through Dawn's OpenGL
 * ES backend, on a GPU the GPU. Values and gradients agree within 1e-4 of the largest magnitude.
 */
const TOLERANCE = 1e-4;

beforeAll(async () => {
  const info = await initBackend('webgpu');
  expect(info.name).toBe('webgpu');
});

/** Runs `compute` on cpu, then on webgpu, returning both results as plain arrays. */
async function onBoth(compute: () => tf.Tensor[]): Promise<{ cpu: Float32Array[]; webgpu: Float32Array[]; shapes: number[][] }> {
  const out: Record<string, Float32Array[]> = {};
  let shapes: number[][] = [];
  for (const name of ['cpu', 'webgpu']) {
    await tf.setBackend(name);
    const before = tf.memory().numTensors;
    const results = compute();
    shapes = results.map((r) => r.shape);
    out[name] = await Promise.all(results.map(async (r) => (await r.data()) as Float32Array));
    tf.dispose(results);
    expect(tf.memory().numTensors).toBe(before);
  }
  return { cpu: out.cpu, webgpu: out.webgpu, shapes };
}

function expectClose(results: { cpu: Float32Array[]; webgpu: Float32Array[] }): void {
  results.cpu.forEach((expected, i) => expect(maxRelativeError(results.webgpu[i], expected)).toBeLessThan(TOLERANCE));
}

describe('webgpu convolutions', () => {
  it.each(CONV_CASES)('Conv2D, Conv2DBackpropInput and Conv2DBackpropFilter match the cpu backend for x %j, filter %j, strides %j, pad %j', async (xShape, filterShape, strides, pad) => {
    const results = await onBoth(() =>
      tf.tidy(() => {
        const x = filled(xShape, 0.1);
        const w = filled(filterShape, 0.7);
        const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, strides, pad))))([x, w]);
        return [tf.conv2d(x, w, strides, pad), dx, dw];
      }),
    );
    expectClose(results);
  });

  it('conv2dTranspose (a decoder layer) and its gradients match', async () => {
    expectClose(
      await onBoth(() =>
        tf.tidy(() => {
          const x = filled([2, 5, 5, 6], 0.2);
          const w = filled([5, 5, 3, 6], 0.4);
          const f = (a: tf.Tensor, b: tf.Tensor) => tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, [2, 13, 13, 3], 2, 'valid');
          return [f(x, w), ...tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(f(a, b))))([x, w])];
        }),
      ),
    );
  });
});

describe('webgpu BatchMatMul', () => {
  it.each(MATMUL_CASES)('multiplies %j by %j (transposeA %s, transposeB %s) as the cpu backend does', async (aShape, bShape, ta, tb) => {
    expectClose(
      await onBoth(() =>
        tf.tidy(() => {
          const size = (s: number[]) => s.reduce((p, q) => p * q, 1);
          const a = tf.tensor(Float32Array.from({ length: size(aShape) }, (_, i) => Math.cos(i * 0.29 + 0.3)), aShape);
          const b = tf.tensor(Float32Array.from({ length: size(bShape) }, (_, i) => Math.cos(i * 0.29 + 1.1)), bShape);
          return [tf.matMul(a, b, ta, tb)];
        }),
      ),
    );
  });
});

/** Element-wise ops, reductions and shape ops the encoders, fusions, regularizers and estimators use, with their gradients. */
const OPS: Array<[string, (x: tf.Tensor, y: tf.Tensor) => tf.Tensor]> = [
  ['relu', (x) => tf.relu(x)],
  ['leakyRelu', (x) => tf.leakyRelu(x, 0.2)],
  ['elu', (x) => tf.elu(x)],
  ['sigmoid', (x) => tf.sigmoid(x)],
  ['tanh', (x) => tf.tanh(x)],
  ['softmax over the last axis', (x) => tf.softmax(x)],
  ['exp, log, sqrt of positives', (x) => tf.add(tf.exp(tf.mul(x, 0.3)), tf.log(tf.add(tf.abs(x), 1)))],
  ['sqrt, rsqrt, square', (x) => tf.add(tf.sqrt(tf.add(tf.square(x), 0.5)), tf.rsqrt(tf.add(tf.square(x), 1)))],
  ['broadcast add, sub, mul, div', (x, y) => {
    const row = tf.slice(y, [0, 0, 0], [1, 1, 6]);
    return tf.div(tf.sub(tf.mul(tf.add(x, row), row), x), tf.add(tf.abs(row), 1));
  }],
  ['squaredDifference', (x, y) => tf.squaredDifference(x, y)],
  ['maximum, minimum, clipByValue', (x, y) => tf.add(tf.maximum(x, y), tf.clipByValue(tf.minimum(x, y), -0.5, 0.5))],
  // The mask is a constant: tfjs has no gradient for comparisons.
  ['where on a mask', (x, y) => tf.where(tf.greater(tf.sin(tf.reshape(tf.range(0, 72), [2, 6, 6])), 0), x, tf.neg(y))],
  ['sum and mean over axes', (x) => tf.add(tf.sum(x, 1, true), tf.mean(x, [0, 1], true))],
  ['max over an axis', (x) => tf.max(x, -1)],
  // Weighted by y: the squared sum of a unit vector alone is constant, its gradient only rounding noise.
  ['euclidean norm (unit-norm inputs)', (x, y) => tf.mul(tf.div(x, tf.add(tf.norm(x, 'euclidean', -1, true), 1e-6)), y)],
  ['concat, slice, reshape, transpose', (x, y) => tf.transpose(tf.reshape(tf.slice(tf.concat([x, y], -1), [0, 0, 1], [-1, -1, 6]), [4, 3, 6]), [2, 0, 1])],
  ['stack and unstack', (x, y) => tf.stack([...tf.unstack(x, 1), ...tf.unstack(y, 1)], 1)],
  ['pow and abs', (x) => tf.add(tf.pow(tf.abs(x), 1.5), tf.abs(x))],
];

describe('webgpu element-wise, reduction and shape kernels', () => {
  it.each(OPS)('%s: values and gradients match the cpu backend', async (_name, op) => {
    expectClose(
      await onBoth(() =>
        tf.tidy(() => {
          const x = tf.reshape(filled([2, 6, 1, 6], 0.3), [2, 6, 6]);
          const y = tf.reshape(filled([2, 6, 1, 6], 1.3), [2, 6, 6]);
          // The y term keeps ops of x alone differentiable in y (a zero gradient on both backends).
          return [op(x, y), ...tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.add(tf.sum(tf.square(op(a, b))), tf.mul(tf.sum(b), 0)))([x, y])];
        }),
      ),
    );
  });
});
