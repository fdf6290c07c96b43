import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from './select-backend';

describe('initBackend', () => {
  it('starts the pure-JS and the WebAssembly backends on request and says so', async () => {
    const cpu = await initBackend('cpu');
    expect(cpu).toMatchObject({ name: 'cpu', requested: 'cpu', reason: 'requested' });
    expect(tf.getBackend()).toBe('cpu');
    const wasm = await initBackend('wasm');
    expect(wasm).toMatchObject({ name: 'wasm', requested: 'wasm' });
    expect(typeof wasm.simd).toBe('boolean');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('falls back from native TensorFlow with the reason, or uses it when it loads', async () => {
    const info = await initBackend('auto');
    if (info.name === 'tensorflow') {
      expect(info.nativePackage).toMatch(/@tensorflow\/tfjs-node/);
    } else {
      expect(info.name).toBe('wasm');
      expect(info.reason).toMatch(/native TensorFlow unavailable \(@tensorflow\/tfjs-node-gpu: /);
      await expect(initBackend('tensorflow')).rejects.toThrow(/backend "tensorflow" is not available .*tfjs-node-gpu/);
    }
  });

  it('rejects an unknown choice', async () => {
    await expect(initBackend('webgpu' as never)).rejects.toThrow(/unknown backend "webgpu"; expected one of auto, tensorflow, wasm, cpu/);
  });

  it('registers gradients, so training works on the chosen backend', async () => {
    await initBackend('wasm');
    const w = tf.variable(tf.tensor1d([1, 2]));
    const { grads } = tf.variableGrads(() => tf.sum(tf.square(w)));
    expect(Array.from(grads[w.name].dataSync())).toEqual([2, 4]);
    tf.dispose([w, grads[w.name]]);
  });
});
