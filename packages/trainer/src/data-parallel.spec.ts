import 'reflect-metadata';
import { dirname } from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { Container } from 'inversify';
import { initBackend } from '@mmfuse/backend';
import { ComponentRegistry, coreModule, loadPlugins } from '@mmfuse/core';
import { ConfigValidator, ExperimentConfig } from '@mmfuse/config';
import { DataParallelPool } from './data-parallel-pool';
import { decideWorkers } from './worker-count';
import { buildModel } from '@mmfuse/model';
import { splitRows, TrialTrainer } from './trial-trainer';

const PLUGINS = ['@mmfuse/encoders', '@mmfuse/data', '@mmfuse/fusion-sum', '@mmfuse/fusion-concat'].map((p) => dirname(require.resolve(`${p}/package.json`)));

function setup(corruption: boolean) {
  const container = new Container();
  container.load(coreModule);
  loadPlugins(container, PLUGINS, '/');
  const registry = container.get<ComponentRegistry>(ComponentRegistry);
  const config: ExperimentConfig = new ConfigValidator(registry).validate({
    name: 'parallel',
    data: { type: 'synthetic-arm', episodes: 4, framesPerEpisode: 14, imageSize: 16, window: 4, windowStep: 2 },
    modalities: [
      { name: 'camera', encoder: { type: 'conv2d', channels: [4, 4] }, decoder: { type: 'conv2d-transpose' } },
      { name: 'joints', encoder: { type: 'mlp', units: [8], latentSize: 36 }, decoder: { type: 'mlp' } },
    ],
    fusions: [{ type: 'concat' }],
    training: { epochs: 2, batchSize: 10, learningRate: 0.003, corruption: corruption ? [{ modality: 'joints', kind: 'gaussian', level: 0.3 }] : [] },
  });
  return { registry, config };
}

async function train(workers: number, corruption: boolean) {
  const { registry, config } = setup(corruption);
  const data = await registry.create('data', config.data, { seed: 1, baseDir: '/' }).load();
  const model = buildModel(registry, config, config.fusions[0], 'fusions[0]', data.modalities, 5);
  const sizes = config.modalities.map((m) => data.modalities.find((s) => s.name === m.name)!.shape.reduce((a, b) => a * b, 1));
  const pool =
    workers > 1
      ? await DataParallelPool.start(workers - 1, { backend: 'wasm', pluginDirectories: PLUGINS, config, fusion: config.fusions[0], regularizers: [], specs: [...data.modalities], seed: 5 }, model, 10, sizes, [false, corruption])
      : undefined;
  try {
    const records = await new TrialTrainer(model, data, config, [], 5, pool).train(() => undefined);
    return records.map((r) => [r.train.total, r.test.total]);
  } finally {
    await pool?.close();
    model.dispose();
  }
}

describe('data-parallel training', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it.each([false, true])('matches one thread up to float summation order (input corruption: %s)', async (corruption) => {
    const single = await train(1, corruption);
    const parallel = await train(2, corruption);
    single.flat().forEach((value, i) => expect(Math.abs(parallel.flat()[i] - value) / value).toBeLessThan(1e-3));
  }, 60000);

  it('leaves no tensors behind on the main thread', async () => {
    const before = tf.memory().numTensors;
    await train(2, false);
    expect(tf.memory().numTensors).toBe(before);
  }, 60000);
});

describe('splitting and deciding', () => {
  it('splits rows into near-equal contiguous parts', () => {
    expect(splitRows(10, 2)).toEqual([[0, 5], [5, 10]]);
    expect(splitRows(7, 3)).toEqual([[0, 2], [2, 5], [5, 7]]);
    expect(splitRows(1, 2)).toEqual([[0, 1]]);
  });

  it('uses every core on single-threaded backends only, with a reason', () => {
    expect(decideWorkers('auto', 'wasm', 32, true, 2)).toEqual({ workers: 2, reason: '2 cores, single-threaded wasm backend' });
    expect(decideWorkers('auto', 'tensorflow', 32, true, 16).workers).toBe(1);
    // A batch too small for data-parallel threads: on wasm the convolutions take the idle core.
    expect(decideWorkers('auto', 'wasm', 16, true, 2)).toEqual({ workers: 1, convolutionThreads: 2, reason: 'batch of 16 too small to split; convolutions on 2 threads' });
    expect(decideWorkers('auto', 'cpu', 16, true, 2)).toEqual({ workers: 1, reason: 'batch of 16 too small to split' });
    expect(decideWorkers('auto', 'wasm', 16, true, 1)).toEqual({ workers: 1, reason: 'one CPU core' });
    expect(decideWorkers(1, 'wasm', 16, true, 2)).toEqual({ workers: 1, reason: 'requested' });
    expect(decideWorkers('auto', 'wasm', 32, false, 2).workers).toBe(1);
    expect(decideWorkers(3, 'tensorflow', 32, true, 2)).toEqual({ workers: 3, reason: 'requested' });
    // One GPU: never split, whatever is asked.
    expect(decideWorkers('auto', 'webgpu', 64, true, 16)).toEqual({ workers: 1, reason: 'the webgpu backend computes on one GPU; data-parallel threads would only share it' });
    expect(decideWorkers(4, 'tensorflow', 64, true, 16, true)).toEqual({ workers: 1, reason: 'the tensorflow backend computes on one GPU; data-parallel threads would only share it (4 requested)' });
  });
});
