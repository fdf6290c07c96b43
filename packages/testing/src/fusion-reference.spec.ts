import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@mmfuse/backend';
import { autodiffJacobian, createRng, finiteDifferenceJacobian, FusionUnderTest, gaussianMatrix, maxAbsDifference, outputOf, randomizeParameters, spectralNorm, splitRows, vectorOfNorm } from './fusion-reference';

beforeAll(async () => {
  await initBackend('cpu');
});

/** f(x₁, x₂) = A·[x₁; x₂] + (x₁ ⊙ x₁)[0]: a fixed linear map plus one quadratic term, Jacobian known in closed form. */
function knownFusion(A: number[][]): FusionUnderTest {
  return {
    inputSizes: [2, 3],
    outputSize: A.length,
    apply: (latents) =>
      tf.tidy(() => {
        const x = tf.concat(latents as tf.Tensor2D[], 1);
        const linear = tf.matMul(x, tf.tensor2d(A), false, true);
        const square = tf.square(tf.slice(latents[0], [0, 0], [-1, 1]));
        return tf.add(linear, square) as tf.Tensor2D;
      }),
  };
}

describe('the fusion references', () => {
  it('computes the spectral norm of matrices with known singular values', () => {
    expect(spectralNorm([[3, 0], [0, -5]])).toBeCloseTo(5, 12);
    // A rank-one matrix u vᵀ has norm ‖u‖‖v‖.
    expect(spectralNorm([[1 * 2, 1 * 2], [2 * 2, 2 * 2], [2 * 2, 2 * 2]])).toBeCloseTo(3 * 2 * Math.SQRT2, 10);
  });

  it('gives autodiff and finite-difference Jacobians equal to the closed form', () => {
    const A = gaussianMatrix(createRng('A'), 4, 5);
    const fusion = knownFusion(A);
    const xs = [[0.3, -1.2], [0.5, 0.1, 2]];
    // ∂f/∂x = A, plus 2·x₁[0] in column 0 of every row (the quadratic term is added to every output).
    const exact = A.map((row) => row.map((v, c) => (c === 0 ? v + 2 * xs[0][0] : v)));
    expect(maxAbsDifference(autodiffJacobian(fusion, xs), exact)).toBeLessThan(1e-5);
    expect(maxAbsDifference(finiteDifferenceJacobian(fusion, xs, 1e-2), exact)).toBeLessThan(2e-3);
    const y = outputOf(fusion, xs);
    const byHand = A.map((row) => row.reduce((s, v, c) => s + v * xs.flat()[c], 0) + xs[0][0] ** 2);
    y.forEach((v, i) => expect(v).toBeCloseTo(byHand[i], 5));
  });

  it('draws vectors of the asked norm, splits rows by size and randomises every parameter', () => {
    const v = vectorOfNorm(createRng(3), 7, 2.5);
    expect(Math.hypot(...v)).toBeCloseTo(2.5, 12);
    expect(splitRows([1, 2, 3, 4, 5], [2, 3])).toEqual([[1, 2], [3, 4, 5]]);
    const variable = tf.variable(tf.zeros([20, 30]));
    randomizeParameters({ parameters: [{ name: 'w', variable }] }, createRng(1), 0.5);
    const values = Array.from(variable.dataSync());
    const std = Math.sqrt(values.reduce((s, x) => s + x * x, 0) / values.length);
    expect(std).toBeGreaterThan(0.45);
    expect(std).toBeLessThan(0.55);
    variable.dispose();
  });
});
