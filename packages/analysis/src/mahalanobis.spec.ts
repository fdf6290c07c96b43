import { inverse, Matrix } from 'ml-matrix';
import { fitMahalanobis } from './mahalanobis';
import { gaussianRows, gaussianStream } from './testing/random-data';

/** ±s_i e_i for each axis: mean 0 and sample covariance exactly diag(2 s_i² / (n − 1)), n = 2d. */
function axisPoints(scales: number[]): number[][] {
  const d = scales.length;
  const rows: number[][] = [];
  scales.forEach((s, i) => {
    for (const sign of [1, -1]) rows.push(Array.from({ length: d }, (_, j) => (j === i ? sign * s : 0)));
  });
  return rows;
}

describe('fitMahalanobis', () => {
  const scales = [0.5, 2, 7];
  const variances = scales.map((s) => (2 * s * s) / (2 * scales.length - 1));
  const queries = [
    [0, 0, 0],
    [1, -1, 3],
    [-0.3, 4, -10],
  ];

  it('equals √Σ (y_i − μ_i)² / σ_i² for a diagonal covariance', () => {
    const model = fitMahalanobis(axisPoints(scales), { shrinkage: 0 });
    expect(Array.from(model.mean)).toEqual([0, 0, 0]);
    expect(model.ridge).toBe(0);
    const distances = model.distance(queries);
    queries.forEach((y, q) => expect(distances[q]).toBeCloseTo(Math.sqrt(y.reduce((s, v, i) => s + (v * v) / variances[i], 0)), 12));
  });

  it('adds the ridge ε · trace/k to every variance', () => {
    const model = fitMahalanobis(axisPoints(scales), { shrinkage: 0.1 });
    const ridge = (0.1 * variances.reduce((s, v) => s + v, 0)) / 3;
    expect(model.ridge).toBeCloseTo(ridge, 14);
    const distances = model.distance(queries);
    queries.forEach((y, q) => expect(distances[q]).toBeCloseTo(Math.sqrt(y.reduce((s, v, i) => s + (v * v) / (variances[i] + ridge), 0)), 12));
  });

  it('reports the sample mean and the unbiased (n − 1) covariance', () => {
    const x = gaussianRows(40, 3, 1);
    const model = fitMahalanobis(x, { shrinkage: 0 });
    const mean = [0, 1, 2].map((j) => x.reduce((s, row) => s + row[j], 0) / 40);
    mean.forEach((m, j) => expect(model.mean[j]).toBeCloseTo(m, 12));
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 3; c++) {
        const expected = x.reduce((s, row) => s + (row[r] - mean[r]) * (row[c] - mean[c]), 0) / 39;
        expect(model.covariance[r * 3 + c]).toBeCloseTo(expected, 12);
      }
    }
  });

  it('agrees with the quadratic form through an explicit inverse', () => {
    const x = gaussianRows(60, 4, 2).map((row) => [row[0], row[0] + 0.3 * row[1], row[2] * 5, row[3] - row[2]]);
    const model = fitMahalanobis(x);
    const sigmaInverse = inverse(new Matrix(Array.from({ length: 4 }, (_, r) => Array.from(model.covariance.slice(r * 4, r * 4 + 4)))));
    const y = gaussianRows(10, 4, 3);
    const distances = model.distance(y);
    y.forEach((row, q) => {
      const centred = new Matrix([row.map((v, j) => v - model.mean[j])]);
      const form = centred.mmul(sigmaInverse).mmul(centred.transpose()).get(0, 0);
      expect(distances[q]).toBeCloseTo(Math.sqrt(form), 10);
    });
  });

  it('is invariant to an invertible affine map of the data (exactly without the ridge, to 1e-4 relative with the default ε = 1e-6)', () => {
    const x = gaussianRows(200, 4, 4);
    const y = gaussianRows(25, 4, 5, 2);
    const normal = gaussianStream(6);
    const a = Array.from({ length: 4 }, () => Array.from({ length: 4 }, () => normal()));
    const shift = [3, -1, 10, 0.5];
    const map = (rows: number[][]) => rows.map((row) => a[0].map((_, j) => shift[j] + row.reduce((s, v, i) => s + v * a[i][j], 0)));
    for (const [shrinkage, tolerance] of [
      [0, 1e-9],
      [1e-6, 1e-4],
    ]) {
      const original = fitMahalanobis(x, { shrinkage }).distance(y);
      const mapped = fitMahalanobis(map(x), { shrinkage }).distance(map(y));
      original.forEach((d, q) => expect(Math.abs(mapped[q] - d) / d).toBeLessThan(tolerance));
    }
  });

  it('needs the ridge when the points lie in a subspace', () => {
    const line = Array.from({ length: 10 }, (_, i) => [i, 2 * i]);
    expect(() => fitMahalanobis(line, { shrinkage: 0 })).toThrow(/singular/);
    const model = fitMahalanobis(line);
    // Σ = v uuᵀ + ridge·I with u = (1, 2)/√5 along the line: the ridge is the whole variance across it.
    const alongVariance = (5 * 82.5) / 9;
    expect(model.ridge).toBeCloseTo((1e-6 * alongVariance) / 2, 15);
    const [offLine, atMean] = model.distance([
      [4.5, 9 + 1e-3],
      [4.5, 9],
    ]);
    expect(atMean).toBeLessThan(1e-12);
    const across = -1e-3 / Math.sqrt(5);
    const along = 2e-3 / Math.sqrt(5);
    expect(offLine).toBeCloseTo(Math.sqrt(across ** 2 / model.ridge + along ** 2 / (alongVariance + model.ridge)), 8);
    expect(() => model.distance([[1, 2, 3]])).toThrow(/fitted on 2/);
    expect(() => fitMahalanobis([[1, 2]])).toThrow(/at least 2 points/);
  });
});
