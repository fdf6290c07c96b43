import { EigenvalueDecomposition, Matrix, QrDecomposition } from 'ml-matrix';
import { leadingEigenpairs } from './symmetric-eigen';
import { gaussianStream } from './testing/random-data';

/** A random orthogonal n × n matrix (QR of a Gaussian matrix, by ml-matrix). */
function randomOrthogonal(n: number, seed: number): Matrix {
  const normal = gaussianStream(seed);
  const gaussian = new Matrix(Array.from({ length: n }, () => Array.from({ length: n }, () => normal())));
  return new QrDecomposition(gaussian).orthogonalMatrix;
}

/** Q diag(spectrum) Qᵀ as a flat row-major array. */
function withSpectrum(spectrum: number[], seed: number): Float64Array {
  const n = spectrum.length;
  const q = randomOrthogonal(n, seed);
  const product = q.mmul(Matrix.diag(spectrum)).mmul(q.transpose());
  const symmetric = product.add(product.transpose()).div(2);
  return Float64Array.from(symmetric.to1DArray());
}

/** ‖A v − λ v‖ for each returned pair. */
function residuals(a: Float64Array, n: number, values: Float64Array, vectors: Float64Array): number[] {
  return Array.from(values, (lambda, r) => {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      let av = 0;
      for (let j = 0; j < n; j++) av += a[i * n + j] * vectors[r * n + j];
      sum += (av - lambda * vectors[r * n + i]) ** 2;
    }
    return Math.sqrt(sum);
  });
}

describe('leadingEigenpairs', () => {
  it('finds the largest eigenpairs of a random symmetric matrix like a full ml-matrix decomposition', () => {
    const n = 90;
    const normal = gaussianStream(2);
    const g = new Matrix(Array.from({ length: n }, () => Array.from({ length: n }, () => normal())));
    const a = g.add(g.transpose()).div(2);
    const reference = new EigenvalueDecomposition(a, { assumeSymmetric: true }).realEigenvalues.sort((p, q) => q - p);
    const flat = Float64Array.from(a.to1DArray());
    for (const solver of ['dense', 'block-lanczos'] as const) {
      const { values, vectors, report } = leadingEigenpairs(flat, n, 6, { solver });
      expect(report.converged).toBe(true);
      for (let r = 0; r < 6; r++) expect(values[r]).toBeCloseTo(reference[r], 8);
      for (const residual of residuals(flat, n, values, vectors)) expect(residual).toBeLessThan(1e-7);
    }
  });

  it('finds every wanted copy of an eigenvalue repeated up to the block size (8 by default)', () => {
    // 5 (×7), 4 (×7), then a small non-zero tail: asking for 10 must give 5 ×7 and 4 ×3.
    const tail = Array.from({ length: 66 }, (_, i) => 0.01 * (1 + i / 66));
    const spectrum = [...Array(7).fill(5), ...Array(7).fill(4), ...tail];
    const n = spectrum.length;
    const a = withSpectrum(spectrum, 4);
    const { values, vectors, report } = leadingEigenpairs(a, n, 10, { solver: 'block-lanczos' });
    expect(report.converged).toBe(true);
    expect(Array.from(values, (v) => Math.round(v * 1e8) / 1e8)).toEqual([5, 5, 5, 5, 5, 5, 5, 4, 4, 4]);
    for (const residual of residuals(a, n, values, vectors)) expect(residual).toBeLessThan(1e-7);
    // The seven eigenvectors for 5 are orthonormal.
    for (let r = 0; r < 7; r++) {
      for (let s = 0; s <= r; s++) {
        let inner = 0;
        for (let i = 0; i < n; i++) inner += vectors[r * n + i] * vectors[s * n + i];
        expect(inner).toBeCloseTo(r === s ? 1 : 0, 10);
      }
    }
  });

  it('finds a 12-fold eigenvalue in full with a block of 12', () => {
    const tail = Array.from({ length: 68 }, (_, i) => 0.5 * (1 - i / 68));
    const spectrum = [...Array(12).fill(3), ...tail];
    const a = withSpectrum(spectrum, 5);
    const { values, report } = leadingEigenpairs(a, 80, 13, { solver: 'block-lanczos', blockSize: 12 });
    expect(report.converged).toBe(true);
    for (let r = 0; r < 12; r++) expect(values[r]).toBeCloseTo(3, 9);
    expect(values[12]).toBeCloseTo(0.5, 9);
  });

  it('handles an exactly low-rank matrix, where the Krylov space closes and is restarted with random vectors (rank 3, asking for 5)', () => {
    const spectrum = [3, 2, 1, ...Array(47).fill(0)];
    const a = withSpectrum(spectrum, 6);
    const { values, report } = leadingEigenpairs(a, 50, 5, { solver: 'block-lanczos' });
    expect(report.converged).toBe(true);
    expect(values[0]).toBeCloseTo(3, 10);
    expect(values[1]).toBeCloseTo(2, 10);
    expect(values[2]).toBeCloseTo(1, 10);
    expect(Math.abs(values[3])).toBeLessThan(1e-10);
    expect(Math.abs(values[4])).toBeLessThan(1e-10);
  });

  it('returns the algebraically largest eigenvalues of an indefinite matrix', () => {
    const spectrum = [-10, -9, 2, 1.5, 1, 0.5, ...Array.from({ length: 34 }, (_, i) => -i / 40)];
    const a = withSpectrum(spectrum, 8);
    for (const solver of ['dense', 'block-lanczos'] as const) {
      const { values } = leadingEigenpairs(a, 40, 3, { solver });
      expect(values[0]).toBeCloseTo(2, 9);
      expect(values[1]).toBeCloseTo(1.5, 9);
      expect(values[2]).toBeCloseTo(1, 9);
    }
  });
});
