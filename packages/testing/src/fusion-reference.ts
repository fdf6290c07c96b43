// Float64 references for fusion specs, computed independently of a fusion's TensorFlow.js code:
// Gaussian inputs, spectral norms, and a fusion's Jacobian by autodiff and by finite differences.
import * as tf from '@tensorflow/tfjs-core';
import { Matrix, SVD } from 'ml-matrix';
import { createRng, normal, Parameter, Rng } from '@mmfuse/core';

/** What the float64 helpers need of a fusion. */
export interface FusionUnderTest {
  readonly inputSizes: readonly number[];
  readonly outputSize: number;
  apply(latents: readonly tf.Tensor2D[]): tf.Tensor2D;
}

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

/** Sets every parameter to seeded Gaussian values of the given std (keeps shapes). */
export function randomizeParameters(fusion: { readonly parameters: readonly Parameter[] }, rng: Rng, std: number): void {
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
export function outputOf(fusion: FusionUnderTest, xs: number[][]): number[] {
  const latents = xs.map((x) => tf.tensor2d([x]));
  const y = fusion.apply(latents);
  const values = Array.from(y.dataSync());
  tf.dispose([y, ...latents]);
  return values;
}

/**
 * ∂f/∂x at one sample by reverse-mode autodiff, `[outputSize, Σ d_i]`: the sample repeated once per
 * output entry, row r of the output weighted by e_r, one backward pass.
 */
export function autodiffJacobian(fusion: FusionUnderTest, xs: readonly (readonly number[])[]): number[][] {
  const n = fusion.outputSize;
  const grads = tf.tidy(() => {
    const latents = xs.map((x) => tf.tile(tf.tensor2d([x as number[]]), [n, 1]) as tf.Tensor2D);
    const selector = tf.eye(n);
    const g = tf.grads((...inputs: tf.Tensor[]) => tf.sum(tf.mul(fusion.apply(inputs as tf.Tensor2D[]), selector)));
    return tf.concat(g(latents), 1);
  });
  const values = grads.arraySync() as number[][];
  grads.dispose();
  return values;
}

/** ∂f/∂x at one sample by central differences with step h, all 2n perturbations in one batch. */
export function finiteDifferenceJacobian(fusion: FusionUnderTest, xs: number[][], h: number): number[][] {
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

/** A latent with norm in [rho, R], on the sphere of radius R one time in three (where constants peak). */
function sampleLatent(rng: Rng, d: number, rho: number, R: number): number[] {
  const norm = rng() < 1 / 3 ? R : rho + (R - rho) * rng();
  return vectorOfNorm(rng, d, norm);
}

function clampToDomain(x: number[], rho: number, R: number): number[] {
  const n = Math.hypot(...x);
  const target = Math.min(R, Math.max(rho, n));
  return x.map((v) => (v * target) / n);
}

function distance(a: number[], b: number[]): number {
  return Math.hypot(...a.map((v, i) => v - b[i]));
}

/**
 * Lower bounds of the Lipschitz constant on the domain: the largest local spectral norm ‖J(x)‖₂
 * over random points refined by hill climbing, and the largest difference quotient over random
 * and nearby pairs.
 */
export function empiricalEstimates(fusion: FusionUnderTest, rng: Rng, rho: number, R: number): { jacobian: number; quotient: number } {
  const widths = fusion.inputSizes;
  const localNorm = (xs: number[][]) => spectralNorm(autodiffJacobian(fusion, xs));
  let best = widths.map((d) => sampleLatent(rng, d, rho, R));
  let bestNorm = localNorm(best);
  for (let s = 0; s < 40; s++) {
    const xs = widths.map((d) => sampleLatent(rng, d, rho, R));
    const norm = localNorm(xs);
    if (norm > bestNorm) [best, bestNorm] = [xs, norm];
  }
  for (let s = 0; s < 60; s++) {
    const step = 0.2 * R;
    const xs = best.map((x) => clampToDomain(x.map((v) => v + step * (rng() * 2 - 1)), rho, R));
    const norm = localNorm(xs);
    if (norm > bestNorm) [best, bestNorm] = [xs, norm];
  }
  let quotient = 0;
  for (let s = 0; s < 200; s++) {
    const xs = s % 2 === 0 ? widths.map((d) => sampleLatent(rng, d, rho, R)) : best;
    const scale = s % 4 < 2 ? R : 1e-2 * R;
    const ys = xs.map((x) => clampToDomain(x.map((v) => v + scale * (rng() * 2 - 1)), rho, R));
    const dx = Math.hypot(...xs.map((x, i) => distance(x, ys[i])));
    if (dx === 0) continue;
    quotient = Math.max(quotient, distance(outputOf(fusion, xs), outputOf(fusion, ys)) / dx);
  }
  quotient = Math.max(quotient, adversarialQuotient(fusion, best, rho, R, 1e-3 * R), adversarialQuotient(fusion, best, rho, R, 0.5 * R));
  return { jacobian: bestNorm, quotient };
}

/**
 * Gradient ascent on the difference quotient ‖f(x) − f(y)‖ / ‖x − y‖ (autodiff through the
 * fusion), from `start` and a partner at distance about `separation`, both kept in the domain;
 * with a small separation it climbs ‖J(x)‖₂ along its top direction. Returns the best quotient.
 */
export function adversarialQuotient(fusion: FusionUnderTest, start: number[][], rho: number, R: number, separation: number, steps = 30): number {
  const widths = fusion.inputSizes;
  let xs = start.map((x) => x.slice());
  let ys = xs.map((x, i) => clampToDomain(x.map((v, a) => v + separation * Math.sin(7 * a + 3 * i + 1)), rho, R));
  const quotientOf = (xs2: number[][], ys2: number[][]) => {
    const dx = Math.hypot(...xs2.map((x, i) => distance(x, ys2[i])));
    return dx === 0 ? 0 : distance(outputOf(fusion, xs2), outputOf(fusion, ys2)) / dx;
  };
  let best = quotientOf(xs, ys);
  let rate = 0.05 * R;
  for (let s = 0; s < steps; s++) {
    const grads = tf.tidy(() => {
      const inputs = [...xs, ...ys].map((v) => tf.tensor2d([v]));
      const objective = (...t: tf.Tensor[]) => {
        const a = fusion.apply(t.slice(0, widths.length) as tf.Tensor2D[]);
        const b = fusion.apply(t.slice(widths.length) as tf.Tensor2D[]);
        const dx = tf.sqrt(tf.addN(t.slice(0, widths.length).map((x, i) => tf.sum(tf.square(tf.sub(x, t[widths.length + i]))))));
        return tf.div(tf.norm(tf.sub(a, b)), dx) as tf.Scalar;
      };
      return tf.grads(objective)(inputs).map((g) => Array.from(g.dataSync()));
    });
    const norm = Math.hypot(...grads.flat()) || 1;
    const nextX = xs.map((x, i) => clampToDomain(x.map((v, a) => v + (rate * grads[i][a]) / norm), rho, R));
    const nextY = ys.map((y, i) => clampToDomain(y.map((v, a) => v + (rate * grads[widths.length + i][a]) / norm), rho, R));
    const q = quotientOf(nextX, nextY);
    if (q > best) {
      [xs, ys, best] = [nextX, nextY, q];
    } else {
      rate /= 2;
    }
  }
  return best;
}

