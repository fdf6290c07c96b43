import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@mmfuse/backend';
import type { ModalitySpec } from '@mmfuse/core';
import { MlpEncoder } from '@mmfuse/encoders';
import { jacobianAt, randomArray, spectralNorm } from '../test-support/reference';
import { CertifiedBoundEstimator } from './certified-bound';
import { DifferenceQuotientEstimator } from './difference-quotient';
import { JacobianSpectralEstimator } from './jacobian-spectral';
import { vjp } from './jacobian-products';
import { encoderTarget } from './sub-model-targets';

beforeAll(async () => {
  await initBackend('cpu');
});

/** Closed-form largest singular value of a 2×2 matrix [[a, b], [c, d]]. */
function norm2x2(a: number, b: number, c: number, d: number): number {
  const s = a * a + b * b + c * c + d * d;
  const det = a * d - b * c;
  return Math.sqrt((s + Math.sqrt(Math.max(0, s * s - 4 * det * det))) / 2);
}

/**
 * A ReLU network R² → R² is piecewise linear: its Lipschitz constant on a box is the largest
 * ‖J‖₂ over the linear regions meeting the box. A dense grid visits (practically) every region, so
 * the grid maximum is the truth from below; the certified bound must lie above it, the estimates
 * (taken at points of the box) below it.
 */
describe('a small ReLU network on [-1, 1]²', () => {
  const modality: ModalitySpec = { name: 'point', kind: 'vector', shape: [2] };
  let network: MlpEncoder;
  let gridMax: number;
  const side = 401;

  beforeAll(() => {
    network = new MlpEncoder('encoder:point', modality, { units: [16, 16], latentSize: 2, activation: 'relu', activateLast: false, init: 'he' }, 7);
    const coords = new Float32Array(side * side * 2);
    for (let i = 0; i < side; i++)
      for (let j = 0; j < side; j++) {
        coords[(i * side + j) * 2] = -1 + (2 * i) / (side - 1);
        coords[(i * side + j) * 2 + 1] = -1 + (2 * j) / (side - 1);
      }
    const grid = tf.tensor2d(coords, [side * side, 2]);
    const f = (x: tf.Tensor2D) => network.apply(x);
    const rows = [0, 1].map((j) => tf.tidy(() => vjp(f, grid, tf.oneHot(tf.fill([side * side], j, 'int32'), 2) as tf.Tensor2D)).dataSync());
    gridMax = 0;
    for (let p = 0; p < side * side; p++) gridMax = Math.max(gridMax, norm2x2(rows[0][2 * p], rows[0][2 * p + 1], rows[1][2 * p], rows[1][2 * p + 1]));
    grid.dispose();
  });
  afterAll(() => network.dispose());

  const inBox = (n: number, seed: number) => tf.tensor2d(randomArray(2 * n, seed), [n, 2]);

  it('has a certified bound above the grid truth', async () => {
    const certified = (await new CertifiedBoundEstimator().estimate(encoderTarget(network)))!;
    expect(certified).toMatchObject({ quantity: 'certified', bound: 'upper' });
    expect(gridMax).toBeGreaterThan(0);
    expect(certified.value).toBeGreaterThanOrEqual(gridMax);
    expect(certified.layers!.map((l) => l.kind)).toEqual(['dense', 'activation', 'dense', 'activation', 'dense']);
  });

  it('has spectral estimates at the exact local norms, below the grid truth', async () => {
    const x = inBox(32, 3);
    const target = encoderTarget(network);
    const result = await new JacobianSpectralEstimator({ iterations: 20, jvp: 'exact' }).estimate(target, x, 1);
    const points = x.arraySync();
    const exact = points.map((p) => spectralNorm(jacobianAt((t) => target.apply(t), p, 2)));
    result.perSample!.forEach((value, b) => expect(value).toBeCloseTo(exact[b], 4));
    // Directions chosen by central differences: never above the local norm, and close to it.
    const byDifference = await new JacobianSpectralEstimator({ iterations: 20, jvp: 'difference' }).estimate(target, x, 1);
    byDifference.perSample!.forEach((value, b) => {
      expect(value).toBeLessThanOrEqual(exact[b] * (1 + 1e-5));
      expect(value).toBeGreaterThan(exact[b] * 0.999);
    });
    expect(result.value).toBeLessThanOrEqual(gridMax * (1 + 1e-4));
    // 32 points of the box find a good share of the worst region's slope.
    expect(result.value).toBeGreaterThan(0.5 * gridMax);
    x.dispose();
  });

  it('has difference quotients below the grid truth, nearby and between samples', async () => {
    const x = inBox(64, 4);
    const target = encoderTarget(network);
    for (const estimator of [
      new DifferenceQuotientEstimator({ pairs: 4, radius: 0.05 }),
      new DifferenceQuotientEstimator({ pairs: 4, radius: 0.05, direction: 'gradient' }),
      new DifferenceQuotientEstimator({ pairing: 'between-samples' }),
    ]) {
      const result = await estimator.estimate(target, x, 2);
      expect(result.bound).toBe('lower');
      expect(result.value).toBeLessThanOrEqual(gridMax * (1 + 1e-4));
      expect(result.value).toBeGreaterThan(0);
    }
    x.dispose();
  });
});
