import { writeFileSync } from 'fs';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@mmfuse/backend';
import { createRng, Rng } from '@mmfuse/core';
import { FeatureGateFusion } from './feature-gate-fusion';
import { featureGateLipschitzBound } from './feature-gate-lipschitz-bound';
import { autodiffJacobian, randomizeParameters, referenceForward, spectralNorm, vectorOfNorm } from './testing/feature-gate-test-utils';

beforeAll(async () => {
  await initBackend('cpu');
});

/** Largest empirical estimate over bound, per case; written to the file named by FEATURE_GATE_RATIOS when set. */
const ratios: Record<string, number> = {};
afterAll(() => {
  if (process.env.FEATURE_GATE_RATIOS) writeFileSync(process.env.FEATURE_GATE_RATIOS, `${JSON.stringify(ratios, null, 2)}\n`);
});

type Point = number[][];

/** Each latent scaled back onto the ball ‖x_m‖ ≤ R. */
function intoBall(xs: Point, R: number): Point {
  return xs.map((x) => {
    const n = Math.hypot(...x);
    return n > R ? x.map((v) => (v * R) / n) : x;
  });
}

/** A point of the domain, every latent on the sphere one time in two (where the spread mean − min peaks). */
function samplePoint(rng: Rng, M: number, d: number, R: number): Point {
  return Array.from({ length: M }, () => vectorOfNorm(rng, d, rng() < 0.5 ? R : R * rng()));
}

function distance(a: Point, b: Point): number {
  return Math.hypot(...a.flatMap((x, m) => x.map((v, i) => v - b[m][i])));
}

/** ‖f(x) − f(y)‖ / ‖x − y‖ by the float64 reference, so float32 rounding cannot inflate it. */
function quotient(fusion: FeatureGateFusion, x: Point, y: Point): number {
  const fx = referenceForward(fusion, x).output;
  const fy = referenceForward(fusion, y).output;
  return Math.hypot(...fx.map((v, c) => v - fy[c])) / distance(x, y);
}

/**
 * Projected gradient ascent on the difference quotient over pairs (x, y) in the domain, from a
 * pair at the given separation; returns the best quotient seen.
 */
function quotientAscent(fusion: FeatureGateFusion, rng: Rng, start: Point, separation: number, R: number, steps: number): number {
  const M = start.length;
  let x = start;
  let y = intoBall(
    x.map((v) => v.map((e) => e + separation * (rng() * 2 - 1))),
    R,
  );
  let best = quotient(fusion, x, y);
  for (let step = 0; step < steps; step++) {
    const grads = tf.tidy(() => {
      const q = (...t: tf.Tensor[]) => {
        const a = fusion.apply(t.slice(0, M) as tf.Tensor2D[]);
        const b = fusion.apply(t.slice(M) as tf.Tensor2D[]);
        const gap = tf.concat(t.slice(0, M).map((ti, m) => tf.sub(ti, t[M + m])), 1);
        return tf.div(tf.norm(tf.sub(a, b)), tf.norm(gap)) as tf.Scalar;
      };
      return tf.grads(q)([...x, ...y].map((v) => tf.tensor2d([v]))).map((g) => Array.from(g.dataSync()));
    });
    const size = Math.hypot(...grads.flat());
    if (!(size > 0)) break;
    // steps shrink from a tenth of R, and never more than the pair's separation so it does not collapse
    const eta = Math.min(0.1 * R * (1 - step / steps), distance(x, y)) / size;
    x = intoBall(x.map((v, m) => v.map((e, i) => e + eta * grads[m][i])), R);
    y = intoBall(y.map((v, m) => v.map((e, i) => e + eta * grads[M + m][i])), R);
    if (distance(x, y) === 0) break;
    best = Math.max(best, quotient(fusion, x, y));
  }
  return best;
}

/**
 * Lower bounds of the Lipschitz constant on the domain: local spectral norms ‖J(x)‖₂ at random
 * points, refined by hill climbing; difference quotients over random and nearby pairs; and
 * gradient ascent on the quotient from the best point and from random ones.
 */
function empiricalEstimate(fusion: FeatureGateFusion, rng: Rng, R: number): { jacobian: number; quotient: number } {
  const M = fusion.inputSizes.length;
  const d = fusion.outputSize;
  const localNorm = (xs: Point) => spectralNorm(autodiffJacobian(fusion, xs));
  let best = samplePoint(rng, M, d, R);
  let bestNorm = localNorm(best);
  for (let s = 0; s < 40; s++) {
    const xs = samplePoint(rng, M, d, R);
    const norm = localNorm(xs);
    if (norm > bestNorm) [best, bestNorm] = [xs, norm];
  }
  for (let s = 0; s < 80; s++) {
    const step = (s < 40 ? 0.2 : 0.05) * R;
    const xs = intoBall(
      best.map((x) => x.map((v) => v + step * (rng() * 2 - 1))),
      R,
    );
    const norm = localNorm(xs);
    if (norm > bestNorm) [best, bestNorm] = [xs, norm];
  }
  let bestQuotient = 0;
  for (let s = 0; s < 120; s++) {
    const x = s % 2 === 0 ? samplePoint(rng, M, d, R) : best;
    const y = s % 4 < 2 ? samplePoint(rng, M, d, R) : intoBall(x.map((v) => v.map((e) => e + 1e-2 * R * (rng() * 2 - 1))), R);
    if (distance(x, y) > 0) bestQuotient = Math.max(bestQuotient, quotient(fusion, x, y));
  }
  for (const [start, separation] of [
    [best, 1e-2 * R],
    [best, 0.3 * R],
    [samplePoint(rng, M, d, R), 1e-2 * R],
    [samplePoint(rng, M, d, R), R],
  ] as Array<[Point, number]>) {
    bestQuotient = Math.max(bestQuotient, quotientAscent(fusion, rng, start, separation, R, 30));
  }
  return { jacobian: bestNorm, quotient: bestQuotient };
}

interface BoundCase {
  readonly label: string;
  /** Standard deviation of the random weights and biases. */
  readonly std: number;
  readonly R: number;
  readonly residual: boolean;
}

const CASES: BoundCase[] = [
  { label: 'small weights', std: 0.3, R: 2, residual: false },
  { label: 'unit weights', std: 1, R: 1.5, residual: false },
  { label: 'large weights', std: 2.5, R: 1, residual: false },
  { label: 'large radius', std: 0.8, R: 5, residual: false },
  { label: 'unit weights, residual mean', std: 1, R: 1.5, residual: true },
];

describe.each([2, 3])('certified Lipschitz bound of the feature gate, M = %i', (M) => {
  const d = 4;

  it.each(CASES)('is at least every empirical estimate: $label', ({ label, std, R, residual }) => {
    const rng = createRng(`bound-${M}-${label}`);
    const fusion = new FeatureGateFusion('fusion', new Array(M).fill(d), { hiddenSize: 5, residual }, 3);
    randomizeParameters(fusion, rng, std);
    const certificate = fusion.certifiedLipschitz({ inputRadius: R });
    const estimate = empiricalEstimate(fusion, rng, R);
    expect(Number.isFinite(certificate.value)).toBe(true);
    expect(estimate.jacobian).toBeGreaterThan(0);
    expect(estimate.jacobian).toBeLessThanOrEqual(certificate.value);
    expect(estimate.quotient).toBeLessThanOrEqual(certificate.value);
    expect(certificate.assumptions).toContain(`R = ${R}`);
    ratios[`M = ${M}, ${label}`] = Math.max(estimate.jacobian, estimate.quotient) / certificate.value;
    fusion.dispose();
  });

  it('is 1, and attained, when the gate is held shut: the elementwise minimum', () => {
    const fusion = new FeatureGateFusion('fusion', new Array(M).fill(d), {}, 3);
    randomizeParameters(fusion, createRng('shut'), 1, { 'gate/dense1/kernel': 0, 'gate/dense1/bias': -30 });
    const certificate = fusion.certifiedLipschitz({ inputRadius: 2 });
    expect(certificate.value).toBeCloseTo(1, 9);
    // away from ties the Jacobian selects one entry per feature: spectral norm 1
    const local = spectralNorm(autodiffJacobian(fusion, samplePoint(createRng(`shut-${M}`), M, d, 2)));
    expect(local).toBeCloseTo(1, 6);
    // and without a radius too, since the gate does not move
    expect(fusion.certifiedLipschitz().value).toBeCloseTo(1, 9);
    fusion.dispose();
  });

  it('has the spread mean − min reach 2R(1 − 1/M) at one latent −R·e_c and the others +R·e_c', () => {
    const R = 1.7;
    const fusion = new FeatureGateFusion('fusion', new Array(M).fill(d), {}, 3);
    // gate held wide open: z = mean, and with the residual off z − min is the spread
    randomizeParameters(fusion, createRng('open'), 1, { 'gate/dense1/kernel': 0, 'gate/dense1/bias': 30 });
    const xs = Array.from({ length: M }, (_, m) => Array.from({ length: d }, (__, c) => (c === 1 ? (m === 0 ? -R : R) : 0)));
    const { output } = referenceForward(fusion, xs);
    expect(output[1] - -R).toBeCloseTo(2 * R * (1 - 1 / M), 9);
    fusion.dispose();
  });
});

describe('featureGateLipschitzBound', () => {
  const inputs = { modalities: 3, hiddenNorm: 2, outputNorm: 3, outputRowNorm: 1, residual: false };

  it('is 1 + ¼‖W₁‖₂·min(‖W₂‖₂·2R(1 − 1/M), ‖W₂‖_{2→∞}·(1 − 1/M)√(2M)R), plus 1/√M with the residual mean', () => {
    const R = 1.5;
    const spread = Math.min(3 * 2 * R * (2 / 3), 1 * (2 / 3) * Math.sqrt(6) * R);
    expect(featureGateLipschitzBound(inputs, { inputRadius: R }).value).toBeCloseTo(1 + 0.25 * 2 * spread, 10);
    expect(featureGateLipschitzBound({ ...inputs, residual: true }, { inputRadius: R }).value).toBeCloseTo(1 + 0.25 * 2 * spread + 1 / Math.sqrt(3), 10);
    // the other branch of the minimum: row norms as large as the spectral norm
    expect(featureGateLipschitzBound({ ...inputs, outputRowNorm: 3 }, { inputRadius: R }).value).toBeCloseTo(1 + 0.25 * 2 * 3 * 2 * R * (2 / 3), 10);
  });

  it('has no finite value without a radius unless the gate is constant', () => {
    const certificate = featureGateLipschitzBound(inputs);
    expect(certificate.value).toBe(Infinity);
    expect(certificate.assumptions).toContain('pass inputRadius');
    expect(featureGateLipschitzBound({ ...inputs, hiddenNorm: 0, residual: true }).value).toBeCloseTo(1 + 1 / Math.sqrt(3), 10);
  });

  it('rejects a malformed radius', () => {
    expect(() => featureGateLipschitzBound(inputs, { inputRadius: -1 })).toThrow('inputRadius must be a positive finite number, got -1');
    expect(() => featureGateLipschitzBound(inputs, { inputRadius: Infinity })).toThrow('inputRadius must be a positive finite number, got Infinity');
  });
});
