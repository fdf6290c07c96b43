import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../index';

/**
 * Asking for the WebGPU backend again in one process (a benchmark trying every backend, then
 * timing one) reuses the device it started. (A second Dawn device in the benchmark's process
 * aborted it; tools/e2e/webgpu/bench-webgpu.spec.ts runs that benchmark.)
 */
describe('the webgpu backend started twice in one process', () => {
  it('reuses its device, after another backend in between', async () => {
    const first = await initBackend('webgpu');
    await initBackend('wasm');
    expect(tf.getBackend()).toBe('wasm');
    const second = await initBackend('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    expect(second.adapter).toEqual(first.adapter);
    const sum = tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4]));
    expect(Array.from(await sum.data())).toEqual([4, 6]);
    sum.dispose();
  });

  it('is not taken by auto when what it started is a software adapter', async () => {
    const auto = await initBackend('auto');
    expect(auto.name).not.toBe('webgpu');
  });
});
