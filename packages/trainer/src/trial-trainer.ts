import * as tf from '@tensorflow/tfjs-core';
import { createRng, deriveSeed, LossRecord, MultimodalDataset, permutation, Regularizer, Rng, sampleSize } from '@mmfuse/core';
import type { ExperimentConfig } from '@mmfuse/config';
import { corruptBatch } from './corruption';
import type { MultimodalAutoencoder } from './multimodal-autoencoder';

export interface EpochRecord {
  epoch: number;
  train: LossRecord;
  test: LossRecord;
  seconds: number;
}

/** Copies the samples `indices[start..end)` of one modality into one contiguous batch. */
export function gatherBatch(source: Float32Array, size: number, indices: ArrayLike<number>, start: number, end: number): Float32Array {
  const out = new Float32Array((end - start) * size);
  for (let k = start; k < end; k++) {
    const s = indices[k];
    out.set(source.subarray(s * size, (s + 1) * size), (k - start) * size);
  }
  return out;
}

/**
 * Trains one model for one trial: Adam on Σ_m w_m · MSE(x_m, D_m(z)) + Σ penalties, inputs
 * optionally corrupted while targets stay clean; after each epoch, the mean training loss of the
 * epoch and the test loss (per modality and `total`).
 */
export class TrialTrainer {
  private readonly names: string[];
  private readonly shapes: number[][];
  private readonly sizes: number[];
  private readonly weights: number[];

  constructor(
    private readonly model: MultimodalAutoencoder,
    private readonly data: MultimodalDataset,
    private readonly config: Pick<ExperimentConfig, 'modalities' | 'training'>,
    private readonly regularizers: readonly Regularizer[],
    private readonly seed: number,
  ) {
    this.names = config.modalities.map((m) => m.name);
    const specs = this.names.map((n) => data.modalities.find((m) => m.name === n)!);
    this.shapes = specs.map((s) => [...s.shape]);
    this.sizes = specs.map((s) => sampleSize(s));
    this.weights = config.modalities.map((m) => m.lossWeight);
  }

  async train(onEpoch: (record: EpochRecord) => void | Promise<void>): Promise<EpochRecord[]> {
    const { epochs, batchSize, learningRate } = this.config.training;
    const optimizer = tf.train.adam(learningRate, 0.9, 0.999, 1e-8);
    const shuffle = createRng(deriveSeed(this.seed, 'shuffle'));
    const corruption = createRng(deriveSeed(this.seed, 'corruption'));
    const variables = this.model.subModels().flatMap((m) => m.parameters.map((p) => p.variable));
    const records: EpochRecord[] = [];
    try {
      for (let epoch = 1; epoch <= epochs; epoch++) {
        const started = Date.now();
        const order = permutation(this.data.train.size, shuffle);
        const sums = new Float64Array(this.names.length + 1);
        for (let start = 0; start < order.length; start += batchSize) {
          const end = Math.min(order.length, start + batchSize);
          const losses = this.step(optimizer, variables, order, start, end, corruption);
          losses.forEach((v, i) => (sums[i] += v * (end - start)));
        }
        const train = this.record(Array.from(sums, (s) => s / order.length));
        const test = this.evaluate();
        const record = { epoch, train, test, seconds: (Date.now() - started) / 1000 };
        records.push(record);
        await onEpoch(record);
      }
    } finally {
      optimizer.dispose();
    }
    return records;
  }

  /** Per-modality MSE and total on the test split (corrupted with a fixed seed when configured). */
  evaluate(batchSize = 256): LossRecord {
    const split = this.data.test;
    const order = Int32Array.from({ length: split.size }, (_, i) => i);
    const rng = createRng(deriveSeed(this.seed, 'test-corruption'));
    const sums = new Float64Array(this.names.length);
    for (let start = 0; start < split.size; start += batchSize) {
      const end = Math.min(split.size, start + batchSize);
      const { inputs, targets } = this.batch(split.arrays, order, start, end, this.config.training.corruptTest ? rng : undefined);
      const errors = tf.tidy(() => {
        const outputs = this.model.apply(inputs);
        return outputs.map((o, i) => tf.sum(tf.squaredDifference(o, targets[i])));
      });
      errors.forEach((e, i) => (sums[i] += e.dataSync()[0]));
      tf.dispose([...errors, ...inputs, ...targets]);
    }
    const mse = Array.from(sums, (s, i) => s / (split.size * this.sizes[i]));
    return this.record([...mse, mse.reduce((t, v, i) => t + this.weights[i] * v, 0)]);
  }

  private step(optimizer: tf.Optimizer, variables: tf.Variable[], order: Int32Array, start: number, end: number, rng: Rng): number[] {
    const { inputs, targets } = this.batch(this.data.train.arrays, order, start, end, this.config.training.corruption.length > 0 ? rng : undefined);
    const perModality: tf.Scalar[] = [];
    const { value, grads } = tf.variableGrads(() => {
      const outputs = this.model.apply(inputs);
      const losses = outputs.map((o, i) => tf.mean(tf.squaredDifference(o, targets[i])) as tf.Scalar);
      perModality.push(...losses.map((l) => tf.keep(l)));
      let total = tf.addN(losses.map((l, i) => tf.mul(l, this.weights[i]))) as tf.Scalar;
      for (const regularizer of this.regularizers) if (regularizer.penalty) total = tf.add(total, regularizer.penalty(this.model));
      return total;
    }, variables);
    optimizer.applyGradients(grads);
    for (const regularizer of this.regularizers) regularizer.afterStep?.(this.model);
    const values = perModality.map((l) => l.dataSync()[0]);
    const total = values.reduce((t, v, i) => t + this.weights[i] * v, 0);
    tf.dispose([value, ...Object.values(grads), ...perModality, ...inputs, ...targets]);
    return [...values, total];
  }

  private batch(arrays: Readonly<Record<string, Float32Array>>, order: ArrayLike<number>, start: number, end: number, rng: Rng | undefined): { inputs: tf.Tensor[]; targets: tf.Tensor[] } {
    const count = end - start;
    const inputs: tf.Tensor[] = [];
    const targets: tf.Tensor[] = [];
    this.names.forEach((name, i) => {
      const clean = gatherBatch(arrays[name], this.sizes[i], order, start, end);
      targets.push(tf.tensor(clean, [count, ...this.shapes[i]]));
      const corruptions = rng ? this.config.training.corruption.filter((c) => c.modality === name) : [];
      if (corruptions.length === 0) {
        inputs.push(targets[i]);
        return;
      }
      const noisy = clean.slice();
      for (const c of corruptions) corruptBatch(noisy, count, c, rng!);
      inputs.push(tf.tensor(noisy, [count, ...this.shapes[i]]));
    });
    // Inputs may alias targets; dispose through a set so nothing is freed twice.
    return { inputs, targets: targets.map((t, i) => (inputs[i] === t ? tf.clone(t) : t)) };
  }

  private record(values: number[]): LossRecord {
    const record: LossRecord = {};
    this.names.forEach((name, i) => (record[name] = values[i]));
    record.total = values[this.names.length];
    return record;
  }
}
