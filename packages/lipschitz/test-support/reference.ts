// Independent references for the specs: exact SVDs in float64 (ml-matrix) and operators built
// entry by entry from their definitions, not through the code under test.
import * as tf from '@tensorflow/tfjs-core';
import { Matrix, SingularValueDecomposition } from 'ml-matrix';

export function singularValues(rows: number[][]): number[] {
  const svd = new SingularValueDecomposition(new Matrix(rows), { autoTranspose: true });
  return [...svd.diagonal].sort((a, b) => b - a);
}

export function spectralNorm(rows: number[][]): number {
  return singularValues(rows)[0];
}

export function frobeniusNorm(rows: number[][]): number {
  return Math.sqrt(rows.reduce((s, r) => s + r.reduce((t, v) => t + v * v, 0), 0));
}

export function transpose(rows: number[][]): number[][] {
  return rows[0].map((_, j) => rows.map((r) => r[j]));
}

/** Row-major `[m, n]` array → nested rows. */
export function toRows(values: ArrayLike<number>, m: number, n: number): number[][] {
  return Array.from({ length: m }, (_, i) => Array.from({ length: n }, (_, j) => values[i * n + j]));
}

/**
 * The matrix of y = conv2d(x, K, stride, pads) (NHWC, cross-correlation as TensorFlow defines it)
 * from its definition: y[i, j, o] = Σ_{u,v,c} K[u, v, c, o] · x[i·sh + u − top, j·sw + v − left, c].
 * Rows index (i, j, o), columns (y, x, c), both row-major like the flattened tensors. With
 * `circular`, indices wrap around the h × w torus instead of reading zero padding.
 */
export function convMatrix(
  kernel: ArrayLike<number>,
  [kh, kw, cin, cout]: readonly number[],
  [h, w]: readonly number[],
  [oh, ow]: readonly number[],
  [sh, sw]: readonly number[],
  [top, , left]: readonly number[],
  circular = false,
): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i < oh; i++)
    for (let j = 0; j < ow; j++)
      for (let o = 0; o < cout; o++) {
        const row = new Array(h * w * cin).fill(0);
        for (let u = 0; u < kh; u++)
          for (let v = 0; v < kw; v++) {
            const [y, x] = circular ? [(i * sh + u - top) % h, (j * sw + v - left) % w] : [i * sh + u - top, j * sw + v - left];
            if (y < 0 || y >= h || x < 0 || x >= w) continue;
            for (let c = 0; c < cin; c++) row[(y * w + x) * cin + c] += kernel[((u * kw + v) * cin + c) * cout + o];
          }
        rows.push(row);
      }
  return rows;
}

/** A seeded uniform stream for building test weights (xorshift; independent of the package's RNG). */
export function uniformStream(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

export function randomArray(size: number, seed: number, scale = 1): Float32Array {
  const next = uniformStream(seed);
  return Float32Array.from({ length: size }, () => (next() * 2 - 1) * scale);
}


/**
 * The whole Jacobian (rows = outputs) of a row function at one point, one reverse pass per output
 * coordinate with tf.grad directly (the estimators' batching is what the specs check).
 */
export function jacobianAt(apply: (x: tf.Tensor2D) => tf.Tensor2D, point: ArrayLike<number>, outputSize: number): number[][] {
  const x = tf.tensor2d(Array.from(point), [1, point.length]);
  const rows: number[][] = [];
  for (let j = 0; j < outputSize; j++) {
    const g = tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(tf.slice(apply(t as tf.Tensor2D), [0, j], [1, 1])))(x));
    rows.push(Array.from(g.dataSync()));
    g.dispose();
  }
  x.dispose();
  return rows;
}
