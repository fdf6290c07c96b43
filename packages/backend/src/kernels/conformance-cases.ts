import * as tf from '@tensorflow/tfjs-core';

export type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

export const explicit = (t: number, b: number, l: number, r: number): Pad => [[0, 0], [t, b], [l, r], [0, 0]];

/**
 * The grid every convolution kernel is checked on: x shape, filter shape, strides, padding. Every
 * padding mode the encoders use, strides 1–3, non-square and odd sizes, batch 1, few and many
 * channels, kernels smaller than the stride, and sizes where the forward pass skips trailing rows.
 */
export const CONV_CASES: Array<[[number, number, number, number], [number, number, number, number], [number, number], Pad]> = [
  [[2, 9, 9, 3], [5, 5, 3, 4], [2, 2], explicit(1, 1, 1, 1)],
  [[1, 8, 7, 2], [3, 3, 2, 5], [1, 1], 'same'],
  [[3, 10, 11, 4], [3, 2, 4, 2], [2, 3], 'valid'],
  [[1, 12, 12, 3], [4, 4, 3, 2], [3, 3], 'same'],
  [[2, 13, 6, 1], [2, 3, 1, 3], [1, 2], explicit(0, 2, 1, 0)],
  [[1, 31, 31, 8], [5, 5, 8, 16], [2, 2], explicit(1, 1, 1, 1)],
  [[2, 7, 9, 3], [1, 1, 3, 6], [3, 2], 'valid'],
  [[2, 16, 16, 20], [5, 5, 20, 24], [2, 2], explicit(1, 1, 1, 1)],
  [[1, 11, 10, 17], [3, 4, 17, 5], [3, 2], explicit(2, 0, 1, 2)],
  [[2, 6, 6, 32], [3, 3, 32, 16], [1, 1], explicit(1, 1, 1, 1)],
  [[1, 9, 9, 2], [2, 2, 2, 3], [3, 3], explicit(0, 0, 0, 0)],
];

export function filled(shape: readonly number[], phase: number): tf.Tensor4D {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor4d(Float32Array.from({ length: size }, (_, i) => Math.sin(i * 0.37 + phase)), shape as [number, number, number, number]);
}

/** max |a − b| relative to the largest magnitude of the reference. */
export function maxRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]));
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  }
  return worst / Math.max(scale, 1e-12);
}

// [a shape, b shape, transposeA, transposeB]: every transpose combination, batched and not, the
// small-batch backward shape (dy·Wᵀ), sizes that are not multiples of the 4 × 8 tile, one operand's
// batch broadcast over the other's (and over two outer dims), matrix-vector and single-row products,
// a reduction of one, and Aᵀ·B with more rows than one 512-row chunk of the reduction.
export const MATMUL_CASES: Array<[number[], number[], boolean, boolean]> = [
  [[5, 7], [7, 3], false, false],
  [[7, 5], [7, 3], true, false],
  [[5, 7], [3, 7], false, true],
  [[7, 5], [3, 7], true, true],
  [[16, 288], [576, 288], false, true],
  [[300, 40], [300, 33], true, false],
  [[2, 5, 7], [2, 3, 7], false, true],
  [[3, 7, 5], [3, 7, 4], true, false],
  [[2, 33, 65], [2, 65, 34], false, false],
  [[3, 6, 10], [10, 9], false, false],
  [[3, 6, 10], [1, 9, 10], false, true],
  [[10, 6], [2, 10, 9], true, false],
  [[2, 3, 5, 7], [7, 4], false, false],
  [[37, 29], [29, 1], false, false],
  [[1, 29], [13, 29], false, true],
  [[6, 1], [1, 11], false, false],
  [[1100, 9], [1100, 17], true, false],
  [[20, 40], [23, 40], false, true],
  [[1, 1, 5, 7], [7, 4], false, false],
];

