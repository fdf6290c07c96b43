import { mkdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@mmfuse/backend';
import type { Rng } from '@mmfuse/core';
import { TokenAttentionFusion } from './token-attention-fusion';
import { appliedProductNorm, tokenAttentionLipschitzBound, TokenAttentionNorms } from './token-attention-lipschitz-bound';
import { TokenAttentionOptions } from './token-attention-options';
import { autodiffJacobian, createRng, gaussianMatrix, outputOf, randomizeParameters, spectralNorm, vectorOfNorm } from './testing/token-attention-reference';

beforeAll(async () => {
  await initBackend('cpu');
});

/** A latent in the ball of radius R, on its sphere half of the time (where scores, and slopes, are largest). */
function sampleLatent(rng: Rng, d: number, R: number): number[] {
  return vectorOfNorm(rng, d, rng() < 0.5 ? R : R * Math.sqrt(rng()));
}

function clampToBall(x: number[], R: number): number[] {
  const n = Math.hypot(...x);
  return n > R ? x.map((v) => (v * R) / n) : x;
}

function distance(a: number[][], b: number[][]): number {
  return Math.hypot(...a.flatMap((x, i) => x.map((v, c) => v - b[i][c])));
}

function localNorm(fusion: TokenAttentionFusion, xs: number[][]): number {
  return spectralNorm(autodiffJacobian(fusion, xs));
}

/** The largest ‖J(x)‖₂ found: random points, then hill climbing with shrinking steps from the best. */
function jacobianSearch(fusion: TokenAttentionFusion, rng: Rng, R: number): { norm: number; at: number[][] } {
  const widths = fusion.inputSizes;
  let at = widths.map((d) => sampleLatent(rng, d, R));
  let norm = localNorm(fusion, at);
  for (let s = 0; s < 40; s++) {
    const xs = widths.map((d) => sampleLatent(rng, d, R));
    const candidate = localNorm(fusion, xs);
    if (candidate > norm) [at, norm] = [xs, candidate];
  }
  for (let s = 0; s < 80; s++) {
    const step = R * 0.3 * Math.pow(0.03, s / 80);
    const xs = at.map((x) => clampToBall(x.map((v) => v + step * (rng() * 2 - 1)), R));
    const candidate = localNorm(fusion, xs);
    if (candidate > norm) [at, norm] = [xs, candidate];
  }
  return { norm, at };
}

/** ‖f(x) − f(y)‖ / ‖x − y‖ and its gradient in (x, y), by autodiff. */
function quotientAndGradient(fusion: TokenAttentionFusion, x: number[][], y: number[][]): { value: number; gradient: number[][] } {
  const M = x.length;
  const quotient = (...latents: tf.Tensor[]) => {
    const xs = latents.slice(0, M) as tf.Tensor2D[];
    const ys = latents.slice(M) as tf.Tensor2D[];
    const numerator = tf.norm(tf.sub(fusion.apply(xs), fusion.apply(ys)));
    const denominator = tf.sqrt(tf.addN(xs.map((xi, i) => tf.sum(tf.squaredDifference(xi, ys[i])))));
    return tf.div(numerator, denominator) as tf.Scalar;
  };
  const inputs = [...x, ...y].map((v) => tf.tensor2d([v]));
  const { value, grads } = tf.valueAndGrads(quotient)(inputs);
  const result = { value: value.dataSync()[0], gradient: grads.map((g) => Array.from(g.dataSync())) };
  tf.dispose([value, ...grads, ...inputs]);
  return result;
}

/**
 * Gradient ascent on the difference quotient from (x, y), keeping every latent in the ball:
 * normalised steps, halved when they do not improve. Returns the best quotient seen.
 */
function quotientAscent(fusion: TokenAttentionFusion, x0: number[][], y0: number[][], R: number, step: number, steps: number): number {
  const M = x0.length;
  let [x, y] = [x0, y0];
  let current = quotientAndGradient(fusion, x, y);
  let best = current.value;
  for (let s = 0; s < steps && step > 1e-6 * R; s++) {
    const size = Math.hypot(...current.gradient.flat());
    if (!(size > 0)) break;
    const moved = [...x, ...y].map((v, i) => clampToBall(v.map((c, k) => c + (step * current.gradient[i][k]) / size), R));
    const candidate = quotientAndGradient(fusion, moved.slice(0, M), moved.slice(M));
    if (Number.isFinite(candidate.value) && candidate.value > current.value) {
      [x, y, current] = [moved.slice(0, M), moved.slice(M), candidate];
      best = Math.max(best, candidate.value);
    } else {
      step /= 2;
    }
  }
  return best;
}

/** The largest difference quotient found: random pairs, then ascent from far and from nearby pairs. */
function quotientSearch(fusion: TokenAttentionFusion, rng: Rng, R: number, near: number[][]): number {
  const widths = fusion.inputSizes;
  let best = 0;
  for (let s = 0; s < 100; s++) {
    const x = widths.map((d) => sampleLatent(rng, d, R));
    const y = s % 2 === 0 ? widths.map((d) => sampleLatent(rng, d, R)) : x.map((v) => clampToBall(v.map((c) => c + 0.05 * R * (rng() * 2 - 1)), R));
    const dx = distance(x, y);
    if (dx > 0) best = Math.max(best, Math.hypot(...outputOf(fusion, x).map((v, i) => v - outputOf(fusion, y)[i])) / dx);
  }
  for (let start = 0; start < 3; start++) {
    const x = widths.map((d) => sampleLatent(rng, d, R));
    best = Math.max(best, quotientAscent(fusion, x, widths.map((d) => sampleLatent(rng, d, R)), R, 0.3 * R, 40));
  }
  // nearby pairs around the steepest point found: the quotient approaches ‖J‖ there
  for (let start = 0; start < 2; start++) {
    const y = near.map((v) => clampToBall(v.map((c) => c + 0.02 * R * (rng() * 2 - 1)), R));
    best = Math.max(best, quotientAscent(fusion, near, y, R, 0.05 * R, 40));
  }
  return best;
}

interface BoundCase {
  readonly label: string;
  readonly options: Partial<TokenAttentionOptions>;
  /** Standard deviation of the random weights. */
  readonly std: number;
  readonly R: number;
}

const CASES: BoundCase[] = [
  { label: 'small weights', options: {}, std: 0.3, R: 1 },
  { label: 'moderate weights', options: {}, std: 0.7, R: 1.5 },
  { label: 'large weights (sharp softmax)', options: {}, std: 1.5, R: 2 },
  { label: 'no residual', options: { residual: false }, std: 0.7, R: 1.5 },
  { label: 'spectral norm (σ > 1), one head', options: { spectralNorm: true, heads: 1 }, std: 1.2, R: 2 },
  { label: 'spectral norm, no residual, large radius', options: { spectralNorm: true, residual: false }, std: 1.2, R: 4 },
];

const ratios: Array<{ M: number; label: string; std: number; R: number; bound: number; jacobian: number; quotient: number; ratio: number }> = [];

afterAll(() => {
  // the measured tightness, for the README: best empirical estimate / certified bound per case
  const dir = join(__dirname, '..', 'test-results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'bound-ratios.json'), JSON.stringify(ratios, null, 2) + '\n');
});

describe.each([2, 3])('certified Lipschitz bound of the token attention, M = %i', (M) => {
  const widths = M === 2 ? [3, 4] : [3, 4, 2];

  it.each(CASES)('is at least every empirical estimate on the ball: $label', ({ label, options, std, R }) => {
    const rng = createRng(`bound-${M}-${label}`);
    const fusion = new TokenAttentionFusion('fusion', widths, { tokenSize: 4, heads: 2, ...options }, 3);
    randomizeParameters(fusion, rng, std);
    // a few steps only: the searches' forward calls move σ̂ on, and the certificate covers later calls
    fusion.refineSpectralEstimates(3);
    const certificate = fusion.certifiedLipschitz({ inputRadius: R });
    const jacobian = jacobianSearch(fusion, rng, R);
    const quotient = quotientSearch(fusion, rng, R, jacobian.at);
    expect(Number.isFinite(certificate.value)).toBe(true);
    expect(jacobian.norm).toBeGreaterThan(0);
    expect(jacobian.norm).toBeLessThanOrEqual(certificate.value);
    expect(quotient).toBeLessThanOrEqual(certificate.value);
    expect(certificate.assumptions).toContain(`R = ${R}`);
    ratios.push({ M, label, std, R, bound: certificate.value, jacobian: jacobian.norm, quotient, ratio: Math.max(jacobian.norm, quotient) / certificate.value });
    fusion.dispose();
  });
});

describe('tokenAttentionLipschitzBound', () => {
  const unit = (overrides: Partial<TokenAttentionNorms> = {}): TokenAttentionNorms => ({
    tokens: [1, 1],
    heads: [{ scores: 1, values: [1, 1] }],
    output: 1,
    headSize: 1,
    residual: false,
    ...overrides,
  });

  it('follows the derivation on cases worked by hand', () => {
    // p = g = w = o = R = c = 1, so τ = ν = 1 and g ν / c = 1.
    // Sums over j: U_ij = ([i = j] + 1) + 1 = [[3, 2], [2, 3]], ‖U‖₂ = 5.
    // Maxima kept: diagonal τ* p_i = 1, the rest (τ_i max p + max w) = 2 per token: 1 + ‖(2, 2)‖ = 1 + 2√2.
    expect(tokenAttentionLipschitzBound(() => unit(), 2, { inputRadius: 1 }).value).toBeCloseTo(1 + 2 * Math.SQRT2, 9);
    // with the residual: min(max p + 1 + 2√2, ‖diag(p) + U‖₂ = ‖[[4, 2], [2, 4]]‖₂ = 6)
    expect(tokenAttentionLipschitzBound(() => unit({ residual: true }), 2, { inputRadius: 1 }).value).toBeCloseTo(2 + 2 * Math.SQRT2, 9);
    // two equal heads: min(‖[U; U]‖₂ = 5√2, ‖(1, 1)‖ + ‖(2, 2, 2, 2)‖ = √2 + 4), plus the residual's 1
    const twoHeads = unit({ heads: [{ scores: 1, values: [1, 1] }, { scores: 1, values: [1, 1] }], residual: true });
    expect(tokenAttentionLipschitzBound(() => twoHeads, 2, { inputRadius: 1 }).value).toBeCloseTo(1 + Math.SQRT2 + 4, 9);
    // R = 2, c = 2: τ = ν = 2, g ν / c = 1: diagonal τ* p_i = 2, rest 2 + 1 = 3: 2 + 3√2 (U = [[5, 3], [3, 5]] gives 8)
    expect(tokenAttentionLipschitzBound(() => unit({ headSize: 4 }), 2, { inputRadius: 2 }).value).toBeCloseTo(2 + 3 * Math.SQRT2, 9);
    // one weak modality (p_2 = w_2 = 0.01): U = [[3, 0.02], [1.01, 0.0201]] beats 1 + ‖(2, 1.01)‖
    const weak = unit({ tokens: [1, 0.01], heads: [{ scores: 1, values: [1, 0.01] }] });
    const U = [
      [3, 0.02],
      [1.01, 0.0201],
    ];
    expect(spectralNorm(U)).toBeLessThan(1 + Math.hypot(2, 1.01));
    expect(tokenAttentionLipschitzBound(() => weak, 2, { inputRadius: 1 }).value).toBeCloseTo(spectralNorm(U), 9);
  });

  it('has no finite value without an input radius, and says why', () => {
    let asked = false;
    const certificate = tokenAttentionLipschitzBound(
      () => {
        asked = true;
        return unit();
      },
      2,
    );
    expect(certificate.value).toBe(Infinity);
    expect(certificate.assumptions).toContain('no global Lipschitz constant');
    expect(certificate.assumptions).toContain('pass inputRadius');
    // the norms (float64 spectral norms of every matrix) are not computed for it
    expect(asked).toBe(false);
    const fusion = new TokenAttentionFusion('fusion', [3, 4], { heads: 2 }, 1);
    expect(fusion.certifiedLipschitz().value).toBe(Infinity);
    fusion.dispose();
  });

  it('rejects a malformed radius', () => {
    expect(() => tokenAttentionLipschitzBound(() => unit(), 2, { inputRadius: -1 })).toThrow('inputRadius must be a positive finite number, got -1');
    expect(() => tokenAttentionLipschitzBound(() => unit(), 2, { inputRadius: Infinity })).toThrow('inputRadius must be a positive finite number, got Infinity');
  });

  it('bounds the norms of the products it uses from above, and below the products of the norms', () => {
    const rng = createRng('products');
    for (let trial = 0; trial < 5; trial++) {
      const a = gaussianMatrix(rng, 6, 3);
      const b = gaussianMatrix(rng, 5, 3);
      const kernel = (m: number[][], divisor: number) => ({ values: Float64Array.from(m.flat()), rows: m.length, cols: m[0].length, divisor });
      const exact = spectralNorm(a.map((row) => b.map((other) => row.reduce((s, v, k) => s + v * other[k], 0))));
      const bound = appliedProductNorm(kernel(a, 2), kernel(b, 1.5), true);
      expect(bound).toBeGreaterThanOrEqual(exact / 3);
      expect(bound).toBeLessThan((exact / 3) * 1.01);
      expect(bound).toBeLessThanOrEqual((spectralNorm(a) * spectralNorm(b)) / 3);
      const c = gaussianMatrix(rng, 3, 4);
      const straight = spectralNorm(a.map((row) => c[0].map((_, col) => row.reduce((s, v, k) => s + v * c[k][col], 0))));
      expect(appliedProductNorm(kernel(a, 1), kernel(c, 1), false)).toBeGreaterThanOrEqual(straight);
    }
  });
});
