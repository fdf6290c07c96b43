import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@mmfuse/backend';
import { UserInputError } from '@mmfuse/core';
import { AttentionFusion } from '@mmfuse/fusion-attention';
import { MultimodalAutoencoder } from '@mmfuse/model';
import { partGradients } from './batch-gradients';
import { layout, randomBatch, smallAutoencoder } from './testing/small-autoencoder';
import { measureStepMemory, microBatchGradients, planMicroBatch } from './micro-batch';

/** A model whose fusion keeps state its forward pass advances (spectral normalisation's power iteration). */
const model = () => smallAutoencoder((latent) => ({ fusion: new AttentionFusion('fusion', [latent, latent], { spectralNorm: true, powerIterations: 1 }, 5), jointsLatent: latent }));
const batch = randomBatch;

const read = (grads: tf.NamedTensorMap, variables: tf.Variable[]) => variables.map((v) => grads[v.name].dataSync() as Float32Array);
const l2 = { name: 'l2', penalty: (m: MultimodalAutoencoder) => tf.mul(tf.sum(tf.square(m.trainableVariables()[0])), 0.01) as tf.Scalar };

describe('micro-batches', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('give the whole batch’s update: gradients, losses, one penalty, and the forward state as one pass leaves it', async () => {
    const b = batch(7);
    const whole = model();
    const pieces = model();
    const wholeVars = whole.trainableVariables();
    const pieceVars = pieces.trainableVariables();
    const full = await partGradients(whole, wholeVars, layout, b, 0, 7, [l2]);
    const micro = await microBatchGradients(pieces, pieceVars, layout, b, 0, 7, [l2], 3);
    const [expected, actual] = [read(full.grads, wholeVars), read(micro.grads, pieceVars)];
    expected.forEach((g, i) => {
      const scale = Math.max(...Array.from(g, Math.abs), 1e-12);
      expect(Math.max(...Array.from(g, (v, j) => Math.abs(actual[i][j] - v))) / scale).toBeLessThan(1e-5);
    });
    full.losses.forEach((l, m) => expect(micro.losses[m]).toBeCloseTo(l, 6));
    expect(micro.objective).toBeCloseTo(full.objective, 6);
    // The power-iteration vectors advanced once, as after the whole batch.
    const state = (m: MultimodalAutoencoder) => m.bufferVariables().flatMap((v) => Array.from(v.dataSync()));
    expect(state(pieces)).toEqual(state(whole));
    tf.dispose([...Object.values(full.grads), ...Object.values(micro.grads)]);
    whole.dispose();
    pieces.dispose();
  });

  it('are sized from a measured step to fit the budget, and a step that cannot fit one sample is refused with the need', async () => {
    const m = model();
    const memory = await measureStepMemory(m, m.trainableVariables(), layout, batch(2), []);
    expect(memory.perSampleBytes).toBeGreaterThan(0);
    expect(memory.fixedBytes).toBeGreaterThan(0);
    const perFour = 1.5 * (memory.fixedBytes + 4 * memory.perSampleBytes);
    expect(planMicroBatch(64, memory, perFour + 1, Infinity, 'a test').size).toBe(4);
    expect(planMicroBatch(3, memory, perFour + 1, Infinity, 'a test')).toEqual({ size: 3, reason: `the whole batch of 3 fits the memory budget of ${(perFour / 2 ** 20).toFixed(0)} MB (a test)` });
    expect(planMicroBatch(64, memory, 1e12, memory.largestTensorPerSampleBytes * 5, 'a test').size).toBe(5);
    expect(() => planMicroBatch(64, memory, memory.fixedBytes, Infinity, 'a test')).toThrow(UserInputError);
    expect(() => planMicroBatch(64, memory, memory.fixedBytes, Infinity, 'a test')).toThrow(/^a training step needs \d+ MB for one sample \(\d+ MB fixed \+ [\d.]+ MB per sample, × 1.5 margin\), more than the memory budget of \d+ MB \(a test\)$/);
    m.dispose();
  });
});
