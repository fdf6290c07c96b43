import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { certifyLargestEigenvalue, provesEigenvaluesBelow, SymmetricFamily } from './eigenvalue-certificate';
import { createRng, normal } from './random';

const randomArray = (size: number, seed: number): Float64Array => {
  const rng = createRng(seed);
  return Float64Array.from({ length: size }, () => normal(rng));
};

/** BᵀB for a random m × n Gaussian matrix B (PSD), row-major, and its largest eigenvalue by ml-matrix's symmetric EVD. */
function randomGram(n: number, m: number, seed: number): { matrix: Float64Array; largest: number } {
  const b = randomArray(m * n, seed);
  const matrix = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let r = 0; r < m; r++) matrix[i * n + j] += b[r * n + i] * b[r * n + j];
  return { matrix, largest: largestEigenvalue(matrix, n) };
}

function largestEigenvalue(matrix: Float64Array, n: number): number {
  const rows = Array.from({ length: n }, (_, i) => Array.from(matrix.subarray(i * n, (i + 1) * n)));
  return Math.max(...new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: true }).realEigenvalues);
}

const single = (matrix: Float64Array, n: number): SymmetricFamily => ({ count: 1, size: n, build: (_f, out) => out.set(matrix) });

describe('a Cholesky factorisation of μI − S', () => {
  it.each([3, 17, 60])('proves λ_max(S) < μ just above it and refuses just below (n = %i)', (n) => {
    const { matrix, largest } = randomGram(n, n + 2, n);
    expect(provesEigenvaluesBelow(matrix, n, largest * (1 + 1e-9))).toBe(true);
    expect(provesEigenvaluesBelow(matrix, n, largest * (1 - 1e-9))).toBe(false);
  });

  it('refuses a matrix with a non-finite entry', () => {
    expect(provesEigenvaluesBelow(Float64Array.from([1, NaN, NaN, 1]), 2, 10)).toBe(false);
  });
});

describe('the certified largest eigenvalue', () => {
  it.each([
    [5, 1],
    [40, 2],
    [120, 3],
  ])('brackets λ_max of a random n × n Gram matrix within 0.1 %% (n = %i, seed %i)', (n, seed) => {
    const { matrix, largest } = randomGram(n, 3 * n, seed);
    const certificate = certifyLargestEigenvalue(single(matrix, n), { seed });
    expect(certificate.upper).toBeGreaterThanOrEqual(largest);
    expect(certificate.lower).toBeLessThanOrEqual(largest * (1 + 1e-12));
    expect(certificate.upper).toBeLessThanOrEqual(largest * (1 + 1e-3) * (1 + 1e-12));
  });

  it('stays above λ_max when power iteration is cut short on a nearly double top eigenvalue', () => {
    // Q diag(1, 0.999, 0.5, …) Qᵀ with Q from a Householder reflection: power iteration separates the top two only slowly.
    const n = 30;
    const v = randomArray(n, 9);
    const norm2 = v.reduce((s, x) => s + x * x, 0);
    const spectrum = Array.from({ length: n }, (_, i) => (i === 0 ? 1 : i === 1 ? 0.999 : 0.5 * (1 - i / n)));
    const q = (i: number, j: number) => (i === j ? 1 : 0) - (2 * v[i] * v[j]) / norm2;
    const matrix = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) matrix[i * n + j] += q(i, k) * spectrum[k] * q(j, k);
    const certificate = certifyLargestEigenvalue(single(matrix, n), { iterations: 1, refinementIterations: 1, refined: 0 });
    expect(certificate.upper).toBeGreaterThanOrEqual(1);
    expect(certificate.factorisations).toBeGreaterThan(1);
  });

  it('bounds the largest eigenvalue over a family and names the member that holds it', () => {
    const members = [0, 1, 2, 3].map((i) => randomGram(12, 6 + 4 * i, 20 + i));
    const family: SymmetricFamily = { count: members.length, size: 12, build: (f, out) => out.set(members[f].matrix) };
    const largest = members.map((m) => m.largest);
    const top = Math.max(...largest);
    const certificate = certifyLargestEigenvalue(family);
    expect(certificate.upper).toBeGreaterThanOrEqual(top);
    expect(certificate.upper).toBeLessThanOrEqual(top * (1 + 1e-3) * (1 + 1e-12));
    expect(certificate.argmax).toBe(largest.indexOf(top));
    expect(certificate.factorisations).toBeGreaterThanOrEqual(members.length);
  });

  it('is zero-ish for the zero matrix and infinite for a non-finite one', () => {
    expect(certifyLargestEigenvalue(single(new Float64Array(9), 3)).upper).toBeLessThan(1e-300);
    expect(certifyLargestEigenvalue(single(Float64Array.from([1, Infinity, Infinity, 1]), 2)).upper).toBe(Infinity);
  });
});
