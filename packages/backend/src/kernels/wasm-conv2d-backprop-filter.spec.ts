import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../select-backend';
import { CONV_CASES, explicit, filled, maxRelativeError } from './conformance-cases';

describe('wasm Conv2DBackpropFilter', () => {
  it.each(CONV_CASES)('matches the cpu backend for x %j, filter %j, strides %j, pad %j', async (xShape, filterShape, strides, pad) => {
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
