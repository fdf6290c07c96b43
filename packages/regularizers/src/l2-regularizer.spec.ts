import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@mmfuse/backend';
import { L2Regularizer } from './l2-regularizer';
import { paperLikeModel } from './testing/fake-model';
import { WeightDecayRegularizer } from './weight-decay-regularizer';

beforeAll(async () => {
  await initBackend('cpu');
});

/** Σ ‖W‖_F² in float64 from the variables' values. */
function sumOfSquares64(variables: tf.Variable[]): number {
  return variables.reduce((total, v) => total + Array.from(v.dataSync()).reduce((s, x) => s + x * x, 0), 0);
}

const LAMBDAS = [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1];

describe('L2Regularizer', () => {
  it.each(LAMBDAS)('adds λ Σ ‖W‖_F² over the selected parameters, λ = %p', (lambda) => {
    const model = paperLikeModel();
    const regularizer = new L2Regularizer('regularizers[0]', { lambda, subModels: '*', parameters: 'fusion/projection*/kernel' });
    const penalty = regularizer.penalty(model);
    const expected = lambda * sumOfSquares64([model.byName['fusion/projection0/kernel'], model.byName['fusion/projection1/kernel']]);
    expect(expected).toBeGreaterThan(0);
    expect(Math.abs(penalty.dataSync()[0] - expected)).toBeLessThan(1e-6 * expected);
    penalty.dispose();
    model.dispose();
  });

  it('has gradient 2λW on the selected parameters and none elsewhere', () => {
    const model = paperLikeModel();
    const lambda = 0.03;
    const regularizer = new L2Regularizer('l2', { lambda, subModels: ['encoder:joints', 'fusion'], parameters: '**' });
    expect(regularizer.selectedParameters(model)).toEqual(['encoder:joints/dense0/kernel', 'encoder:joints/dense0/bias', 'fusion/projection0/kernel', 'fusion/projection1/kernel']);
    const all = Object.values(model.byName);
    const { value, grads } = tf.variableGrads(() => regularizer.penalty(model), all);
    for (const [name, variable] of Object.entries(model.byName)) {
      const g = grads[variable.name];
      if (!regularizer.selectedParameters(model).includes(name)) {
        // not on the tape at all: no gradient
        expect([name, g]).toEqual([name, undefined]);
        continue;
      }
      const w = Array.from(variable.dataSync());
      Array.from(g.dataSync()).forEach((x, i) => expect(x).toBeCloseTo(2 * lambda * w[i], 6));
    }
    tf.dispose([value, ...Object.values(grads)]);
    model.dispose();
  });

  it('adds exactly 0 where nothing matches (a fusion without projections) and leaks no tensor', () => {
    const model = paperLikeModel();
    const regularizer = new L2Regularizer('l2', { lambda: 1, subModels: '*', parameters: 'fusion/projection*/dense*/kernel' });
    const before = tf.memory().numTensors;
    const penalty = regularizer.penalty(model);
    expect(penalty.dataSync()[0]).toBe(0);
    penalty.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('round-trips its config', () => {
    const options = { lambda: 1e-5, subModels: ['fusion'], parameters: 'fusion/projection*/kernel' };
    const regularizer = new L2Regularizer('l2', options);
    expect(regularizer.getConfig()).toEqual({ type: 'l2', ...options });
    const { type: _type, ...again } = regularizer.getConfig();
    expect(new L2Regularizer('l2', again as typeof options).getConfig()).toEqual(regularizer.getConfig());
  });
});

describe('WeightDecayRegularizer', () => {
  it('adds λ Σ ‖W‖² over every kernel of every sub-model, never a bias', () => {
    const model = paperLikeModel();
    const regularizer = new WeightDecayRegularizer('decay', { lambda: 2e-3, subModels: '*' });
    const kernels = Object.entries(model.byName).filter(([name]) => name.endsWith('/kernel'));
    expect(regularizer.selectedParameters(model)).toEqual(kernels.map(([name]) => name));
    const penalty = regularizer.penalty(model);
    const expected = 2e-3 * sumOfSquares64(kernels.map(([, v]) => v));
    expect(Math.abs(penalty.dataSync()[0] - expected)).toBeLessThan(1e-6 * expected);
    penalty.dispose();
    model.dispose();
  });

  it('restricts to the selected sub-models and has gradient 2λW there', () => {
    const model = paperLikeModel();
    const lambda = 0.5;
    const regularizer = new WeightDecayRegularizer('decay', { lambda, subModels: 'decoder:*' });
    expect(regularizer.selectedParameters(model)).toEqual(['decoder:camera/projection/kernel', 'decoder:camera/deconv0/kernel', 'decoder:joints/dense0/kernel']);
    const target = model.byName['decoder:camera/deconv0/kernel'];
    const bias = model.byName['decoder:joints/dense0/bias'];
    const { value, grads } = tf.variableGrads(() => regularizer.penalty(model), [target, bias]);
    const w = Array.from(target.dataSync());
    Array.from(grads[target.name].dataSync()).forEach((g, i) => expect(g).toBeCloseTo(2 * lambda * w[i], 6));
    expect(grads[bias.name]).toBeUndefined();
    tf.dispose([value, ...Object.values(grads)]);
    expect(regularizer.getConfig()).toEqual({ type: 'weight-decay', lambda, subModels: 'decoder:*' });
    model.dispose();
  });
});
