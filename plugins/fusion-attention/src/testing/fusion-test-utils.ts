// Helpers shared by the specs (not part of the built package): float64 references computed
// independently of the fusion's TensorFlow.js code, and Jacobians of the fusion by autodiff and
// by finite differences.
import * as tf from '@tensorflow/tfjs-core';
import { Matrix, SVD } from 'ml-matrix';
import { createRng, normal, Rng } from '@mmfuse/core';
import type { AttentionFusion } from '../attention-fusion';

export { createRng };

export function gaussianMatrix(rng: Rng, rows: number, cols: number, std = 1): number[][] {
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => normal(rng) * std));
}

export function gaussianVector(rng: Rng, size: number, std = 1): number[] {
  return Array.from({ length: size }, () => normal(rng) * std);
}

/** A random vector of the given norm. */
export function vectorOfNorm(rng: Rng, size: number, norm: number): number[] {
  const v = gaussianVector(rng, size);
  const n = Math.hypot(...v);
  return v.map((x) => (x * norm) / n);
}

/** Sets the linear projection of modality i to W (k × d_i, the theorem's orientation). */
export function setProjection(fusion: AttentionFusion, i: number, W: number[][]): void {
  const parameter = fusion.parameters.find((p) => p.name === `${fusion.name}/projection${i}/kernel`);
  if (!parameter) throw new Error(`no linear projection ${i}`);
  const kernel = tf.tidy(() => tf.transpose(tf.tensor2d(W)));
  parameter.variable.assign(kernel);
  kernel.dispose();
}

/** Sets every parameter to seeded Gaussian values of the given std (keeps shapes). */
export function randomizeParameters(fusion: AttentionFusion, rng: Rng, std: number): void {
  for (const p of fusion.parameters) {
    const values = Float32Array.from({ length: p.variable.size }, () => normal(rng) * std);
    const t = tf.tensor(values, p.variable.shape);
    p.variable.assign(t);
    t.dispose();
  }
}

export function spectralNorm(matrix: number[][]): number {
  return new SVD(new Matrix(matrix), { autoTranspose: true }).norm2;
}

/** The fusion's output for one sample, in float64. */
export function outputOf(fusion: AttentionFusion, xs: number[][]): number[] {
  const latents = xs.map((x) => tf.tensor2d([x]));
  const y = fusion.apply(latents);
  const values = Array.from(y.dataSync());
  tf.dispose([y, ...latents]);
  return values;
}

/**
 * ∂f/∂x at one sample by reverse-mode autodiff: the sample repeated n = Σd_i times, row r of the
 * output weighted by e_r, one backward pass.
 */
export function autodiffJacobian(fusion: AttentionFusion, xs: number[][]): number[][] {
  const n = xs.reduce((a, x) => a + x.length, 0);
  const grads = tf.tidy(() => {
    const latents = xs.map((x) => tf.tile(tf.tensor2d([x]), [n, 1]) as tf.Tensor2D);
    const selector = tf.eye(n);
    const g = tf.grads((...inputs: tf.Tensor[]) => tf.sum(tf.mul(fusion.apply(inputs as tf.Tensor2D[]), selector)));
    return tf.concat(g(latents), 1);
  });
  const values = grads.arraySync() as number[][];
  grads.dispose();
  return values;
}

/** ∂f/∂x at one sample by central differences with step h, all 2n perturbations in one batch. */
export function finiteDifferenceJacobian(fusion: AttentionFusion, xs: number[][], h: number): number[][] {
  const sizes = xs.map((x) => x.length);
  const n = sizes.reduce((a, b) => a + b, 0);
  const flat = xs.flat();
  const rows: number[][] = [];
  for (let c = 0; c < n; c++) {
    for (const sign of [1, -1]) {
      const row = flat.slice();
      row[c] += sign * h;
      rows.push(row);
    }
  }
  const outputs = tf.tidy(() => {
    const batch = tf.tensor2d(rows);
    const latents = tf.split(batch, sizes, 1) as tf.Tensor2D[];
    return fusion.apply(latents);
  });
  const y = outputs.arraySync() as number[][];
  outputs.dispose();
  const out = y[0].length;
  // column c of the Jacobian
  const jacobian = Array.from({ length: out }, () => new Array<number>(n).fill(0));
  for (let c = 0; c < n; c++) for (let r = 0; r < out; r++) jacobian[r][c] = (y[2 * c][r] - y[2 * c + 1][r]) / (2 * h);
  return jacobian;
}

export function maxAbs(matrix: number[][]): number {
  return Math.max(...matrix.map((row) => Math.max(...row.map(Math.abs))));
}

export function maxAbsDifference(a: number[][], b: number[][]): number {
  return Math.max(...a.map((row, r) => Math.max(...row.map((v, c) => Math.abs(v - b[r][c])))));
}

export function splitRows(flat: number[], sizes: readonly number[]): number[][] {
  let offset = 0;
  return sizes.map((size) => flat.slice(offset, (offset += size)));
}
