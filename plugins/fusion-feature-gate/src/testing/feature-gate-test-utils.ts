// Helpers shared by the specs (not part of the built package): a float64 re-implementation of the
// fusion in plain loops, seeded sampling, and Jacobians of any fusion at one sample.
import * as tf from '@tensorflow/tfjs-core';
import { Matrix, SVD } from 'ml-matrix';
import { normal, Rng } from '@mmfuse/core';
import type { Fusion } from '@mmfuse/core';
import type { FeatureGateFusion } from '../feature-gate-fusion';

/** What the float64 reference computes for one sample. */
export interface ReferenceForward {
  readonly output: number[];
  readonly gate: number[];
  /** W₁h + b₁ before the ReLU (kinks where an entry is 0). */
  readonly hiddenPreActivation: number[];
  /** Per feature, second smallest minus smallest latent entry (kinks of the minimum where 0). */
  readonly minGap: number[];
}

/** The fusion's formula in float64 loops over one sample, reading its current parameters. */
export function referenceForward(fusion: FeatureGateFusion, xs: number[][]): ReferenceForward {
  const weights = new Map(fusion.parameters.map((p) => [p.name.slice(fusion.name.length + 1), p.variable.arraySync() as number[][] & number[]]));
  const dense = (input: number[], layer: string) => {
    const kernel = weights.get(`gate/${layer}/kernel`) as number[][];
    const bias = weights.get(`gate/${layer}/bias`) as number[];
    return bias.map((b, j) => input.reduce((sum, v, i) => sum + v * kernel[i][j], b));
  };
  const hiddenPreActivation = dense(xs.flat(), 'dense0');
  const gate = dense(hiddenPreActivation.map((v) => Math.max(0, v)), 'dense1').map((v) => 1 / (1 + Math.exp(-v)));
  const M = xs.length;
  const minGap: number[] = [];
  const output = gate.map((g, c) => {
    const column = xs.map((x) => x[c]).sort((a, b) => a - b);
    minGap.push(column[1] - column[0]);
    const mean = column.reduce((a, b) => a + b, 0) / M;
    return g * mean + (1 - g) * column[0] + (fusion.options.residual ? mean : 0);
  });
  return { output, gate, hiddenPreActivation, minGap };
}

/**
 * Every parameter set to seeded Gaussian values of the given std, except those named in `constants`
 * (by the name after the fusion's, e.g. `gate/dense1/bias`), which are filled with that value.
 */
export function randomizeParameters(fusion: Fusion, rng: Rng, std: number, constants: Record<string, number> = {}): void {
  for (const p of fusion.parameters) {
    const constant = constants[p.name.slice(fusion.name.length + 1)];
    const t = tf.tensor(Float32Array.from({ length: p.variable.size }, () => constant ?? normal(rng) * std), p.variable.shape);
    p.variable.assign(t);
    t.dispose();
  }
}

/** A seeded vector of the given norm, uniformly distributed in direction. */
export function vectorOfNorm(rng: Rng, size: number, norm: number): number[] {
  const v = Array.from({ length: size }, () => normal(rng));
  const n = Math.hypot(...v);
  return v.map((x) => (x * norm) / n);
}

/** A seeded batch of rows `[rows, cols]` with N(0, std²) entries. */
export function gaussianRows(rng: Rng, rows: number, cols: number, std = 1): number[][] {
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => normal(rng) * std));
}

export function spectralNorm(matrix: number[][]): number {
  return new SVD(new Matrix(matrix), { autoTranspose: true }).norm2;
}

/** The fusion's output for one sample. */
export function fusedSample(fusion: Fusion, xs: number[][]): number[] {
  return tf.tidy(() => Array.from(fusion.apply(xs.map((x) => tf.tensor2d([x]))).dataSync()));
}

/** ∂f/∂x `[out, Σd_m]` at one sample by reverse-mode autodiff: one backward pass per output entry. */
export function autodiffJacobian(fusion: Fusion, xs: number[][]): number[][] {
  return tf.tidy(() => {
    const latents = xs.map((x) => tf.tensor2d([x]));
    return Array.from({ length: fusion.outputSize }, (_, r) => {
      const pick = tf.cast(tf.oneHot([r], fusion.outputSize), 'float32');
      const grads = tf.grads((...inputs: tf.Tensor[]) => tf.sum(tf.mul(fusion.apply(inputs as tf.Tensor2D[]), pick)))(latents);
      return grads.flatMap((g) => Array.from(g.dataSync()));
    });
  });
}

/** ∂f/∂x at one sample by central differences of the fusion's own forward pass, step h. */
export function centralDifferenceJacobian(fusion: Fusion, xs: number[][], h: number): number[][] {
  const columns: number[][] = [];
  xs.forEach((x, m) =>
    x.forEach((_, i) => {
      const shifted = (sign: number) => fusedSample(fusion, xs.map((y, k) => (k === m ? y.map((v, j) => (j === i ? v + sign * h : v)) : y)));
      const [plus, minus] = [shifted(1), shifted(-1)];
      columns.push(plus.map((v, r) => (v - minus[r]) / (2 * h)));
    }),
  );
  return columns[0].map((_, r) => columns.map((column) => column[r]));
}
