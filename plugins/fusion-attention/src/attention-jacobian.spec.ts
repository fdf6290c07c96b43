import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@mmfuse/backend';
import { AttentionFusion } from './attention-fusion';
import { AttentionFusionOptions } from './attention-fusion-options';
import { attentionJacobian } from './attention-jacobian';
import {
  autodiffJacobian,
  createRng,
  finiteDifferenceJacobian,
  gaussianMatrix,
  gaussianVector,
  maxAbs,
  maxAbsDifference,
  randomizeParameters,
  setProjection,
} from './testing/fusion-test-utils';

beforeAll(async () => {
  await initBackend('cpu');
});

/**
 * Lemma 4.1 written out literally for raw inputs and unscaled scores:
 * ∂f_i/∂x_j = δ_ij α_i I + x_i (∂α_i/∂x_j)ᵀ, ∂α_i/∂x_i = 1/(M−1) Σ_{k≠i} W_iᵀW_k x_k,
 * ∂α_i/∂x_j = 1/(M−1) W_jᵀW_i x_i, with every W_aᵀW_b formed as a matrix.
 */
function lemma41(W: number[][][], xs: number[][]): number[][] {
  const M = xs.length;
  const gram = (a: number, b: number) => W[a][0].map((_, r) => W[b][0].map((__, c) => W[a].reduce((s, row, q) => s + row[r] * W[b][q][c], 0)));
  const times = (A: number[][], x: number[]) => A.map((row) => row.reduce((s, v, c) => s + v * x[c], 0));
  const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);
  const alpha = xs.map((xi, i) => xs.reduce((s, xj, j) => (j === i ? s : s + dot(xi, times(gram(i, j), xj))), 0) / (M - 1));
  const blocks = xs.map((xi, i) =>
    xs.map((xj, j) => {
      let dAlpha: number[];
      if (j === i) {
        dAlpha = new Array(xi.length).fill(0);
        for (let k = 0; k < M; k++) if (k !== i) times(gram(i, k), xs[k]).forEach((v, a) => (dAlpha[a] += v / (M - 1)));
      } else {
        dAlpha = times(gram(j, i), xi).map((v) => v / (M - 1));
      }
      return xi.map((xia, a) => xj.map((_, b) => (i === j && a === b ? alpha[i] : 0) + xia * dAlpha[b]));
    }),
  );
  return blocks.flatMap((row) => row[0].map((_, a) => row.flatMap((block) => block[a])));
}

interface Case {
  readonly label: string;
  readonly options: Partial<AttentionFusionOptions>;
}

const RAW: Partial<AttentionFusionOptions> = { normalizeInputs: false, spectralNorm: false, scaleScores: false };

const CASES: Case[] = [
  { label: 'raw inputs, unscaled (the lemma as stated)', options: RAW },
  { label: 'raw inputs, scores / √k', options: { ...RAW, scaleScores: true } },
  { label: 'raw inputs, spectral norm, scores / √k', options: { ...RAW, spectralNorm: true, scaleScores: true, powerIterations: 2 } },
  { label: 'normalised inputs, α scales x_i (defaults)', options: {} },
  { label: 'normalised inputs, α scales x̂_i', options: { scale: 'normalized' } },
];

const WIDTHS: Record<number, number[]> = { 2: [3, 4], 3: [3, 4, 2] };
const K = 5;

/** A fusion with seeded weights large enough that spectral normalisation acts (σ > 1), converged. */
function fusionFor(M: number, options: Partial<AttentionFusionOptions>, seed: number): { fusion: AttentionFusion; xs: number[][] } {
  const rng = createRng(seed);
  const fusion = new AttentionFusion('fusion', WIDTHS[M], { projectionSize: K, ...options }, seed);
  WIDTHS[M].forEach((d, i) => {
    if (options.projection !== 'mlp') setProjection(fusion, i, gaussianMatrix(rng, K, d, 0.8));
  });
  if (options.projection === 'mlp') randomizeParameters(fusion, rng, 0.6);
  fusion.refineSpectralEstimates(500);
  let xs = WIDTHS[M].map((d) => gaussianVector(rng, d, 0.8));
  // Finite differences need a smooth neighbourhood: keep ReLU kinks of an mlp away from x.
  while (options.projection === 'mlp' && reluMargin(fusion, xs) < 0.1) xs = WIDTHS[M].map((d) => gaussianVector(rng, d, 0.8));
  return { fusion, xs };
}

/** Distance from the projected vectors to the nearest hyperplane where a hidden ReLU switches. */
function reluMargin(fusion: AttentionFusion, xs: number[][]): number {
  const value = (name: string) => fusion.parameters.find((p) => p.name === name)!.variable.arraySync() as number[][] & number[];
  return Math.min(
    ...xs.map((x, i) => {
      const kernel = value(`fusion/projection${i}/dense0/kernel`) as number[][];
      const bias = value(`fusion/projection${i}/dense0/bias`) as number[];
      const n = Math.hypot(...x);
      const u = fusion.options.normalizeInputs ? x.map((v) => v / n) : x;
      return Math.min(...bias.map((b, r) => Math.abs(u.reduce((s, v, a) => s + v * kernel[a][r], b)) / Math.hypot(...kernel.map((row) => row[r]))));
    }),
  );
}

describe.each([2, 3])('Jacobian of the attention fusion, M = %i', (M) => {
  it('Lemma 4.1 as written equals the float64 reference and the autodiff Jacobian (raw inputs, unscaled)', () => {
    const { fusion, xs } = fusionFor(M, RAW, 11);
    const W = fusion.projectionMatrices();
    const literal = lemma41(W, xs);
    const reference = attentionJacobian({ weights: W, latents: xs, normalizeInputs: false, epsilon: 1e-12, scoreScale: 1, scale: 'input' }).jacobian;
    expect(maxAbsDifference(literal, reference)).toBeLessThan(1e-12 * maxAbs(literal));
    const autodiff = autodiffJacobian(fusion, xs);
    expect(maxAbsDifference(autodiff, literal)).toBeLessThan(1e-5 * maxAbs(literal));
    fusion.dispose();
  });

  it.each(CASES)('autodiff equals the closed form: $label', ({ options }) => {
    const { fusion, xs } = fusionFor(M, options, 23);
    const autodiff = autodiffJacobian(fusion, xs);
    const closed = attentionJacobian({
      weights: fusion.projectionMatrices(),
      latents: xs,
      normalizeInputs: fusion.options.normalizeInputs,
      epsilon: fusion.options.epsilon,
      scoreScale: fusion.scoreScale,
      scale: fusion.options.scale,
    }).jacobian;
    expect(autodiff.length).toBe(WIDTHS[M].reduce((a, b) => a + b, 0));
    expect(maxAbsDifference(autodiff, closed)).toBeLessThan(2e-5 * maxAbs(closed));
    fusion.dispose();
  });

  it.each([...CASES, { label: 'mlp projections', options: { projection: 'mlp' as const } }, { label: 'mlp projections, raw inputs', options: { ...RAW, projection: 'mlp' as const } }])(
    'autodiff equals central finite differences: $label',
    ({ options }) => {
      const { fusion, xs } = fusionFor(M, options, 37);
      const autodiff = autodiffJacobian(fusion, xs);
      const numeric = finiteDifferenceJacobian(fusion, xs, 1e-2);
      // float32: truncation O(h²) plus rounding O(1e-7 · |f| / h)
      expect(maxAbsDifference(autodiff, numeric)).toBeLessThan(3e-3 * maxAbs(autodiff));
      fusion.dispose();
    },
  );
});

describe('coefficients of the attention fusion', () => {
  it('with M = 2 gives both modalities the same coefficient, s₁₂', () => {
    const { fusion, xs } = fusionFor(2, {}, 5);
    const latents = xs.map((x) => tf.tensor2d([x, x.map((v) => -2 * v)]));
    const alpha = fusion.coefficients(latents).arraySync() as number[][];
    for (const row of alpha) expect(row[0]).toBe(row[1]);
    const reference = attentionJacobian({ weights: fusion.projectionMatrices(), latents: xs, normalizeInputs: true, epsilon: 1e-12, scoreScale: Math.sqrt(K), scale: 'input' });
    expect(alpha[0][0]).toBeCloseTo(reference.coefficients[0], 5);
    expect(reference.coefficients[0]).toBeCloseTo(reference.coefficients[1], 12);
    tf.dispose(latents);
    fusion.dispose();
  });
});
