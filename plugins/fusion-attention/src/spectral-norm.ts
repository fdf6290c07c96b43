/**
 * Float64 spectral-norm computations on small dense matrices (row-major `rows × cols`), for
 * certificates: they run on the CPU in plain JavaScript, away from float32 and from the tape.
 */

import { spectralNormFromGram } from '@mmfuse/core';

/**
 * A certified upper bound of σ_max(A): the smaller Gram matrix (AᵀA or AAᵀ, m × m, entries n-term
 * inner products) in float64, bounded by `spectralNormFromGram` (one Cholesky-proved λ_max, within
 * 0.1 %, plus the Gram's rounding): one m³/6 factorisation, where bounding λ_max by the trace of
 * repeated squares cost m³/2 per squaring and ended up to m^{1/(4n)} above σ_max.
 */
export function spectralNormUpperBound(values: ArrayLike<number>, rows: number, cols: number): number {
  const m = Math.min(rows, cols);
  const gram = smallerGram(values, rows, cols);
  let frobenius2 = 0;
  for (let i = 0; i < m; i++) frobenius2 += gram[i * m + i];
  if (frobenius2 === 0) return 0;
  // A non-finite weight bounds nothing.
  if (!Number.isFinite(frobenius2)) return Infinity;
  return spectralNormFromGram(gram, m, Math.max(rows, cols));
}

/**
 * The power-iteration estimate ‖A u_s‖ after `steps` steps u ← normalise(Aᵀ normalise(A u)) from
 * `u` (length `cols`), exactly as the fusion's spectral normalisation advances it: a lower bound of
 * σ_max(A).
 */
export function powerIterationEstimate(values: ArrayLike<number>, rows: number, cols: number, start: ArrayLike<number>, steps: number): number {
  let u: Float64Array = Float64Array.from(start);
  for (let s = 0; s < steps; s++) {
    const v = unit(multiply(values, rows, cols, u));
    const next = multiplyTransposed(values, rows, cols, v);
    if (norm(next) > 0) u = unit(next);
  }
  return norm(multiply(values, rows, cols, u));
}

function smallerGram(a: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const byColumns = cols <= rows;
  const m = byColumns ? cols : rows;
  const n = byColumns ? rows : cols;
  // entry (i, k) of the factor whose rows we take inner products of
  const at = byColumns ? (i: number, k: number) => a[k * cols + i] : (i: number, k: number) => a[i * cols + k];
  const factor = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let k = 0; k < n; k++) factor[i * n + k] = at(i, k);
  const gram = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = i; j < m; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += factor[i * n + k] * factor[j * n + k];
      gram[i * m + j] = s;
      gram[j * m + i] = s;
    }
  }
  return gram;
}

function multiply(a: ArrayLike<number>, rows: number, cols: number, x: Float64Array): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += a[r * cols + c] * x[c];
    out[r] = s;
  }
  return out;
}

function multiplyTransposed(a: ArrayLike<number>, rows: number, cols: number, y: Float64Array): Float64Array {
  const out = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const yr = y[r];
    for (let c = 0; c < cols; c++) out[c] += a[r * cols + c] * yr;
  }
  return out;
}

function norm(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s);
}

function unit(x: Float64Array): Float64Array {
  const n = norm(x);
  return n > 0 ? x.map((v) => v / n) : x;
}
