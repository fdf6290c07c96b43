import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { fitKernelPca, KernelPcaModel, MAX_DEFAULT_COMPONENTS, medianHeuristicGamma } from './kernel-pca';
import { column, correlation, gaussianRows, gaussianStream, maxAbs, maxAbsDifference } from './testing/random-data';

/** Signs of kPCA components are arbitrary: the flips (±1 per component) that make `candidate` agree with `reference`. */
function signFlips(reference: ArrayLike<number>, candidate: ArrayLike<number>, k: number): number[] {
  return Array.from({ length: k }, (_, c) => {
    let agreement = 0;
    for (let i = c; i < reference.length; i += k) agreement += reference[i] * candidate[i];
    return agreement < 0 ? -1 : 1;
  });
}

function flipped(values: ArrayLike<number>, flips: number[]): Float64Array {
  const k = flips.length;
  return Float64Array.from(values, (v, i) => v * flips[i % k]);
}

/** Population variance and mean of one column. */
function moments(values: Float64Array): { mean: number; variance: number } {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  return { mean, variance: values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length };
}

describe('fitKernelPca', () => {
  it('matches a direct computation (K, H K H, eigenvectors, Schölkopf test centring) on a tiny problem', () => {
    const normal = gaussianStream(11);
    const x = Array.from({ length: 7 }, () => [normal(), normal()]);
    const y = Array.from({ length: 4 }, () => [normal() * 1.5, normal() * 1.5]);
    const gamma = 0.7;
    const k = 3;
    const rbf = (p: number[], q: number[]) => Math.exp(-gamma * ((p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2));
    const n = x.length;
    const m = y.length;
    const kernel = new Matrix(x.map((p) => x.map((q) => rbf(p, q))));
    const ones = Matrix.ones(n, n).div(n);
    const h = Matrix.eye(n).sub(ones);
    const centred = h.mmul(kernel).mmul(h);
    const eig = new EigenvalueDecomposition(centred, { assumeSymmetric: true });
    const order = eig.realEigenvalues.map((_, i) => i).sort((i, j) => eig.realEigenvalues[j] - eig.realEigenvalues[i]);
    const alphas = new Matrix(n, k);
    for (let c = 0; c < k; c++) {
      const lambda = eig.realEigenvalues[order[c]];
      for (let i = 0; i < n; i++) alphas.set(i, c, eig.eigenvectorMatrix.get(i, order[c]) / Math.sqrt(lambda));
    }
    const expectedTrain = centred.mmul(alphas);
    // K̃_y = K_y − 1'_m K − K_y 1_n + 1'_m K 1_n with 1_n = 11ᵀ/n (n × n), 1'_m = 11ᵀ/n (m × n).
    const testKernel = new Matrix(y.map((p) => x.map((q) => rbf(p, q))));
    const onesTest = Matrix.ones(m, n).div(n);
    const centredTest = testKernel.sub(onesTest.mmul(kernel)).sub(testKernel.mmul(ones)).add(onesTest.mmul(kernel).mmul(ones));
    const expectedTest = centredTest.mmul(alphas);

    for (const solver of ['dense', 'block-lanczos'] as const) {
      const model = fitKernelPca(x, { gamma, components: k, solver });
      expect(model.components).toBe(k);
      for (let c = 0; c < k; c++) expect(model.eigenvalues[c]).toBeCloseTo(eig.realEigenvalues[order[c]], 10);
      const train = Float64Array.from(expectedTrain.to1DArray());
      const test = Float64Array.from(expectedTest.to1DArray());
      const flips = signFlips(train, model.trainingProjections, k);
      expect(maxAbsDifference(train, flipped(model.trainingProjections, flips))).toBeLessThan(1e-9);
      expect(maxAbsDifference(train, flipped(model.transform(x), flips))).toBeLessThan(1e-9);
      expect(maxAbsDifference(test, flipped(model.transform(y), flips))).toBeLessThan(1e-9);
    }
  });

  it('reduces to linear PCA for points on a line with a tiny gamma: projections ∝ centred coordinates', () => {
    // exp(−γ‖x − y‖²) ≈ 1 − γ‖x‖² − γ‖y‖² + 2γ xᵀy; centring removes the first three terms, so
    // K_c ≈ 2γ H X Xᵀ H: one component with eigenvalue 2γ Σ (t_i − t̄)² and projections √(2γ)(t_i − t̄).
    const normal = gaussianStream(3);
    const direction = [1, -2, 2].map((v) => v / 3);
    const t = Array.from({ length: 40 }, () => normal());
    const x = t.map((ti) => direction.map((u) => 5 + ti * u));
    const gamma = 1e-4;
    const model = fitKernelPca(x, { gamma });
    const tMean = t.reduce((s, v) => s + v, 0) / t.length;
    const centred = t.map((v) => v - tMean);
    const first = column(model.trainingProjections, model.components, 0);
    expect(Math.abs(correlation(first, centred))).toBeGreaterThan(0.999);
    const sumSquares = centred.reduce((s, v) => s + v * v, 0);
    expect(model.eigenvalues[0] / (2 * gamma * sumSquares)).toBeCloseTo(1, 3);
    const sign = Math.sign(correlation(first, centred));
    const scaleFactor = Math.sqrt(2 * gamma);
    // Second-order terms are O(γ‖x − y‖²) ≈ 1e-3 relative here.
    const expected = centred.map((v) => sign * scaleFactor * v);
    expect(maxAbsDifference(first, expected)).toBeLessThan(2e-3 * maxAbs(expected));
    // The rest of the variance is second order in γ, so one component reaches 95 %.
    expect(model.components).toBe(1);
  });

  it.each(['dense', 'block-lanczos'] as const)(
    'with the %s solver: descending positive eigenvalues, projections of mean 0 and variance λ/n, transform(X) = training projections',
    (solver) => {
      const x = gaussianRows(120, 3, 5);
      const model = fitKernelPca(x, { solver, components: 10 });
      const n = x.length;
      const k = model.components;
      expect(k).toBe(10);
      for (let c = 0; c < k; c++) {
        expect(model.eigenvalues[c]).toBeGreaterThan(0);
        if (c > 0) expect(model.eigenvalues[c]).toBeLessThanOrEqual(model.eigenvalues[c - 1]);
      }
      const transformed = model.transform(x);
      expect(maxAbsDifference(transformed, model.trainingProjections)).toBeLessThan(1e-9 * maxAbs(transformed));
      for (const projections of [model.trainingProjections, transformed]) {
        for (let c = 0; c < k; c++) {
          const { mean, variance } = moments(column(projections, k, c));
          expect(Math.abs(mean)).toBeLessThan(1e-9);
          expect(variance / (model.eigenvalues[c] / n)).toBeCloseTo(1, 8);
        }
      }
    },
  );

  it('gives the same components with the dense and the block Krylov solver (n = 320)', () => {
    const x = gaussianRows(320, 4, 8);
    const dense = fitKernelPca(x, { solver: 'dense' });
    const krylov = fitKernelPca(x, { solver: 'block-lanczos' });
    expect(krylov.solver).toMatchObject({ method: 'block-lanczos', converged: true });
    expect(dense.solver.method).toBe('dense');
    expect(krylov.components).toBe(dense.components);
    const k = dense.components;
    for (let c = 0; c < k; c++) expect(krylov.eigenvalues[c] / dense.eigenvalues[c]).toBeCloseTo(1, 8);
    const probe = gaussianRows(50, 4, 9);
    const a = dense.transform(probe);
    const flips = signFlips(dense.trainingProjections, krylov.trainingProjections, k);
    expect(maxAbsDifference(a, flipped(krylov.transform(probe), flips))).toBeLessThan(1e-6 * maxAbs(a));
  });

  it('separates two well-separated clusters on the first component', () => {
    const normal = gaussianStream(21);
    const left = Array.from({ length: 30 }, () => [-5 + 0.5 * normal(), 0.5 * normal()]);
    const right = Array.from({ length: 30 }, () => [5 + 0.5 * normal(), 0.5 * normal()]);
    const model = fitKernelPca([...left, ...right]);
    const first = column(model.trainingProjections, model.components, 0);
    const leftSide = Math.sign(first[0]);
    for (let i = 0; i < 30; i++) expect(Math.sign(first[i])).toBe(leftSide);
    for (let i = 30; i < 60; i++) expect(Math.sign(first[i])).toBe(-leftSide);
    // And new points from each cluster land on their cluster's side.
    const fresh = model.transform([[-5, 0.3], [5.2, -0.1]]);
    expect(Math.sign(fresh[0])).toBe(leftSide);
    expect(Math.sign(fresh[model.components])).toBe(-leftSide);
  });

  it('keeps by default the fewest components reaching 95 % of the centred kernel trace', () => {
    const x = gaussianRows(150, 2, 13);
    const model = fitKernelPca(x, { solver: 'dense' });
    // Independent reference: all eigenvalues of H K H by ml-matrix, K built here.
    const n = x.length;
    const gamma = model.gamma;
    const kernel = new Matrix(x.map((p) => x.map((q) => Math.exp(-gamma * ((p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2)))));
    const h = Matrix.eye(n).sub(Matrix.ones(n, n).div(n));
    const all = new EigenvalueDecomposition(h.mmul(kernel).mmul(h), { assumeSymmetric: true }).realEigenvalues.sort((p, q) => q - p);
    const total = all.reduce((s, v) => s + v, 0);
    let expected = 0;
    for (let cumulative = 0; cumulative < 0.95 * total; expected++) cumulative += all[expected];
    expect(model.components).toBe(expected);
    expect(model.totalVariance).toBeCloseTo(total, 8);
    expect(model.explainedVarianceRatio).toBeGreaterThanOrEqual(0.95);
    const without = model.eigenvalues.slice(0, -1).reduce((s, v) => s + v, 0);
    expect(without).toBeLessThan(0.95 * total);
  });

  it('caps the default component count at 32 and at n − 1', () => {
    // A narrow kernel spreads variance over many components.
    expect(fitKernelPca(gaussianRows(200, 6, 4), { solver: 'dense' }).components).toBe(MAX_DEFAULT_COMPONENTS);
    const few = gaussianRows(5, 6, 4);
    expect(fitKernelPca(few, { gamma: 10 }).components).toBe(4);
    expect(fitKernelPca(few, { gamma: 10, components: 9 }).components).toBe(4);
  });

  it('sets gamma by the median heuristic: 1 / median pairwise squared distance', () => {
    const x = gaussianRows(20, 3, 17);
    const distances: number[] = [];
    for (let i = 0; i < x.length; i++) {
      for (let j = 0; j < i; j++) distances.push(x[i].reduce((s, v, l) => s + (v - x[j][l]) ** 2, 0));
    }
    distances.sort((p, q) => p - q);
    const median = (distances[94] + distances[95]) / 2; // 190 pairs
    expect(fitKernelPca(x).gamma).toBeCloseTo(1 / median, 12);
    expect(medianHeuristicGamma(Float64Array.from(x.flat()), 20, 3)).toBeCloseTo(1 / median, 12);
    // Above 1,000 pairs it samples, reproducibly, and stays close to the full median.
    const many = gaussianRows(300, 3, 18);
    const flat = Float64Array.from(many.flat());
    const sampled = medianHeuristicGamma(flat, 300, 3, 0);
    expect(medianHeuristicGamma(flat, 300, 3, 0)).toBe(sampled);
    const all: number[] = [];
    for (let i = 0; i < 300; i++) for (let j = 0; j < i; j++) all.push(many[i].reduce((s, v, l) => s + (v - many[j][l]) ** 2, 0));
    all.sort((p, q) => p - q);
    expect(sampled * all[all.length >> 1]).toBeGreaterThan(0.85);
    expect(sampled * all[all.length >> 1]).toBeLessThan(1.15);
  });

  it('fits at most maxFit points, chosen reproducibly by the seed', () => {
    const x = gaussianRows(60, 2, 19);
    const a = fitKernelPca(x, { maxFit: 25, components: 3 });
    const b = fitKernelPca(x, { maxFit: 25, components: 3 });
    const c = fitKernelPca(x, { maxFit: 25, components: 3, seed: 1 });
    expect(a.fitIndices).toHaveLength(25);
    expect(new Set(a.fitIndices).size).toBe(25);
    for (let i = 1; i < 25; i++) expect(a.fitIndices[i]).toBeGreaterThan(a.fitIndices[i - 1]);
    expect(Array.from(b.fitIndices)).toEqual(Array.from(a.fitIndices));
    expect(Array.from(c.fitIndices)).not.toEqual(Array.from(a.fitIndices));
    expect(a.trainingProjections).toHaveLength(25 * 3);
    const fitted = Array.from(a.fitIndices, (i) => x[i]);
    expect(maxAbsDifference(a.transform(fitted), a.trainingProjections)).toBeLessThan(1e-10);
    expect(a.transform(x)).toHaveLength(60 * 3);
  });

  it('measures the reconstruction error in feature space, which grows far from the data', () => {
    const x = gaussianRows(80, 2, 23);
    const model = fitKernelPca(x, { components: 4 });
    expect(maxAbsDifference(model.residuals(x), model.trainingResiduals)).toBeLessThan(1e-10);
    // Residual + captured energy = ‖φ(x) − φ̄‖², the centred kernel's diagonal.
    const gamma = model.gamma;
    const n = x.length;
    const kernel = x.map((p) => x.map((q) => Math.exp(-gamma * ((p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2))));
    const rowMeans = kernel.map((row) => row.reduce((s, v) => s + v, 0) / n);
    const grand = rowMeans.reduce((s, v) => s + v, 0) / n;
    for (let i = 0; i < n; i++) {
      let captured = 0;
      for (let c = 0; c < 4; c++) captured += model.trainingProjections[i * 4 + c] ** 2;
      expect(model.trainingResiduals[i] + captured).toBeCloseTo(1 - 2 * rowMeans[i] + grand, 10);
    }
    const far = model.project([[40, 40]]);
    expect(far.residuals[0]).toBeCloseTo(1 + grand - far.projections.reduce((s, v) => s + v * v, 0), 10);
    expect(far.residuals[0]).toBeGreaterThan(Math.max(...model.trainingResiduals));
  });

  it('accepts a flat row-major matrix and rejects malformed input', () => {
    const x = gaussianRows(30, 2, 29);
    const flat = { rows: 30, cols: 2, data: Float64Array.from(x.flat()) };
    const fromRows: KernelPcaModel = fitKernelPca(x, { components: 3 });
    const fromFlat = fitKernelPca(flat, { components: 3 });
    expect(Array.from(fromFlat.transform(flat))).toEqual(Array.from(fromRows.transform(x)));
    expect(() => fitKernelPca([[1, 2]])).toThrow(/at least 2 points/);
    expect(() => fitKernelPca([[1, 2], [3, NaN]])).toThrow(/NaN/);
    expect(() => fitKernelPca([[1, 2], [3]])).toThrow(/row 1 has 1 columns/);
    expect(() => fitKernelPca([[1, 2], [1, 2], [1, 2]])).toThrow(/coincide/);
    expect(() => fromRows.transform([[1, 2, 3]])).toThrow(/fitted on 2/);
    expect(() => fitKernelPca(x, { components: 0 })).toThrow(/positive integer/);
  });
});
