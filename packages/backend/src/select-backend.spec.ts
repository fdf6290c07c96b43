import * as tf from '@tensorflow/tfjs-core';
import { backendProviders, registerBackendProvider } from './backend-registry';
import { initBackend } from './select-backend';

describe('initBackend', () => {
  it('starts the pure-JS and the WebAssembly backends on request and says so', async () => {
    const cpu = await initBackend('cpu');
    expect(cpu).toMatchObject({ name: 'cpu', requested: 'cpu', reason: 'requested: pure JavaScript' });
    expect(tf.getBackend()).toBe('cpu');
    const wasm = await initBackend('wasm');
    expect(wasm).toMatchObject({ name: 'wasm', requested: 'wasm' });
    expect(typeof wasm.simd).toBe('boolean');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('under auto, tries native TensorFlow, then WebGPU on a hardware adapter, and records why each was passed over', async () => {
    const info = await initBackend('auto');
    if (info.name === 'tensorflow') {
      expect(info.nativePackage).toMatch(/@tensorflow\/tfjs-node/);
      return;
    }
    expect(info.tried?.[0]).toMatch(/^tensorflow: @tensorflow\/tfjs-node-gpu: /);
    if (info.name === 'webgpu') {
      expect(info.adapter?.software).toBe(false);
      return;
    }
    // No GPU here: WebGPU is passed over (a software adapter is never taken under auto) and wasm runs.
    expect(info.name).toBe('wasm');
    expect(info.tried?.[1]).toMatch(/^webgpu: /);
    expect(info.reason).toBe(`WebAssembly with mmfuse's training kernels; ${info.tried?.join('; ')}`);
    await expect(initBackend('tensorflow')).rejects.toThrow(/backend "tensorflow" is not available \(.*tfjs-node-gpu.*\); install @tensorflow\/tfjs-node-gpu/);
  });

  it('rejects an unknown choice, naming the registered ones', async () => {
    await expect(initBackend('metal')).rejects.toThrow('unknown backend "metal"; expected one of auto, tensorflow, webgpu, wasm, cpu');
  });

  it('takes a backend a plugin registers, like a component', async () => {
    registerBackendProvider({
      name: 'cpu-alias',
      description: 'the JavaScript backend under another name',
      async start() {
        await tf.setBackend('cpu');
        return { ok: true, info: { name: 'cpu', version: 'test', tfjsVersion: tf.version_core }, why: 'a plugin backend' };
      },
    });
    expect(backendProviders().map((p) => p.name)).toEqual(['tensorflow', 'webgpu', 'wasm', 'cpu', 'cpu-alias']);
    await expect(initBackend('cpu-alias')).resolves.toMatchObject({ requested: 'cpu-alias', reason: 'requested: a plugin backend' });
    expect(() => registerBackendProvider({ name: 'Auto', description: '', start: async () => ({ ok: false, why: '' }) })).toThrow(/must be lower-case/);
  });

  it('registers gradients, so training works on the chosen backend', async () => {
    await initBackend('wasm');
    const w = tf.variable(tf.tensor1d([1, 2]));
    const { grads } = tf.variableGrads(() => tf.sum(tf.square(w)));
    expect(Array.from(grads[w.name].dataSync())).toEqual([2, 4]);
    tf.dispose([w, grads[w.name]]);
  });
});
