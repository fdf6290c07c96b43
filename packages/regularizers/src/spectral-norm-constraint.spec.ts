import * as tf from '@tensorflow/tfjs-core';
import { Matrix, SVD } from 'ml-matrix';
import { initBackend } from '@mmfuse/backend';
import { SpectralNormConstraint, SpectralNormConstraintOptions } from './spectral-norm-constraint';
import { fakeModel, filled, paperLikeModel } from './testing/fake-model';

beforeAll(async () => {
  await initBackend('cpu');
});

const DEFAULTS: SpectralNormConstraintOptions = { maxNorm: 1, subModels: '*', parameters: '**/kernel', powerIterations: 1, matricize: false };

/** σ_max by SVD, independent of the constraint's power iteration; rank > 2 reshaped to [∏ leading, last]. */
function sigmaMax(variable: tf.Variable): number {
  const cols = variable.shape[variable.rank - 1];
  const flat = Array.from(variable.dataSync());
  const rows = flat.length / cols;
  const matrix = Array.from({ length: rows }, (_, r) => flat.slice(r * cols, (r + 1) * cols));
  return new SVD(new Matrix(matrix), { autoTranspose: true }).norm2;
}

describe('SpectralNormConstraint', () => {
  it.each([0.5, 1, 3])('leaves σ_max ≤ c (+1e-3) after the steps converge, c = %p', (maxNorm) => {
    const model = fakeModel({ fusion: { 'projection0/kernel': filled([9, 6], 1, 4), 'projection1/kernel': filled([6, 11], 2, 4) } });
    const constraint = new SpectralNormConstraint('sn', { ...DEFAULTS, maxNorm });
    for (const v of Object.values(model.byName)) expect(sigmaMax(v)).toBeGreaterThan(maxNorm * 1.5);
    for (let step = 0; step < 150; step++) constraint.afterStep(model);
    for (const v of Object.values(model.byName)) {
      expect(sigmaMax(v)).toBeLessThanOrEqual(maxNorm * (1 + 1e-3));
      expect(sigmaMax(v)).toBeGreaterThan(maxNorm * (1 - 1e-3));
    }
    constraint.dispose();
    model.dispose();
  });

  it('projects onto the ball: W ← W · c/σ̂ in one step when the estimate has converged', () => {
    const model = fakeModel({ fusion: { 'projection0/kernel': filled([7, 5], 3, 3) } });
    const W = model.byName['fusion/projection0/kernel'];
    const before = Array.from(W.dataSync());
    const sigma = sigmaMax(W);
    const constraint = new SpectralNormConstraint('sn', { ...DEFAULTS, maxNorm: 2, powerIterations: 100 });
    constraint.afterStep(model);
    Array.from(W.dataSync()).forEach((w, i) => expect(w).toBeCloseTo((before[i] * 2) / sigma, 5));
    constraint.dispose();
    model.dispose();
  });

  it('does not touch matrices already inside the ball, nor biases', () => {
    const model = paperLikeModel();
    const inside = model.byName['encoder:joints/dense0/kernel'];
    const bias = model.byName['encoder:joints/dense0/bias'];
    const c = sigmaMax(inside) * 1.01;
    const values = Object.fromEntries(Object.entries(model.byName).map(([name, v]) => [name, Array.from(v.dataSync())]));
    const constraint = new SpectralNormConstraint('sn', { ...DEFAULTS, maxNorm: c });
    for (let step = 0; step < 5; step++) constraint.afterStep(model);
    expect(Array.from(inside.dataSync())).toEqual(values['encoder:joints/dense0/kernel']);
    expect(Array.from(bias.dataSync())).toEqual(values['encoder:joints/dense0/bias']);
    // convolution kernels stay as they are unless matricize is on
    expect(Array.from(model.byName['encoder:camera/conv0/kernel'].dataSync())).toEqual(values['encoder:camera/conv0/kernel']);
    expect(constraint.selectedParameters(model)).toEqual([
      'encoder:camera/dense0/kernel',
      'encoder:joints/dense0/kernel',
      'fusion/projection0/kernel',
      'fusion/projection1/kernel',
      'decoder:camera/projection/kernel',
      'decoder:joints/dense0/kernel',
    ]);
    constraint.dispose();
    model.dispose();
  });

  it('constrains convolution kernels as matrices [∏ leading dims, last dim] when asked', () => {
    const model = fakeModel({ 'encoder:camera': { 'conv0/kernel': filled([3, 3, 2, 4], 5, 3), 'conv0/bias': filled([4], 6) } });
    const kernel = model.byName['encoder:camera/conv0/kernel'];
    expect(sigmaMax(kernel)).toBeGreaterThan(2);
    const constraint = new SpectralNormConstraint('sn', { ...DEFAULTS, matricize: true, powerIterations: 3 });
    for (let step = 0; step < 60; step++) constraint.afterStep(model);
    expect(kernel.shape).toEqual([3, 3, 2, 4]);
    expect(sigmaMax(kernel)).toBeLessThanOrEqual(1 + 1e-3);
    expect(constraint.selectedParameters(model)).toEqual(['encoder:camera/conv0/kernel']);
    constraint.dispose();
    model.dispose();
  });

  it('keeps σ_max ≤ c through training steps (penalty-free loss, Adam, afterStep as the trainer calls it)', async () => {
    const model = fakeModel({ fusion: { 'projection0/kernel': filled([6, 6], 7, 0.2) } });
    const W = model.byName['fusion/projection0/kernel'];
    const target = tf.tensor2d(filled([6, 6], 8, 5) as number[][]);
    const optimizer: tf.Optimizer = tf.train.adam(0.05);
    const constraint = new SpectralNormConstraint('sn', { ...DEFAULTS, maxNorm: 1.5, powerIterations: 2 });
    const sigmas: number[] = [];
    for (let step = 0; step < 80; step++) {
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.squaredDifference(W, target)) as tf.Scalar, [W]);
      optimizer.applyGradients(grads);
      constraint.afterStep(model);
      tf.dispose([value, ...Object.values(grads)]);
      sigmas.push(sigmaMax(W));
    }
    // the unconstrained optimum has σ_max ≈ 5 × that of the target pattern; the constraint holds it at c
    expect(Math.max(...sigmas.slice(20))).toBeLessThanOrEqual(1.5 * (1 + 1e-2));
    expect(sigmas[sigmas.length - 1]).toBeGreaterThan(1.5 * (1 - 1e-2));
    expect((await constraint.estimates(model))['fusion/projection0/kernel']).toBeCloseTo(sigmas[sigmas.length - 1], 2);
    tf.dispose([target]);
    optimizer.dispose();
    constraint.dispose();
    model.dispose();
  });

  it('frees its power-iteration vectors when the next trial\'s model arrives and on dispose', () => {
    const constraint = new SpectralNormConstraint('sn', DEFAULTS);
    const first = paperLikeModel();
    const baseline = tf.memory().numTensors;
    constraint.afterStep(first);
    const withVectors = tf.memory().numTensors;
    expect(withVectors - baseline).toBe(constraint.selectedParameters(first).length);
    constraint.afterStep(first);
    expect(tf.memory().numTensors).toBe(withVectors);
    first.dispose();
    const second = paperLikeModel();
    const secondBaseline = tf.memory().numTensors;
    constraint.afterStep(second);
    // the first model's vectors are freed, the second's made: as many as before
    expect(tf.memory().numTensors).toBe(secondBaseline);
    constraint.dispose();
    expect(tf.memory().numTensors).toBe(secondBaseline - constraint.selectedParameters(second).length);
    second.dispose();
  });

  it('round-trips its config', () => {
    const options = { ...DEFAULTS, maxNorm: 2, parameters: ['fusion/projection*/kernel'] };
    expect(new SpectralNormConstraint('sn', options).getConfig()).toEqual({ type: 'spectral-norm', ...options });
  });
});
