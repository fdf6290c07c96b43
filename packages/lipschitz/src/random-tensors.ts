import * as tf from '@tensorflow/tfjs-core';
import { normal, Rng } from '@mmfuse/core';

/**
 * Random numbers come from mmfuse's seeded streams and are drawn in JavaScript, so that every
 * backend sees the same probes and results agree across backends.
 */
export function gaussianArray(rng: Rng, size: number): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = normal(rng);
  return out;
}

export function gaussianTensor(rng: Rng, shape: number[]): tf.Tensor {
  return tf.tensor(gaussianArray(rng, shape.reduce((a, b) => a * b, 1)), shape);
}

/** `rows` independent Gaussian directions of unit length, as `[rows, cols]`. */
export function unitRows(rng: Rng, rows: number, cols: number): tf.Tensor2D {
  const values = gaussianArray(rng, rows * cols);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += values[r * cols + c] ** 2;
    const scale = 1 / Math.sqrt(sum || 1);
    for (let c = 0; c < cols; c++) values[r * cols + c] *= scale;
  }
  return tf.tensor2d(values, [rows, cols]);
}

