import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@mmfuse/backend';
import { FusedAdamOptimizer } from './fused-adam';

// The last one is above the JavaScript loop's limit: with mmfuse's module the fused kernel takes it too.
const SHAPES = [[1], [7], [5, 3], [3, 3, 2, 4], [1000], [130, 100]];

/** Five Adam steps on variables of SHAPES with deterministic gradients; the final values and moments. */
async function train(backend: 'cpu' | 'wasm', optimizer: () => tf.Optimizer): Promise<{ values: Float32Array[]; moments: Float32Array[]; iterations: number }> {
  await initBackend(backend);
  const before = tf.memory().numTensors;
  const variables = SHAPES.map((shape, k) => {
    const initial = tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.7 + k)), shape);
    const variable = tf.variable(initial, true, `adam-test-${backend}-${k}-${Math.random()}`);
    initial.dispose();
    return variable;
  });
  const adam = optimizer();
  for (let step = 0; step < 5; step++) {
    const grads: tf.NamedTensorMap = {};
    variables.forEach((v, k) => {
      // Gradients spanning magnitudes from 1e-6 to 1e2, of both signs, and exact zeros.
      grads[v.name] = tf.tidy(() => tf.reshape(tf.mul(tf.sin(tf.add(tf.mul(tf.range(0, v.size), 1.3 + step), k)), tf.pow(10, tf.sub(tf.mod(tf.range(0, v.size), 9), 6))), v.shape));
    });
    const zeroed = variables[1].name;
    const dense = grads[zeroed];
    grads[zeroed] = tf.tidy(() => tf.mul(dense, tf.cast(tf.greater(tf.range(0, 7), 3), 'float32')));
    dense.dispose();
    adam.applyGradients(grads);
    tf.dispose(Object.values(grads));
  }
  const weights = await adam.getWeights();
  const result = {
    values: variables.map((v) => v.dataSync() as Float32Array),
    moments: weights.slice(1).map((w) => w.tensor.dataSync() as Float32Array),
    iterations: (weights[0].tensor.dataSync() as Float32Array)[0],
  };
  adam.dispose();
  tf.dispose(variables);
  tf.dispose(weights[0].tensor);
  expect(tf.memory().numTensors).toBe(before);
  return result;
}

describe('the fused Adam optimiser', () => {
  const stock = () => tf.train.adam(0.01, 0.9, 0.999, 1e-8);
  const fused = () => new FusedAdamOptimizer(0.01, 0.9, 0.999, 1e-8);

  it('takes the fused kernel on wasm and gives tf.train.adam\'s values and moments bit for bit', async () => {
    const expected = await train('wasm', stock);
    const spy = jest.spyOn(tf.engine(), 'runKernel');
    const actual = await train('wasm', fused);
    expect(spy.mock.calls.filter(([name]) => name === 'MmfuseAdamStep')).toHaveLength(5 * SHAPES.length);
    spy.mockRestore();
    expect(actual.iterations).toBe(5);
    expect(actual.moments).toHaveLength(2 * SHAPES.length);
    actual.values.forEach((v, k) => expect({ k, v: Array.from(v) }).toEqual({ k, v: Array.from(expected.values[k]) }));
    actual.moments.forEach((m, k) => expect({ k, m: Array.from(m) }).toEqual({ k, m: Array.from(expected.moments[k]) }));
    // The steps moved the weights, so the comparison means something.
    const initial = Math.sin(0.7 * 3 + 4);
    expect(Math.abs(actual.values[4][3] - initial)).toBeGreaterThan(1e-3);
  });

  it('agrees with the cpu backend\'s stock Adam, and is stock Adam on backends without the kernel', async () => {
    const cpu = await train('cpu', stock);
    const wasm = await train('wasm', fused);
    wasm.values.forEach((v, k) => v.forEach((x, i) => expect(Math.abs(x - cpu.values[k][i])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(cpu.values[k][i])))));
    const spy = jest.spyOn(tf.engine(), 'runKernel');
    const cpuFused = await train('cpu', fused);
    expect(spy.mock.calls.some(([name]) => name === 'MmfuseAdamStep')).toBe(false);
    spy.mockRestore();
    cpuFused.values.forEach((v, k) => expect(Array.from(v)).toEqual(Array.from(cpu.values[k])));
  });
});
