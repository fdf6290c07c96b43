import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../select-backend';
import { MATMUL_CASES, maxRelativeError } from './conformance-cases';
import { stockWasmKernel } from './register-wasm-kernels';
import type { WasmBackend } from './wasm-backend-access';

function values(shape: number[], phase: number): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, (_, i) => Math.cos(i * 0.29 + phase)), shape);
}

describe('wasm BatchMatMul with transposed operands', () => {
  it.each(MATMUL_CASES)('multiplies %j by %j (transposeA %s, transposeB %s) as the cpu backend does', async (aShape, bShape, ta, tb) => {
    const results: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const name of ['cpu', 'wasm'] as const) {
      await initBackend(name);
      const a = values(aShape, 0.3);
      const b = values(bShape, 1.1);
      // A tensor allocated around the product must come out untouched (the GEMM's scratch is sized right).
      const sentinel = values([5, 13], 2.3);
      const sentinelBefore = sentinel.dataSync().slice();
      const before = tf.memory().numTensors;
      const c = tf.matMul(a, b, ta, tb);
      results[name] = { shape: c.shape, data: c.dataSync() as Float32Array };
      c.dispose();
      expect(tf.memory().numTensors).toBe(before);
      expect(sentinel.dataSync()).toEqual(sentinelBefore);
      tf.dispose([a, b, sentinel]);
    }
    expect(results.wasm.shape).toEqual(results.cpu.shape);
    expect(maxRelativeError(results.wasm.data, results.cpu.data)).toBeLessThan(1e-4);
  });

  it('gives dense-layer gradients equal to the cpu backend', async () => {
    const grads: Record<string, Float32Array[]> = {};
    for (const name of ['cpu', 'wasm'] as const) {
      await initBackend(name);
      const x = values([4, 9], 0.2);
      const w = tf.variable(values([9, 6], 0.5) as tf.Tensor2D);
      const { grads: g } = tf.variableGrads(() => tf.sum(tf.square(tf.matMul(tf.tanh(x), w))), [w]);
      const dx = tf.grad((input: tf.Tensor) => tf.sum(tf.square(tf.matMul(input as tf.Tensor2D, w))))(x);
      grads[name] = [g[w.name].dataSync() as Float32Array, dx.dataSync() as Float32Array];
      tf.dispose([x, w, g[w.name], dx]);
    }
    grads.cpu.forEach((expected, i) => expect(maxRelativeError(grads.wasm[i], expected)).toBeLessThan(1e-5));
  });
});

describe('the stock BatchMatMul mmfuse replaced', () => {
  it('is kept for comparisons, and computes the same product as the registered kernel', async () => {
    await initBackend('wasm');
    const stock = stockWasmKernel('BatchMatMul')!;
    expect(stock.kernelFunc).not.toBe(tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc);
    expect(stockWasmKernel('MmfuseAdamStep')).toBeUndefined();
    const a = values([1, 16, 40], 0.3);
    const b = values([1, 40, 24], 1.1);
    const backend = tf.backend() as unknown as WasmBackend;
    const out = stock.kernelFunc({ inputs: { a, b }, backend: tf.backend(), attrs: { transposeA: false, transposeB: false } as never }) as tf.TensorInfo;
    const expected = tf.matMul(a, b);
    expect(maxRelativeError(backend.typedArrayFromHeap(out), expected.dataSync())).toBeLessThan(1e-5);
    backend.disposeData(out.dataId);
    tf.dispose([a, b, expected]);
  });
});
