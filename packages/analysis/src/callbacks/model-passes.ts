import * as tf from '@tensorflow/tfjs-core';
// Every pass reads its results with `data()`: GPU backends under Node have no synchronous read.
import { DataSplit, gatherSamples, hasModalityWeights, ModalitySpec, MultimodalModel, sampleSize } from '@mmfuse/core';

/** Changes one modality's batch of inputs in place (a dropped or corrupted sensor); `count` samples. */
export type Perturbation = (modality: ModalitySpec, batch: Float32Array, count: number) => void;

const BATCH = 64;

/** The model's input tensors for samples `indices[start..end)`, perturbed first when asked. */
function inputsOf(model: MultimodalModel, split: DataSplit, indices: ArrayLike<number>, start: number, end: number, perturb?: Perturbation): { inputs: tf.Tensor[]; clean: Float32Array[] } {
  const clean: Float32Array[] = [];
  const inputs = model.encoders.map((encoder) => {
    const spec = encoder.modality;
    const values = gatherSamples(split.arrays[spec.name], sampleSize(spec), indices, start, end);
    clean.push(values);
    const fed = perturb ? values.slice() : values;
    perturb?.(spec, fed, end - start);
    return tf.tensor(fed, [end - start, ...spec.shape]);
  });
  return { inputs, clean };
}

/** Fused representations z of the given samples, row-major n × d in float64. */
export async function latentsOf(model: MultimodalModel, split: DataSplit, indices: ArrayLike<number>, perturb?: Perturbation): Promise<{ values: Float64Array; size: number }> {
  const chunks: Float32Array[] = [];
  let size = 0;
  for (let start = 0; start < indices.length; start += BATCH) {
    const end = Math.min(indices.length, start + BATCH);
    const { inputs } = inputsOf(model, split, indices, start, end, perturb);
    const z = tf.tidy(() => model.encode(inputs));
    size = z.shape[1];
    tf.dispose(inputs);
    try {
      chunks.push((await z.data()) as Float32Array);
    } finally {
      z.dispose();
    }
  }
  const values = new Float64Array(indices.length * size);
  let offset = 0;
  for (const chunk of chunks) {
    values.set(chunk, offset);
    offset += chunk.length;
  }
  return { values, size };
}

/** Mean squared reconstruction error of every modality against the clean inputs, and their sum as `total`. */
export async function reconstructionErrors(model: MultimodalModel, split: DataSplit, indices: ArrayLike<number>, perturb?: Perturbation): Promise<Record<string, number>> {
  const sums = model.encoders.map(() => 0);
  for (let start = 0; start < indices.length; start += BATCH) {
    const end = Math.min(indices.length, start + BATCH);
    const { inputs, clean } = inputsOf(model, split, indices, start, end, perturb);
    const outputs = tf.tidy(() => model.apply(inputs));
    tf.dispose(inputs);
    try {
      for (const [m, output] of outputs.entries()) {
        const values = await output.data();
        let s = 0;
        for (let i = 0; i < values.length; i++) s += (values[i] - clean[m][i]) ** 2;
        // Per-sample mean over values, summed over samples; divided by the sample count below.
        sums[m] += s / (values.length / (end - start));
      }
    } finally {
      tf.dispose(outputs);
    }
  }
  const errors: Record<string, number> = {};
  model.encoders.forEach((encoder, m) => (errors[encoder.modality.name] = sums[m] / indices.length));
  errors.total = Object.values(errors).reduce((a, b) => a + b, 0);
  return errors;
}

/** How a fusion weighted the modalities over a set of samples. */
export interface ModalityWeightStatistics {
  /** Mean weight of each modality over the samples. */
  readonly mean: number[];
  /** Standard deviation of each modality's weight across the samples. */
  readonly std: number[];
  /** Mean over samples of (largest − smallest weight of the sample): 0 when every sample weights all modalities alike. */
  readonly spread: number;
}

/**
 * The fusion's modality weights over the given samples (undefined for fusions without them, such
 * as sum and concatenation, whose weights are 1 by construction).
 */
export async function modalityWeightsOf(model: MultimodalModel, split: DataSplit, indices: ArrayLike<number>, perturb?: Perturbation): Promise<ModalityWeightStatistics | undefined> {
  const fusion = model.fusion;
  if (!hasModalityWeights(fusion)) return undefined;
  const M = model.encoders.length;
  const sums = new Float64Array(M);
  const squares = new Float64Array(M);
  let spread = 0;
  for (let start = 0; start < indices.length; start += BATCH) {
    const end = Math.min(indices.length, start + BATCH);
    const { inputs } = inputsOf(model, split, indices, start, end, perturb);
    const weights = tf.tidy(() => fusion.modalityWeights(model.encoders.map((encoder, m) => encoder.apply(inputs[m]))));
    tf.dispose(inputs);
    let values: Float32Array;
    try {
      values = (await weights.data()) as Float32Array;
    } finally {
      weights.dispose();
    }
    for (let s = 0; s < end - start; s++) {
      const row = values.subarray(s * M, (s + 1) * M);
      for (let m = 0; m < M; m++) {
        sums[m] += row[m];
        squares[m] += row[m] * row[m];
      }
      spread += Math.max(...row) - Math.min(...row);
    }
  }
  const n = Math.max(1, indices.length);
  const mean = Array.from(sums, (s) => s / n);
  const std = Array.from(squares, (q, m) => Math.sqrt(Math.max(0, q / n - mean[m] * mean[m])));
  return { mean, std, spread: spread / n };
}

/** Inputs and reconstructions of a few samples of one modality (for figures). */
export async function reconstructionsOf(model: MultimodalModel, split: DataSplit, indices: ArrayLike<number>, modality: string): Promise<Array<{ input: number[]; output: number[] }>> {
  const m = model.encoders.findIndex((e) => e.modality.name === modality);
  const { inputs, clean } = inputsOf(model, split, indices, 0, indices.length);
  const outputs = tf.tidy(() => model.apply(inputs));
  tf.dispose(inputs);
  let values: Float32Array;
  try {
    values = (await outputs[m].data()) as Float32Array;
  } finally {
    tf.dispose(outputs);
  }
  const size = clean[m].length / indices.length;
  const samples = Array.from({ length: indices.length }, (_, k) => ({
    input: Array.from(clean[m].subarray(k * size, (k + 1) * size), (v) => +v.toFixed(4)),
    output: Array.from(values.subarray(k * size, (k + 1) * size), (v) => +v.toFixed(4)),
  }));
  return samples;
}

/** `count` sample indices spread evenly over a split (deterministic). */
export function spreadIndices(size: number, count: number): Int32Array {
  const n = Math.min(size, count);
  return Int32Array.from({ length: n }, (_, k) => Math.floor(((k + 0.5) * size) / n));
}
