import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@mmfuse/backend';
import { frobeniusNorm, randomArray, spectralNorm, toRows, transpose } from '../test-support/reference';
import { DifferenceQuotientEstimator } from './difference-quotient';
import { jvp, vjp } from './jacobian-products';
import { JacobianFrobeniusEstimator } from './jacobian-frobenius';
import { JacobianSpectralEstimator } from './jacobian-spectral';
import { SharedForward } from './estimator';
import { FROBENIUS_RELATION, LipschitzResult } from './lipschitz-result';
import { functionTarget } from './lipschitz-target';
import { spectralNormBounds } from './matrix-norm-bounds';

beforeAll(async () => {
  await initBackend('cpu');
});

/** f(x) = x·W on rows, so J_f = Wᵀ everywhere: its norms are W's. */
function linear(nIn: number, nOut: number, seed: number) {
  const values = randomArray(nIn * nOut, seed);
  const w = tf.tensor2d(values, [nIn, nOut]);
  const rows = toRows(values, nIn, nOut);
  const target = functionTarget(`linear ${nIn}→${nOut}`, (x) => tf.matMul(x as tf.Tensor2D, w), [nIn]);
  return { w, rows, target, spectral: spectralNorm(rows), frobenius: frobeniusNorm(rows) };
}

const samples = (n: number, width: number, seed: number) => tf.tensor2d(randomArray(n * width, seed), [n, width]);

describe.each([
  [7, 5],
  [4, 11],
  [16, 16],
])('a linear map %i → %i', (nIn, nOut) => {
  let map: ReturnType<typeof linear>;
  let x: tf.Tensor2D;
  beforeAll(() => {
    map = linear(nIn, nOut, 100 + nIn * nOut);
    x = samples(6, nIn, 7);
  });
  afterAll(() => tf.dispose([map.w, x]));

  it('has its spectral norm found by power iteration, never above the SVD value', async () => {
    const before = tf.memory().numTensors;
    const estimator = new JacobianSpectralEstimator({ iterations: 40 });
    const result = await estimator.estimate(map.target, x, 3);
    estimator.reset();
    expect(tf.memory().numTensors).toBe(before);
    expect(result).toMatchObject({ estimator: 'jacobian-spectral', quantity: 'spectral-local', bound: 'lower', samples: 6 });
    expect(result.value).toBeCloseTo(map.spectral, 4);
    for (const v of result.perSample!) expect(v).toBeLessThanOrEqual(map.spectral * (1 + 1e-5));
  });

  it('has warm evaluations continue the power iteration, rising to the spectral norm and never above it', async () => {
    const estimator = new JacobianSpectralEstimator({ iterations: 1, warmIterations: 1, refreshEvery: 1 });
    const values: number[] = [];
    for (let call = 0; call < 30; call++) values.push((await estimator.estimate(map.target, x, 3)).value);
    estimator.reset();
    // For a fixed map each warm evaluation is one more power iteration: never worse, and converging.
    values.slice(1).forEach((v, i) => expect(v).toBeGreaterThanOrEqual(values[i] * (1 - 1e-4)));
    for (const v of values) expect(v).toBeLessThanOrEqual(map.spectral * (1 + 1e-5));
    expect(values[values.length - 1]).toBeCloseTo(map.spectral, 3);
    expect((await estimator.estimate(map.target, x, 3)).method).toMatch(/cold start/);
    // Refreshing every third warm call: the calls in between repeat the value (same map, same directions).
    const sparse = new JacobianSpectralEstimator({ iterations: 1, warmIterations: 1, refreshEvery: 3 });
    const seen: LipschitzResult[] = [];
    for (let call = 0; call < 7; call++) seen.push(await sparse.estimate(map.target, x, 3));
    sparse.reset();
    expect(seen.map((r) => /refreshed/.test(r.method))).toEqual([false, false, false, true, false, false, true]);
    expect(seen[2].value).toBeCloseTo(seen[1].value, 6);
    expect(seen[4].value).toBeGreaterThanOrEqual(seen[3].value * (1 - 1e-4));
    for (const r of seen) expect(r.value).toBeLessThanOrEqual(map.spectral * (1 + 1e-5));
  });

  it('makes up at the next warm evaluation for evaluations the time budget skipped, up to a cold start\'s iterations', async () => {
    const skipping = new JacobianSpectralEstimator({ iterations: 4, warmIterations: 1 });
    const every = new JacobianSpectralEstimator({ iterations: 4, warmIterations: 1 });
    await skipping.estimate(map.target, x, 3);
    await every.estimate(map.target, x, 3);
    skipping.skipped();
    skipping.skipped();
    for (let call = 0; call < 2; call++) await every.estimate(map.target, x, 3);
    const [caughtUp, steady] = [await skipping.estimate(map.target, x, 3), await every.estimate(map.target, x, 3)];
    // Three reverse passes after two skipped evaluations: where evaluating every time got, for a fixed map.
    expect(caughtUp.method).toMatch(/3 reverse passes per sample \(warm start/);
    expect(caughtUp.value).toBeCloseTo(steady.value, 6);
    // Then one again; and never more than a cold start's four.
    expect((await skipping.estimate(map.target, x, 3)).method).toMatch(/1 reverse pass per sample \(warm/);
    for (let k = 0; k < 9; k++) skipping.skipped();
    expect((await skipping.estimate(map.target, x, 3)).method).toMatch(/4 reverse passes per sample \(warm/);
    skipping.reset();
    every.reset();
  });

  it('forms no directions at the final evaluation, with the value it would report otherwise', async () => {
    const estimators = [new JacobianSpectralEstimator({ iterations: 4, warmIterations: 1 }), new JacobianSpectralEstimator({ iterations: 4, warmIterations: 1 })];
    for (const e of estimators) await e.estimate(map.target, x, 3);
    for (const e of estimators) e.skipped();
    estimators[1].finalEvaluation();
    const [ongoing, final] = [await estimators[0].estimate(map.target, x, 3), await estimators[1].estimate(map.target, x, 3)];
    expect(ongoing.method).toMatch(/^power iteration on JJᵀ, 2 reverse passes per sample \(warm start from the kept directions, refreshed for the next evaluation\)/);
    expect(final.method).toMatch(/^power iteration on JJᵀ, 2 reverse passes per sample \(warm start from the kept directions\);/);
    expect(final.perSample).toEqual(ongoing.perSample);
    // A new trial starts over: cold, then warm from the directions the cold call formed.
    estimators[1].reset();
    expect((await estimators[1].estimate(map.target, x, 3)).method).toMatch(/cold start from Gaussian directions/);
    expect((await estimators[1].estimate(map.target, x, 3)).method).toMatch(/warm start from the kept directions, refreshed for the next evaluation/);
    for (const e of estimators) e.reset();
  });

  it('has its Frobenius norm computed exactly from every output gradient', async () => {
    const before = tf.memory().numTensors;
    const result = await new JacobianFrobeniusEstimator({ method: 'exact' }).estimate(map.target, x, 1);
    expect(tf.memory().numTensors).toBe(before);
    // Exact, yet no bound of the l2 constant: here ‖W‖_F exceeds ‖W‖₂, the map's constant.
    expect(result).toMatchObject({ quantity: 'frobenius-local', bound: 'none', relation: expect.stringContaining(FROBENIUS_RELATION) });
    expect(map.frobenius).toBeGreaterThan(map.spectral * 1.01);
    for (const v of result.perSample!) expect(v).toBeCloseTo(map.frobenius, 4);
  });

  it('brackets the spectral norm of W from its Gram matrix', async () => {
    const before = tf.memory().numTensors;
    const bounds = await spectralNormBounds(map.w);
    expect(tf.memory().numTensors).toBe(before);
    expect(bounds.lower).toBeLessThanOrEqual(map.spectral);
    expect(bounds.upper).toBeGreaterThanOrEqual(map.spectral);
    expect(bounds.upper / map.spectral).toBeLessThan(1.003);
  });

  it('gives difference quotients below the spectral norm', async () => {
    for (const direction of ['random', 'gradient'] as const) {
      const result = await new DifferenceQuotientEstimator({ direction, pairs: 3 }).estimate(map.target, x, 5);
      expect(result.bound).toBe('lower');
      expect(result.value).toBeGreaterThan(0);
      expect(result.value).toBeLessThanOrEqual(map.spectral * (1 + 1e-3));
    }
    const between = await new DifferenceQuotientEstimator({ pairing: 'between-samples' }).estimate(map.target, x);
    expect(between.samples).toBe(15);
    expect(between.value).toBeLessThanOrEqual(map.spectral * (1 + 1e-3));
  });
});

describe('Frobenius estimates for large outputs', () => {
  it('are unbiased for ‖J‖_F² with Gaussian projections and with rescaled output subsets', async () => {
    const map = linear(6, 40, 11);
    const x = samples(1, 6, 2);
    const truth = map.frobenius ** 2;
    for (const [method, products] of [
      ['projection', 'difference'],
      ['projection', 'exact'],
      ['subset', 'exact'],
    ] as const) {
      const estimator = new JacobianFrobeniusEstimator({ method, probes: 4, products });
      const squares: number[] = [];
      for (let seed = 0; seed < 300; seed++) squares.push((await estimator.estimate(map.target, x, seed)).value ** 2);
      const mean = squares.reduce((s, v) => s + v, 0) / squares.length;
      expect(Math.abs(mean - truth) / truth).toBeLessThan(0.05);
      // Single estimates do scatter: this is an estimate, and says so.
      expect(Math.max(...squares) - Math.min(...squares)).toBeGreaterThan(0.05 * truth);
      expect((await estimator.estimate(map.target, x, 0)).bound).toBe('none');
    }
    const all = await new JacobianFrobeniusEstimator({ method: 'subset', probes: 40 }).estimate(map.target, x);
    expect(all.value).toBeCloseTo(map.frobenius, 4);
    tf.dispose([map.w, x]);
  });

  it('reuse f(x) from the spectral estimator of the same evaluation, with the same result as computing it', async () => {
    const map = linear(9, 30, 5);
    const x = samples(4, 9, 8);
    const shared = new SharedForward();
    await new JacobianSpectralEstimator().estimate(map.target, x, 1, shared);
    const kept = shared.get(map.target, x, 4)!;
    expect(Array.from(kept.dataSync())).toEqual(Array.from(map.target.apply(x).dataSync()));
    // Other rows, or fewer of them, are not served from it.
    expect(shared.get(map.target, x, 3)).toBeUndefined();
    const frobenius = new JacobianFrobeniusEstimator({ method: 'projection', probes: 2 });
    const reused = await frobenius.estimate(map.target, x, 4, shared);
    const alone = await frobenius.estimate(map.target, x, 4);
    reused.perSample!.forEach((v, b) => expect(v).toBeCloseTo(alone.perSample![b], 5));
    expect(reused.method).toMatch(/J·g by forward differences/);
    const before = tf.memory().numTensors;
    shared.dispose();
    expect(tf.memory().numTensors).toBe(before - 1);
    tf.dispose([map.w, x]);
  });

  it('choose the exact method up to exactUpTo Jacobian entries and projections above it', async () => {
    const small = linear(3, 8, 1);
    const x = samples(2, 3, 1);
    expect((await new JacobianFrobeniusEstimator({ exactUpTo: 24 }).estimate(small.target, x)).method).toMatch(/^exact/);
    expect((await new JacobianFrobeniusEstimator({ exactUpTo: 23, probes: 3 }).estimate(small.target, x)).method).toMatch(/random projection: 3 Gaussian probes/);
    tf.dispose([small.w, x]);
  });
});

describe('Jacobian products', () => {
  it('compute J v and uᵀ J per row of a non-linear function, matching central differences', () => {
    const w = tf.tensor2d(randomArray(12, 4), [4, 3]);
    const f = (x: tf.Tensor2D) => tf.tanh(tf.matMul(tf.square(x), w)) as tf.Tensor2D;
    const x = samples(3, 4, 9);
    const v = samples(3, 4, 10);
    const u = samples(3, 3, 11);
    const jv = jvp(f, x, v, 3).arraySync();
    const ujt = vjp(f, x, u).arraySync();
    const h = 1e-2;
    const plus = f(tf.add(x, tf.mul(v, h)) as tf.Tensor2D).arraySync();
    const minus = f(tf.sub(x, tf.mul(v, h)) as tf.Tensor2D).arraySync();
    jv.forEach((row, b) => row.forEach((value, j) => expect(value).toBeCloseTo((plus[b][j] - minus[b][j]) / (2 * h), 2)));
    // ⟨u, J v⟩ two ways: the VJP and JVP must be adjoint.
    const uArr = u.arraySync();
    const vArr = v.arraySync();
    for (let b = 0; b < 3; b++) {
      const left = uArr[b].reduce((s, ui, j) => s + ui * jv[b][j], 0);
      const right = vArr[b].reduce((s, vi, k) => s + vi * ujt[b][k], 0);
      expect(left).toBeCloseTo(right, 4);
    }
  });

  it('recover the exact Jacobian of a linear map', () => {
    const map = linear(5, 3, 21);
    const x = samples(5, 5, 1);
    const basis = tf.eye(5);
    const columns = jvp((t) => map.target.apply(t), x, basis, 3).arraySync();
    // Row b is J e_b = column b of J = row b of W.
    columns.forEach((row, b) => row.forEach((value, j) => expect(value).toBeCloseTo(map.rows[b][j], 5)));
    expect(transpose(map.rows)[0][1]).toBe(map.rows[1][0]);
    tf.dispose([map.w, x, basis]);
  });
});
