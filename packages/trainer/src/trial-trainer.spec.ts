import 'reflect-metadata';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@mmfuse/backend';
import { createRng, inMemory, MultimodalDataset } from '@mmfuse/core';
import type { CorruptionConfig } from '@mmfuse/config';
import { ConcatFusion } from '@mmfuse/fusion-concat';
import { MlpDecoder, MlpEncoder } from '@mmfuse/encoders';
import { corruptBatch } from './corruption';
import { MultimodalAutoencoder } from '@mmfuse/model';
import { meanStd, formatMeanStd } from './statistics';
import { gatherBatch, TrialTrainer } from './trial-trainer';

const a = { name: 'a', kind: 'vector' as const, shape: [3] };
const b = { name: 'b', kind: 'vector' as const, shape: [2] };

function dataset(): MultimodalDataset {
  const rng = createRng(1);
  const make = (n: number) => ({ size: n, arrays: { a: Float32Array.from({ length: n * 3 }, () => rng() - 0.5), b: Float32Array.from({ length: n * 2 }, () => rng() - 0.5) } });
  return { modalities: [a, b], train: make(40), test: make(10) };
}

function model(seed = 1): MultimodalAutoencoder {
  const opts = { activation: 'tanh' as const, init: 'pytorch' as const };
  const ea = new MlpEncoder('encoder:a', a, { ...opts, units: [8], latentSize: 4, activateLast: false }, seed);
  const eb = new MlpEncoder('encoder:b', b, { ...opts, units: [8], latentSize: 4, activateLast: false }, seed + 1);
  const fusion = new ConcatFusion('fusion', [4, 4]);
  const da = new MlpDecoder('decoder:a', a, 8, { ...opts, units: [8], outputActivation: 'linear' }, seed + 2);
  const db = new MlpDecoder('decoder:b', b, 8, { ...opts, units: [8], outputActivation: 'linear' }, seed + 3);
  return new MultimodalAutoencoder([ea, eb], fusion, [da, db]);
}

const training = { epochs: 4, batchSize: 8, learningRate: 0.01, trials: 1, corruption: [] as CorruptionConfig[], corruptTest: false, workers: 1, processes: 1, checkpointEvery: 0 };
const modalities = [
  { name: 'a', encoder: { type: 'mlp' }, decoder: { type: 'mlp' }, lossWeight: 1 },
  { name: 'b', encoder: { type: 'mlp' }, decoder: { type: 'mlp' }, lossWeight: 2 },
];

beforeAll(async () => {
  await initBackend('cpu');
});

describe('TrialTrainer', () => {
  it('measures test loss as the per-modality MSE over every value, and the weighted total', async () => {
    const m = model();
    const data = dataset();
    const loss = await new TrialTrainer(m, data, { modalities, training }, [], 3).evaluate(4);
    const [ra, rb] = m.apply([tf.tensor(inMemory(data.test.arrays.a), [10, 3]), tf.tensor(inMemory(data.test.arrays.b), [10, 2])]);
    const mse = (r: tf.Tensor, x: Float32Array) => Array.from(r.dataSync()).reduce((s, v, i) => s + (v - x[i]) ** 2, 0) / x.length;
    expect(loss.a).toBeCloseTo(mse(ra, inMemory(data.test.arrays.a)), 6);
    expect(loss.b).toBeCloseTo(mse(rb, inMemory(data.test.arrays.b)), 6);
    expect(loss.total).toBeCloseTo(loss.a + 2 * loss.b, 6);
    m.dispose();
  });

  it('lowers the loss and keeps the tensor count constant from epoch to epoch', async () => {
    const m = model();
    const counts: number[] = [];
    const records = await new TrialTrainer(m, dataset(), { modalities, training }, [], 3).train(() => {
      counts.push(tf.memory().numTensors);
    });
    expect(records.map((r) => r.epoch)).toEqual([1, 2, 3, 4]);
    expect(records[3].train.total).toBeLessThan(records[0].train.total);
    expect(new Set(counts).size).toBe(1);
    m.dispose();
  });

  it('corrupts inputs but not targets when asked', async () => {
    const corruption: CorruptionConfig[] = [{ modality: 'a', kind: 'blank', level: 0, probability: 1 }];
    const m = model();
    const data = dataset();
    const trainer = new TrialTrainer(m, data, { modalities, training: { ...training, corruption, corruptTest: true } }, [], 3);
    const blanked = await trainer.evaluate();
    const clean = await new TrialTrainer(m, data, { modalities, training }, [], 3).evaluate();
    // The same model sees a blank input but is scored against the clean target.
    expect(blanked.a).not.toBeCloseTo(clean.a, 6);
    expect(blanked.a).toBeGreaterThan(0);
    m.dispose();
  });
});

describe('helpers', () => {
  it('gathers samples in the given order', () => {
    expect(Array.from(gatherBatch(Float32Array.of(0, 1, 10, 11, 20, 21), 2, [2, 0, 1], 0, 2))).toEqual([20, 21, 0, 1]);
  });

  it('corrupts with each kind, deterministically', () => {
    const ones = () => new Float32Array(100).fill(1);
    const noisy = ones();
    corruptBatch(noisy, 10, { modality: 'x', kind: 'gaussian', level: 0.5, probability: 1 }, createRng(1));
    const again = ones();
    corruptBatch(again, 10, { modality: 'x', kind: 'gaussian', level: 0.5, probability: 1 }, createRng(1));
    expect(again).toEqual(noisy);
    expect(meanStd(Array.from(noisy, (v) => v - 1)).std).toBeGreaterThan(0.3);
    const dropped = ones();
    corruptBatch(dropped, 10, { modality: 'x', kind: 'dropout', level: 0.5, probability: 1 }, createRng(2));
    const zeros = dropped.filter((v) => v === 0).length;
    expect(zeros).toBeGreaterThan(30);
    expect(zeros).toBeLessThan(70);
    const blank = ones();
    corruptBatch(blank, 10, { modality: 'x', kind: 'blank', level: 0, probability: 0.5 }, createRng(3));
    const blankSamples = Array.from({ length: 10 }, (_, s) => blank.subarray(s * 10, s * 10 + 10).every((v) => v === 0)).filter(Boolean).length;
    expect(blankSamples).toBeGreaterThan(0);
    expect(blankSamples).toBeLessThan(10);
  });

  it('computes the sample standard deviation and formats mean ± std', () => {
    expect(meanStd([2, 4, 4, 4, 5, 5, 7, 9])).toEqual({ mean: 5, std: Math.sqrt(32 / 7), n: 8 });
    expect(meanStd([3])).toEqual({ mean: 3, std: 0, n: 1 });
    expect(meanStd([1, NaN, 3]).n).toBe(2);
    expect(formatMeanStd({ mean: 0.012345, std: 0.00056 })).toBe('0.01235 ± 0.00056');
  });
});
