import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../select-backend';
import { filled, maxRelativeError } from './conformance-cases';

async function onBoth<T>(compute: () => T): Promise<Record<'cpu' | 'wasm', T>> {
  const out = {} as Record<'cpu' | 'wasm', T>;
  for (const name of ['cpu', 'wasm'] as const) {
    await initBackend(name);
    out[name] = compute();
  }
  return out;
}

describe('wasm Sum (leading axes in one pass, others stock)', () => {
  const cases: Array<[number[], number[], boolean]> = [
    [[4, 5, 6, 7], [0, 1, 2], false],
    [[4, 5, 6, 7], [0], true],
    [[3, 9], [0], false],
    [[4, 5, 6, 7], [1, 2], false],
    [[4, 5, 6, 7], [3], false],
    [[4, 5, 6, 7], [0, 1, 2, 3], false],
    [[2, 3, 4], [0, 2], true],
    // Rows in blocks of eight and a remainder.
    [[3, 5, 6], [0, 1], false],
    [[1, 17, 3], [0, 1], true],
  ];
  it.each(cases)('sums %j over axes %j (keepDims %s) as the cpu backend does', async (shape, axes, keepDims) => {
    const results = await onBoth(() => {
      const x = tf.reshape(filled([...shape, 1, 1, 1, 1].slice(0, 4), 0.5), shape);
      const before = tf.memory().numTensors;
      const s = tf.sum(x, axes, keepDims);
      const value = { shape: s.shape, data: s.dataSync() as Float32Array };
      tf.dispose([s]);
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
      return value;
    });
    expect(results.wasm.shape).toEqual(results.cpu.shape);
    expect(maxRelativeError(results.wasm.data, results.cpu.data)).toBeLessThan(1e-5);
  });

  it('gives the bias gradient of a convolution', async () => {
    const results = await onBoth(() => {
      const x = filled([3, 8, 8, 4], 0.1);
      const b = tf.variable(tf.zeros([4]));
      const g = tf.variableGrads(() => tf.sum(tf.square(tf.add(x, b))), [b]).grads[b.name];
      const data = g.dataSync() as Float32Array;
      tf.dispose([x, b, g]);
      return data;
    });
    expect(maxRelativeError(results.wasm, results.cpu)).toBeLessThan(1e-5);
  });
});

describe('wasm Identity and Cast (shared, not copied)', () => {
  it('returns the same values, and keeps them when the original is disposed', async () => {
    await initBackend('wasm');
    const x = tf.tensor1d([1.5, -2, 3.25]);
    const copy = tf.clone(x);
    const cast = tf.cast(x, 'float32');
    x.dispose();
    expect(Array.from(copy.dataSync())).toEqual([1.5, -2, 3.25]);
    expect(Array.from(cast.dataSync())).toEqual([1.5, -2, 3.25]);
    copy.dispose();
    expect(Array.from(cast.dataSync())).toEqual([1.5, -2, 3.25]);
    cast.dispose();
  });

  it('still converts between dtypes as the cpu backend does', async () => {
    const results = await onBoth(() => {
      const x = tf.tensor1d([1.7, -2.2, 0, 3.9]);
      const asInt = tf.cast(x, 'int32');
      const asBool = tf.cast(x, 'bool');
      const out = [Array.from(asInt.dataSync()), Array.from(asBool.dataSync())];
      tf.dispose([x, asInt, asBool]);
      return out;
    });
    expect(results.wasm).toEqual(results.cpu);
  });

  it('lets a variable be updated without changing a saved copy', async () => {
    await initBackend('wasm');
    const v = tf.variable(tf.tensor1d([1, 2]));
    const saved = tf.clone(v);
    v.assign(tf.tensor1d([5, 6]));
    expect(Array.from(saved.dataSync())).toEqual([1, 2]);
    expect(Array.from(v.dataSync())).toEqual([5, 6]);
    tf.dispose([v, saved]);
  });
});

describe('wasm Sum over leading axes accumulates in float64', () => {
  it('sums 40,001 rows of 3 columns to within one float32 rounding of the exact sum', async () => {
    await initBackend('wasm');
    const rows = 40001;
    const values = Float32Array.from({ length: rows * 3 }, (_, i) => 1000 + Math.sin(i * 0.37) * 999);
    const exact = [0, 0, 0];
    values.forEach((v, i) => (exact[i % 3] += v));
    const x = tf.tensor2d(values, [rows, 3]);
    const s = tf.sum(x, 0);
    const got = Array.from(s.dataSync());
    // A float32 running sum is off by 0.8–4.6e-6 relative here; one rounding of a float64 sum, at most 6e-8.
    got.forEach((v, c) => expect(Math.abs(v - exact[c]) / exact[c]).toBeLessThan(1.2e-7));
    tf.dispose([x, s]);
  });
});

describe('wasm Add (a layer bias through the module, others stock)', () => {
  const cases: Array<[number[], number[]]> = [
    // tiny-64's decoder output: 3 channels, rows of 3 added as whole vectors of 4.
    [[16, 64, 64, 3], [3]],
    [[4, 31, 31, 16], [16]],
    [[2, 9, 5, 7], [1, 1, 1, 7]],
    // The bias first, and a row count that leaves a remainder after blocks of four rows.
    [[5], [7, 41, 5]],
    [[33, 130], [1, 130]],
    // Not a bias along the last axis (stock kernel), and below the size where the module is used.
    [[40, 30], [40, 1]],
    [[6, 30, 30], [6, 30, 30]],
    [[4, 8], [8]],
  ];
  it.each(cases)('adds %j and %j bit for bit as the cpu backend does', async (aShape, bShape) => {
    const results = await onBoth(() => {
      const fill = (shape: number[], phase: number) => tf.tensor(Float32Array.from({ length: shape.reduce((p, d) => p * d, 1) }, (_, i) => Math.sin(i * 0.37 + phase) * 3), shape);
      const a = fill(aShape, 0.1);
      const b = fill(bShape, 0.9);
      const before = tf.memory().numTensors;
      const y = tf.add(a, b);
      const value = { shape: y.shape, data: y.dataSync() as Float32Array };
      y.dispose();
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([a, b]);
      return value;
    });
    expect(results.wasm.shape).toEqual(results.cpu.shape);
    // One float32 rounding each on both backends: the same values.
    expect(Array.from(results.wasm.data)).toEqual(Array.from(results.cpu.data));
  });

  it('adds int32 tensors through the stock kernel', async () => {
    const results = await onBoth(() => tf.add(tf.tensor2d([[1, 2], [3, 4]], undefined, 'int32'), tf.tensor1d([10, 20], 'int32')).arraySync());
    expect(results.wasm).toEqual([[11, 22], [13, 24]]);
    expect(results.cpu).toEqual(results.wasm);
  });
});
