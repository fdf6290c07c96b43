import 'reflect-metadata';
import { dirname } from 'path';
import { Container } from 'inversify';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@mmfuse/backend';
import { ComponentRegistry, coreModule, inMemory, loadPlugins, Regularizer } from '@mmfuse/core';
import { ConfigValidator, ExperimentConfig } from '@mmfuse/config';
import { buildModel } from '@mmfuse/model';
import { partGradients, TrialTrainer } from '@mmfuse/trainer';

/**
 * Training on the WebGPU backend, here on Mesa's software rasteriser through Dawn's OpenGL ES
 * backend, against the cpu backend: a whole model's gradients, a short training run, and the
 * memory a run holds. The model is the quickstart's with the paper's attention fusion (unit-norm
 * inputs, spectral normalisation, 1/√k, L2 on its projections). Float32 sums run in another order
 * on a GPU, so gradients agree within 1e-4 of each variable's largest, and losses after three
 * epochs of Adam within 1e-3 relative.
 */
const PLUGINS = ['@mmfuse/encoders', '@mmfuse/data', '@mmfuse/fusion-attention', '@mmfuse/regularizers'].map((p) => dirname(require.resolve(`${p}/package.json`)));

async function prepare(backend: 'cpu' | 'webgpu') {
  await tf.setBackend(backend);
  const container = new Container();
  container.load(coreModule);
  loadPlugins(container, PLUGINS, '/');
  const registry = container.get<ComponentRegistry>(ComponentRegistry);
  const config: ExperimentConfig = new ConfigValidator(registry).validate({
    name: 'webgpu-training',
    data: { type: 'synthetic-arm', episodes: 4, framesPerEpisode: 20, imageSize: 32, window: 16, windowStep: 2 },
    modalities: [
      { name: 'camera', encoder: { type: 'conv2d', channels: [8, 16, 16], kernelSize: 5, stride: 2, padding: 1 }, decoder: { type: 'conv2d-transpose' } },
      { name: 'joints', encoder: { type: 'mlp', units: [64, 64], latentSize: 144 }, decoder: { type: 'mlp' } },
    ],
    fusions: [{ type: 'attention', regularizers: [{ type: 'l2', lambda: 0.0001, parameters: 'fusion/projection*/**' }] }],
    training: { epochs: 3, batchSize: 8, learningRate: 0.002 },
  });
  const data = await registry.create('data', config.data, { seed: 1, baseDir: '/' }).load();
  const model = buildModel(registry, config, config.fusions[0], 'fusions[0]', data.modalities, 5);
  const regularizers = (config.fusions[0].regularizers ?? []).map((r, i) => registry.create('regularizer', r, { name: `fusions[0].regularizers[${i}]` }) as Regularizer);
  return { config, data, model, regularizers };
}

beforeAll(async () => {
  const info = await initBackend('webgpu');
  expect(info.adapter).toBeDefined();
});

describe('training on the webgpu backend', () => {
  it("gives a whole model's gradients, penalty included, equal to the cpu backend's", async () => {
    // By position in the model: tfjs names each build's variables apart.
    const grads: Record<string, Array<[string, Float32Array]>> = {};
    for (const backend of ['cpu', 'webgpu'] as const) {
      const { config, data, model, regularizers } = await prepare(backend);
      const specs = config.modalities.map((m) => data.modalities.find((s) => s.name === m.name)!);
      const sizes = specs.map((s) => s.shape.reduce((a, b) => a * b, 1));
      const layout = { shapes: specs.map((s) => [...s.shape]), sizes, weights: config.modalities.map((m) => m.lossWeight) };
      const arrays = specs.map((s, m) => inMemory(data.train.arrays[s.name]).slice(0, 8 * sizes[m]));
      const variables = model.trainableVariables();
      const own = await partGradients(model, variables, layout, { count: 8, inputs: arrays, targets: arrays }, 0, 8, regularizers);
      grads[backend] = await Promise.all(variables.map(async (v) => [v.name, (await own.grads[v.name].data()) as Float32Array] as [string, Float32Array]));
      tf.dispose(Object.values(own.grads));
      model.dispose();
    }
    expect(grads.webgpu).toHaveLength(grads.cpu.length);
    expect(grads.cpu.length).toBeGreaterThan(10);
    grads.cpu.forEach(([name, expected], k) => {
      const actual = grads.webgpu[k][1];
      const scale = Math.max(...Array.from(expected, Math.abs), 1e-12);
      const worst = Math.max(...Array.from(expected, (v, i) => Math.abs(actual[i] - v)));
      expect({ name, relativeError: worst / scale < 1e-4 }).toEqual({ name, relativeError: true });
    });
  }, 300000);

  it('trains three epochs to the losses of the cpu backend, holding no more tensors or GPU memory from one epoch to the next', async () => {
    const losses: Record<string, number[]> = {};
    const memory: Array<{ tensors: number; gpuBytes: number }> = [];
    for (const backend of ['cpu', 'webgpu'] as const) {
      const { config, data, model, regularizers } = await prepare(backend);
      const records = await new TrialTrainer(model, data, config, regularizers, 5).train(() => {
        if (backend !== 'webgpu') return;
        const m = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number };
        memory.push({ tensors: m.numTensors, gpuBytes: m.numBytesInGPU ?? NaN });
      });
      losses[backend] = records.flatMap((r) => [r.train.total, r.test.total]);
      model.dispose();
    }
    losses.cpu.forEach((value, i) => expect(Math.abs(losses.webgpu[i] - value) / value).toBeLessThan(1e-3));
    expect(memory).toHaveLength(3);
    expect(memory[2]).toEqual(memory[1]);
    expect(Number.isFinite(memory[1].gpuBytes)).toBe(true);
  }, 300000);
});
