import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@mmfuse/backend';
import { randomArray, singularValues, toRows } from '../test-support/reference';
import { GradientRatioEstimator } from './gradient-ratio';
import { JacobianSpectralEstimator } from './jacobian-spectral';
import { functionTarget } from './lipschitz-target';

beforeAll(async () => {
  await initBackend('cpu');
});

describe('the gradient ratio of the input Jacobian', () => {
  it('is 2|c| for f(x) = c‖x‖², whose gradient 2c·x has exactly that constant', async () => {
    const target = functionTarget('c‖x‖²', (x) => tf.mul(-1.5, tf.sum(tf.square(x), 1, true)), [6]);
    const x = tf.tensor2d(randomArray(24, 1), [4, 6]);
    const result = (await new GradientRatioEstimator({ pairs: 3 }).estimate(target, x, 1))!;
    expect(result).toMatchObject({ estimator: 'gradient-ratio', quantity: 'gradient-ratio', bound: 'lower', samples: 12 });
    expect(result.of).toMatch(/the gradient map/);
    expect(result.relation).toMatch(/not of .*'s own Lipschitz constant/);
    for (const v of result.perSample!) expect(v).toBeCloseTo(3, 4);
    x.dispose();
  });

  it('lies between the extreme eigenvalues of S for f(x) = ½xᵀSx', async () => {
    const a = toRows(randomArray(25, 3), 5, 5);
    const s = a.map((row, i) => row.map((_, j) => a.reduce((t, r) => t + r[i] * r[j], 0))); // AᵀA, symmetric positive
    const matrix = tf.tensor2d(s);
    const target = functionTarget('quadratic', (x) => tf.mul(0.5, tf.sum(tf.mul(tf.matMul(x as tf.Tensor2D, matrix), x), 1, true)), [5]);
    const x = tf.tensor2d(randomArray(15, 4), [3, 5]);
    const result = (await new GradientRatioEstimator({ pairs: 4 }).estimate(target, x, 2))!;
    const eigen = singularValues(s);
    for (const v of result.perSample!) {
      expect(v).toBeLessThanOrEqual(eigen[0] * (1 + 1e-4));
      expect(v).toBeGreaterThanOrEqual(eigen[eigen.length - 1] * (1 - 1e-4));
    }
    tf.dispose([matrix, x]);
  });

  it('is zero for a linear map, whose own Lipschitz constant is not', async () => {
    const w = tf.tensor2d(randomArray(12, 5), [4, 3]);
    const target = functionTarget('linear', (x) => tf.matMul(x as tf.Tensor2D, w), [4]);
    const x = tf.tensor2d(randomArray(8, 6), [2, 4]);
    expect((await new GradientRatioEstimator().estimate(target, x))!.value).toBeLessThan(1e-4);
    expect((await new JacobianSpectralEstimator().estimate(target, x)).value).toBeGreaterThan(0.1);
    tf.dispose([w, x]);
  });

  it('leaves the parameter gradient to estimateParameters', async () => {
    const target = functionTarget('id', (x) => x, [2]);
    const x = tf.tensor2d([[1, 2]]);
    expect(await new GradientRatioEstimator({ gradient: 'parameters' }).estimate(target, x)).toBeUndefined();
    x.dispose();
  });
});

describe('the gradient ratio of a loss w.r.t. parameters', () => {
  it('gives each parameter group its own constant from one reverse pass per pair', async () => {
    // ℓ(x) = 2⟨θ₁, x⟩ + 0.5⟨θ₂, x⟩: ∇_θ₁ ℓ = 2x and ∇_θ₂ ℓ = 0.5x, constants 2 and 0.5 whatever θ is.
    const theta1 = tf.variable(tf.tensor1d(randomArray(3, 7)), true, 'theta1-ratio-spec');
    const theta2 = tf.variable(tf.tensor1d(randomArray(3, 8)), true, 'theta2-ratio-spec');
    const probe = {
      inputSize: 3,
      norm: 'l2',
      groups: [
        { name: 'first', variables: [theta1] },
        { name: 'none', variables: [] },
        { name: 'second', variables: [theta2] },
      ],
      loss: (x: tf.Tensor2D) => tf.add(tf.mul(2, tf.sum(tf.mul(x, theta1), 1)), tf.mul(0.5, tf.sum(tf.mul(x, theta2), 1))) as tf.Tensor1D,
    };
    const x = tf.tensor2d(randomArray(6, 9), [2, 3]);
    const before = tf.memory().numTensors;
    const results = await new GradientRatioEstimator({ gradient: 'parameters', pairs: 2 }).estimateParameters(probe, x, 3);
    expect(tf.memory().numTensors).toBe(before);
    expect(results.map((r) => r.group)).toEqual(['first', 'second']);
    results[0].result.perSample!.forEach((v) => expect(v).toBeCloseTo(2, 4));
    results[1].result.perSample!.forEach((v) => expect(v).toBeCloseTo(0.5, 4));
    expect(results[0].result.samples).toBe(4);
    tf.dispose([theta1, theta2, x]);
  });
});
