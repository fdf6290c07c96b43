import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../select-backend';
import { CONV_CASES, filled, maxRelativeError } from './conformance-cases';
import { WasmBackend } from './wasm-backend-access';
import { phasesInputGradient } from './wasm-conv2d-backprop-input';

describe('wasm Conv2DBackpropInput (GEMM, and sub-pixel phases where the GEMM module cannot run)', () => {
  it.each(CONV_CASES)('matches the cpu backend for x %j, filter %j, strides %j, pad %j', async (xShape, filterShape, strides, pad) => {
    const results: Record<string, Float32Array> = {};
    for (const name of ['cpu', 'wasm', 'phases'] as const) {
      await initBackend(name === 'phases' ? 'wasm' : name);
      const filter = filled(filterShape, 0.7);
      const forward = tf.conv2d(filled(xShape, 0.1), filter, strides, pad);
      const dy = filled(forward.shape, 1.3);
      const before = tf.memory().numTensors;
      const attrs = { strides, pad, dataFormat: 'NHWC', inputShape: xShape };
      if (name === 'phases') {
        const backend = tf.backend() as unknown as WasmBackend;
        const dx = phasesInputGradient(backend, dy, filter, attrs);
        expect(dx.shape).toEqual(xShape);
        results[name] = backend.typedArrayFromHeap(dx).slice();
        backend.disposeData(dx.dataId);
      } else {
        const dx = tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, attrs as never) as tf.Tensor;
        expect(dx.shape).toEqual(xShape);
        results[name] = dx.dataSync() as Float32Array;
        tf.dispose(dx);
      }
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([filter, forward, dy]);
    }
    expect(maxRelativeError(results.wasm, results.cpu)).toBeLessThan(1e-4);
    expect(maxRelativeError(results.phases, results.cpu)).toBeLessThan(1e-4);
  });

  it('gives transposed convolutions of every output size the cpu backend gives', async () => {
    const results: Record<string, Float32Array[]> = {};
    for (const name of ['cpu', 'wasm'] as const) {
      await initBackend(name);
      const x = filled([2, 7, 5, 6], 0.2);
      const filter = filled([5, 5, 3, 6], 0.9);
      const outs = [
        tf.conv2dTranspose(x, filter, [2, 15, 11, 3], 2, [[0, 0], [1, 1], [1, 1], [0, 0]] as never),
        tf.conv2dTranspose(x, filter, [2, 16, 12, 3], 2, [[0, 0], [1, 1], [1, 1], [0, 0]] as never),
        tf.conv2dTranspose(x, filter, [2, 21, 15, 3], 3, 'same'),
      ];
      results[name] = outs.map((o) => o.dataSync() as Float32Array);
      tf.dispose([x, filter, ...outs]);
    }
    results.cpu.forEach((expected, i) => expect(maxRelativeError(results.wasm[i], expected)).toBeLessThan(1e-4));
  });
});
