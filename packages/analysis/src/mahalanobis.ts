import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import { MatrixInput, toDense } from './matrix-input';

export interface MahalanobisOptions {
  /**
   * ε in the ridge ε · trace(Σ)/k added to the covariance's diagonal (default 1e-6). The sample
   * covariance is singular when there are no more points than dimensions or the points lie in a
   * subspace, and nearly so when kPCA components have very different variances; the ridge keeps
   * the Cholesky factor well defined. Scaling it by the mean variance trace(Σ)/k makes it the same
   * relative perturbation whatever the units of the data, so ε = 1e-6 moves distances by about
   * 1e-6 relative unless a direction's variance is itself below ~1e-6 of the mean. 0 switches it off.
   */
  shrinkage?: number;
}

/** Cholesky pivots below this fraction of the largest variance count as zero. */
const SINGULAR_PIVOT = 1e-13;

/** A fitted Gaussian-shape reference: mean, (ridged) covariance and the distance to it. */
export interface MahalanobisModel {
  readonly dimension: number;
  readonly mean: Float64Array;
  /** The covariance actually used, ridge included (k × k, row-major); the sample covariance uses n − 1. */
  readonly covariance: Float64Array;
  /** The ridge added to the diagonal, ε · trace(S)/k. */
  readonly ridge: number;
  /** √((y − μ)ᵀ Σ⁻¹ (y − μ)) per row of y. */
  distance(y: MatrixInput): Float64Array;
}

/**
 * Fits μ and Σ = S + ε·(trace(S)/k)·I with S the unbiased sample covariance (n − 1) of the rows
 * of x, and factors Σ = L Lᵀ once (ml-matrix Cholesky). A distance is then a forward solve
 * L z = y − μ and ‖z‖, because (y − μ)ᵀ Σ⁻¹ (y − μ) = ‖L⁻¹(y − μ)‖²: O(k²) per point and no
 * explicit inverse, which would lose accuracy on an ill-conditioned Σ.
 */
export function fitMahalanobis(x: MatrixInput, options: MahalanobisOptions = {}): MahalanobisModel {
  const input = toDense(x, 'fitMahalanobis');
  const shrinkage = options.shrinkage ?? 1e-6;
  if (!(shrinkage >= 0) || !Number.isFinite(shrinkage)) throw new RangeError(`fitMahalanobis: shrinkage must be ≥ 0, got ${shrinkage}`);
  const { rows: n, cols: k, data } = input;
  if (n < 2) throw new RangeError(`fitMahalanobis: needs at least 2 points for a covariance, got ${n}`);

  const mean = new Float64Array(k);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) mean[c] += data[i * k + c];
  for (let c = 0; c < k; c++) mean[c] /= n;
  const covariance = new Float64Array(k * k);
  const centred = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) centred[c] = data[i * k + c] - mean[c];
    for (let r = 0; r < k; r++) for (let c = 0; c <= r; c++) covariance[r * k + c] += centred[r] * centred[c];
  }
  let trace = 0;
  for (let r = 0; r < k; r++) {
    for (let c = 0; c <= r; c++) {
      covariance[r * k + c] /= n - 1;
      covariance[c * k + r] = covariance[r * k + c];
    }
    trace += covariance[r * k + r];
  }
  if (!(trace > 0)) throw new RangeError('fitMahalanobis: all points coincide, the covariance is zero');
  const ridge = (shrinkage * trace) / k;
  for (let r = 0; r < k; r++) covariance[r * k + r] += ridge;

  const cholesky = new CholeskyDecomposition(Matrix.from1DArray(k, k, covariance));
  const factor = cholesky.lowerTriangularMatrix;
  const lower = new Float64Array(k * k);
  for (let r = 0; r < k; r++) for (let c = 0; c <= r; c++) lower[r * k + c] = factor.get(r, c);
  // An exactly singular Σ rarely gives an exactly zero pivot in floating point, just one of rounding
  // size (≈ 1e-16 of the variances), whose inverse would turn distances into noise.
  let largestVariance = 0;
  for (let r = 0; r < k; r++) largestVariance = Math.max(largestVariance, covariance[r * k + r]);
  let singular = !cholesky.isPositiveDefinite();
  for (let r = 0; r < k && !singular; r++) singular = !(lower[r * k + r] ** 2 > SINGULAR_PIVOT * largestVariance);
  if (singular) {
    throw new RangeError(`fitMahalanobis: the covariance is singular (${n} points in ${k} dimensions, or points in a subspace); use shrinkage > 0`);
  }

  const distance = (y: MatrixInput): Float64Array => {
    const queries = toDense(y, 'MahalanobisModel.distance');
    if (queries.cols !== k) throw new RangeError(`MahalanobisModel.distance: rows have ${queries.cols} columns, the model was fitted on ${k}`);
    const out = new Float64Array(queries.rows);
    const z = new Float64Array(k);
    for (let q = 0; q < queries.rows; q++) {
      let squared = 0;
      for (let r = 0; r < k; r++) {
        let value = queries.data[q * k + r] - mean[r];
        for (let c = 0; c < r; c++) value -= lower[r * k + c] * z[c];
        z[r] = value / lower[r * k + r];
        squared += z[r] * z[r];
      }
      out[q] = Math.sqrt(squared);
    }
    return out;
  };

  return { dimension: k, mean, covariance, ridge, distance };
}
