import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@mmfuse/backend';
import { AttentionFusion } from './attention-fusion';
import { powerIterationEstimate, spectralNormUpperBound } from './spectral-norm';
import { SpectralNormalizer } from './spectral-normalizer';
import { createRng, gaussianMatrix, spectralNorm } from './testing/fusion-test-utils';

beforeAll(async () => {
  await initBackend('cpu');
});

function kernelVariable(values: number[][]): tf.Variable {
  const t = tf.tensor2d(values);
  const v = tf.variable(t, true);
  t.dispose();
  return v;
}

/** x·K̂ for x = I: the normalised kernel as applied, after one forward call. */
function appliedKernel(kernel: tf.Variable, normalizer: SpectralNormalizer): number[][] {
  const out = tf.tidy(() => tf.div(tf.matMul(tf.eye(kernel.shape[0]), kernel as tf.Tensor2D), normalizer.divisor()));
  const values = out.arraySync() as number[][];
  out.dispose();
  return values;
}

describe('SpectralNormalizer', () => {
  it('brings σ_max of the applied kernel to ≤ 1 + 1e-3 once power iteration converges (checked by SVD)', () => {
    const rng = createRng('sn');
    for (const [rows, cols, std] of [
      [12, 7, 1],
      [7, 12, 0.8],
      [30, 30, 0.5],
    ] as const) {
      const values = gaussianMatrix(rng, rows, cols, std);
      const exact = spectralNorm(values);
      expect(exact).toBeGreaterThan(1.5);
      const kernel = kernelVariable(values);
      const normalizer = new SpectralNormalizer(kernel, 1, 7, 'test');
      for (let call = 0; call < 400; call++) tf.dispose(normalizer.divisor());
      const applied = spectralNorm(appliedKernel(kernel, normalizer));
      expect(applied).toBeLessThanOrEqual(1 + 1e-3);
      expect(applied).toBeGreaterThan(1 - 1e-3);
      // the estimate is a lower bound of σ_max that reached it
      expect(normalizer.estimate()).toBeLessThanOrEqual(exact * (1 + 1e-6));
      expect(normalizer.estimate()).toBeGreaterThan(exact * (1 - 1e-4));
      normalizer.dispose();
      kernel.dispose();
    }
  });

  it('leaves a kernel with σ_max < 1 unchanged', () => {
    const values = gaussianMatrix(createRng('small'), 6, 5, 0.1);
    expect(spectralNorm(values)).toBeLessThan(1);
    const kernel = kernelVariable(values);
    const normalizer = new SpectralNormalizer(kernel, 3, 1, 'test');
    const applied = appliedKernel(kernel, normalizer);
    applied.forEach((row, r) => row.forEach((v, c) => expect(v).toBeCloseTo(values[r][c], 6)));
    normalizer.dispose();
    kernel.dispose();
  });

  it('treats the power-iteration vector as a constant: ∂σ̂/∂K = v uᵀ (Miyato et al.)', () => {
    const values = gaussianMatrix(createRng('grad'), 5, 4, 1);
    const kernel = kernelVariable(values);
    // far from convergence (one step from a random vector), where differentiating through the
    // power iteration would give a different gradient
    const normalizer = new SpectralNormalizer(kernel, 1, 2, 'test');
    const { grads } = tf.variableGrads(() => tf.div(1, normalizer.divisor()) as tf.Scalar, [kernel]);
    // d(1/σ̂)/dK = −v uᵀ / σ̂² with u the stored vector after this call's step and v = K u / ‖K u‖
    const u = Array.from(normalizer.vector());
    const Ku = values.map((row) => row.reduce((s, x, c) => s + x * u[c], 0));
    const sigma = Math.hypot(...Ku);
    const expected = Ku.map((k) => u.map((uc) => -(k / sigma) * uc / (sigma * sigma)));
    const got = grads[kernel.name].arraySync() as number[][];
    got.forEach((row, r) => row.forEach((g, c) => expect(g).toBeCloseTo(expected[r][c], 5)));
    tf.dispose(grads[kernel.name]);
    normalizer.dispose();
    kernel.dispose();
  });

  it('survives a zero kernel without NaN and keeps its vector for when the kernel grows', () => {
    const kernel = kernelVariable([
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
    const normalizer = new SpectralNormalizer(kernel, 2, 4, 'test');
    const before = Array.from(normalizer.vector());
    tf.dispose(normalizer.divisor());
    expect(Array.from(normalizer.vector())).toEqual(before);
    expect(Number.isNaN(normalizer.estimate())).toBe(false);
    const grown = tf.tensor2d([
      [3, 0],
      [0, 1],
      [0, 0],
    ]);
    kernel.assign(grown);
    normalizer.refine(50);
    expect(normalizer.estimate()).toBeCloseTo(3, 4);
    tf.dispose([grown]);
    normalizer.dispose();
    kernel.dispose();
  });

  it('converges inside the fusion through forward calls and reports σ̂ per projection', () => {
    const fusion = new AttentionFusion('fusion', [6, 6], { projectionSize: 6, init: 'he' }, 5);
    const exact = fusion.parameters.map((p) => spectralNorm(p.variable.arraySync() as number[][]));
    const latents = [tf.ones([2, 6]) as tf.Tensor2D, tf.ones([2, 6]) as tf.Tensor2D];
    for (let call = 0; call < 300; call++) tf.dispose(fusion.apply(latents));
    fusion.spectralEstimates().forEach(([estimate], i) => expect(estimate).toBeCloseTo(exact[i], 3));
    fusion.projectionMatrices().forEach((W) => expect(spectralNorm(W)).toBeLessThanOrEqual(1 + 1e-3));
    tf.dispose(latents);
    fusion.dispose();
  });
});

describe('float64 spectral norms', () => {
  it('spectralNormUpperBound is an upper bound within 0.05 % of the SVD value', () => {
    const rng = createRng('bound');
    for (const [rows, cols] of [
      [1, 9],
      [9, 1],
      [20, 13],
      [13, 20],
      [64, 64],
      [144, 96],
    ] as const) {
      const A = gaussianMatrix(rng, rows, cols);
      const exact = spectralNorm(A);
      const bound = spectralNormUpperBound(A.flat(), rows, cols);
      expect(bound).toBeGreaterThanOrEqual(exact);
      expect(bound).toBeLessThan(exact * 1.0005);
    }
    expect(spectralNormUpperBound([0, 0, 0, 0], 2, 2)).toBe(0);
    expect(spectralNormUpperBound([1, NaN, 0, 1], 2, 2)).toBe(Infinity);
  });

  it('powerIterationEstimate is a lower bound that rises with the steps toward σ_max', () => {
    const A = gaussianMatrix(createRng('pi'), 15, 10);
    const exact = spectralNorm(A);
    const start = new Array(10).fill(1);
    const estimates = [1, 3, 10, 300].map((steps) => powerIterationEstimate(A.flat(), 15, 10, start, steps));
    for (let i = 1; i < estimates.length; i++) expect(estimates[i]).toBeGreaterThanOrEqual(estimates[i - 1] * (1 - 1e-12));
    expect(estimates[estimates.length - 1]).toBeLessThanOrEqual(exact * (1 + 1e-12));
    expect(estimates[estimates.length - 1]).toBeCloseTo(exact, 6);
  });
});
