import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../select-backend';

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

function filled(shape: number[], phase: number): tf.Tensor4D {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor4d(Float32Array.from({ length: size }, (_, i) => Math.sin(i * 0.37 + phase)), shape as [number, number, number, number]);
}

/** max |a − b| relative to the largest magnitude of the reference. */
function maxRelativeError(actual: Float32Array | Int32Array | Uint8Array, expected: Float32Array | Int32Array | Uint8Array): number {
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]));
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  }
  return worst / Math.max(scale, 1e-12);
}

const explicit = (t: number, b: number, l: number, r: number): Pad => [[0, 0], [t, b], [l, r], [0, 0]];

// x shape, filter shape, strides, padding: every padding mode the encoders use, strides 1-3,
// non-square and odd sizes, batch 1, and sizes where the forward pass skips trailing rows.
const CASES: Array<[number[], number[], [number, number], Pad]> = [
  [[2, 9, 9, 3], [5, 5, 3, 4], [2, 2], explicit(1, 1, 1, 1)],
  [[1, 8, 7, 2], [3, 3, 2, 5], [1, 1], 'same'],
  [[3, 10, 11, 4], [3, 2, 4, 2], [2, 3], 'valid'],
  [[1, 12, 12, 3], [4, 4, 3, 2], [3, 3], 'same'],
  [[2, 13, 6, 1], [2, 3, 1, 3], [1, 2], explicit(0, 2, 1, 0)],
  [[1, 31, 31, 8], [5, 5, 8, 16], [2, 2], explicit(1, 1, 1, 1)],
  [[2, 7, 9, 3], [1, 1, 3, 6], [3, 2], 'valid'],
];

describe('wasm Conv2DBackpropFilter', () => {
  it.each(CASES)('matches the cpu backend for x %j, filter %j, strides %j, pad %j', async (xShape, filterShape, strides, pad) => {
    const results: Record<string, Float32Array> = {};
    for (const name of ['cpu', 'wasm'] as const) {
      await initBackend(name);
      const x = filled(xShape, 0.1);
      const forward = tf.conv2d(x, tf.zeros(filterShape) as tf.Tensor4D, strides, pad);
      const dy = filled(forward.shape, 1.7);
      const before = tf.memory().numTensors;
      const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides, pad, dataFormat: 'NHWC', filterShape } as never) as tf.Tensor;
      expect(dw.shape).toEqual(filterShape);
      results[name] = dw.dataSync() as Float32Array;
      tf.dispose([dw]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, forward, dy]);
    }
    expect(maxRelativeError(results.wasm, results.cpu)).toBeLessThan(1e-4);
  });

  it('gives the same filter gradient through tf.grad as the cpu backend', async () => {
    const grads: Record<string, Float32Array> = {};
    for (const name of ['cpu', 'wasm'] as const) {
      await initBackend(name);
      const x = filled([2, 11, 11, 3], 0.3);
      const w = filled([5, 5, 3, 4], 2.1);
      const g = tf.grad((filter: tf.Tensor) => tf.sum(tf.square(tf.conv2d(x, filter as tf.Tensor4D, 2, explicit(1, 1, 1, 1)))))(w);
      grads[name] = g.dataSync() as Float32Array;
      tf.dispose([x, w, g]);
    }
    expect(maxRelativeError(grads.wasm, grads.cpu)).toBeLessThan(1e-4);
  });
});
