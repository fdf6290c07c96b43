import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../select-backend';
import { filled, maxRelativeError } from './conformance-cases';
import { heapIndex, WasmBackend } from './wasm-backend-access';

/**
 * wasm32 addresses run to 4 GiB, but Emscripten's malloc returns them as signed i32: past 2 GiB a
 * kernel that used them as they come read the wrong memory or threw ("Start offset -2106603448 is
 * outside the bounds of the buffer", a 30-epoch paper-128 run with Lipschitz tracking). Here every
 * mmfuse kernel runs on tensors and scratch placed above 2 GiB.
 */
describe('wasm kernels on a heap past 2 GiB', () => {
  const cases = { x: [2, 13, 13, 16], filter: [5, 5, 16, 24] } as const;

  async function compute(): Promise<Record<string, Float32Array>> {
    const x = filled([...cases.x], 0.3);
    const f = filled([...cases.filter], 1.1);
    const pad = [[0, 0], [1, 1], [1, 1], [0, 0]] as const;
    const y = tf.conv2d(x, f, 2, pad as never);
    const dy = filled(y.shape, 2.5);
    const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: [2, 2], pad, dataFormat: 'NHWC', filterShape: cases.filter } as never) as tf.Tensor;
    const dx = tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: f }, { strides: [2, 2], pad, dataFormat: 'NHWC', inputShape: cases.x } as never) as tf.Tensor;
    const bias = tf.sum(dy, [0, 1, 2]);
    const out = { y: y.dataSync() as Float32Array, dw: dw.dataSync() as Float32Array, dx: dx.dataSync() as Float32Array, bias: bias.dataSync() as Float32Array };
    tf.dispose([x, f, y, dy, dw, dx, bias]);
    return out;
  }

  it('convolves and differentiates as the cpu backend does', async () => {
    await initBackend('cpu');
    const expected = await compute();
    await initBackend('wasm');
    const backend = tf.backend() as unknown as WasmBackend;
    const heap = backend.wasm as unknown as { _malloc(bytes: number): number; _free(pointer: number): void };
    // Hold 2 GiB + 16 MiB so that everything allocated next lies above 2 GiB (pages never touched).
    const hold = heap._malloc(2 ** 31 + 2 ** 24);
    try {
      expect(hold).not.toBe(0);
      const probe = tf.zeros([4]);
      expect(heapIndex(backend, probe) * 4).toBeGreaterThan(2 ** 31);
      probe.dispose();
      const actual = await compute();
      for (const key of Object.keys(expected)) expect({ key, error: maxRelativeError(actual[key], expected[key]) < 1e-4 }).toEqual({ key, error: true });
    } finally {
      heap._free(hold);
    }
  });
});
