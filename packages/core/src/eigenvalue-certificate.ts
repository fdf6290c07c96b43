import { createRng, normal, Rng } from './random';

/** Unit roundoff of float64. */
const UNIT_ROUNDOFF = 2 ** -53;

/** γ_n = n·u/(1 − n·u): bounds the relative error of a sum or product of n float64 terms (Higham, §3.1). */
export function gamma(n: number): number {
  const nu = n * UNIT_ROUNDOFF;
  if (!(nu < 0.5)) throw new RangeError(`rounding bound γ_${n} is too large to be useful`);
  return nu / (1 - nu);
}

/**
 * Real symmetric matrices of one size, built one at a time on demand (row-major, `size × size`),
 * e.g. one per frequency of a convolution's symbol.
 */
export interface SymmetricFamily {
  readonly count: number;
  readonly size: number;
  build(member: number, out: Float64Array): void;
}

export interface EigenvalueCertificate {
  /** Every member's largest eigenvalue is below this (proved by a Cholesky factorisation per member). */
  readonly upper: number;
  /** The largest Rayleigh quotient found: some member has an eigenvalue at least this large. */
  readonly lower: number;
  /** The member that gave `lower`. */
  readonly argmax: number;
  /** Cholesky factorisations run (one per member, one more per failed try). */
  readonly factorisations: number;
}

export interface CertifyOptions {
  /** The first try asks for upper = lower·(1 + relativeGap); each failure doubles the step. */
  relativeGap?: number;
  /** Power iterations per member for a first Rayleigh quotient. */
  iterations?: number;
  /** Power iterations for the `refined` members with the largest first quotients (four times more on a member that fails). */
  refinementIterations?: number;
  refined?: number;
  seed?: number;
}

/**
 * A rigorous upper bound of the largest eigenvalue over a family of symmetric matrices S_f, and a
 * lower companion. Power iteration gives Rayleigh quotients ρ_f ≤ λ_max(S_f), hence L = max_f ρ_f;
 * then μ = L(1 + gap) is proved to exceed every λ_max(S_f) by a Cholesky factorisation of
 * μI − S_f per member, which runs to completion only for a positive definite matrix (with Rump's
 * shift for rounding, see `provesEigenvaluesBelow`). A member that fails gets more power
 * iterations and μ a larger step, until every member passes. Nothing assumes that an iteration
 * has converged: convergence only makes μ tight.
 */
export function certifyLargestEigenvalue(family: SymmetricFamily, options: CertifyOptions = {}): EigenvalueCertificate {
  const relativeGap = options.relativeGap ?? 1e-3;
  const iterations = options.iterations ?? 8;
  const n = family.size;
  // A step costs n² against n³/3 for a factorisation: worth it for a tight start.
  const refinementIterations = options.refinementIterations ?? Math.max(64, n);
  const matrix = new Float64Array(n * n);
  const work = new Float64Array(n * n);
  const rng = createRng(options.seed ?? 0);
  const estimates = new Float64Array(family.count);
  for (let f = 0; f < family.count; f++) {
    family.build(f, matrix);
    if (!allFinite(matrix)) return { upper: Infinity, lower: NaN, argmax: f, factorisations: 0 };
    estimates[f] = rayleighQuotient(matrix, n, iterations, rng);
  }
  // Likely maxima first: their quotients are refined, and a failure there raises μ before the many easy members are tested.
  const order = Array.from(estimates.keys()).sort((a, b) => estimates[b] - estimates[a]);
  for (const f of order.slice(0, options.refined ?? 4)) {
    family.build(f, matrix);
    estimates[f] = Math.max(estimates[f], rayleighQuotient(matrix, n, refinementIterations, rng));
  }
  let argmax = order[0] ?? 0;
  for (const f of order) if (estimates[f] > estimates[argmax]) argmax = f;
  let lower = Math.max(estimates[argmax] ?? 0, 0);
  // A zero family has λ_max = 0; any positive μ passes.
  let upper = lower > 0 ? lower * (1 + relativeGap) : Number.MIN_VALUE;
  let step = relativeGap;
  let factorisations = 0;
  for (const f of order) {
    family.build(f, matrix);
    let more = refinementIterations;
    for (;;) {
      factorisations++;
      if (provesEigenvaluesBelow(matrix, n, upper, work)) break;
      more *= 4;
      const refined = rayleighQuotient(matrix, n, more, rng);
      if (refined > lower) [lower, argmax] = [refined, f];
      step *= 2;
      upper = Math.max(upper > 0 ? upper * (1 + step) : Number.MIN_VALUE, lower * (1 + relativeGap));
    }
  }
  return { upper, lower, argmax, factorisations };
}

/**
 * A rigorous upper bound of σ_max(A) from G, A's smaller Gram matrix (`size` × `size`) formed in
 * float64 from inner products of at most `terms` terms: those are off by at most γ_terms·(|A|ᵀ|A|)
 * entrywise, of spectral norm ≤ γ_terms·‖A‖_F² (Higham, §3.1), so by Weyl
 * σ_max² ≤ λ_max(G) + γ_terms·tr G, with λ_max(G) proved by `certifyLargestEigenvalue`. The factor
 * 2 on the rounding term covers tr G's own rounding; 2⁻⁴⁰ the square root's.
 */
export function spectralNormFromGram(gram: Float64Array, size: number, terms: number): number {
  let trace = 0;
  for (let p = 0; p < size; p++) trace += gram[p * size + p];
  const certificate = certifyLargestEigenvalue({ count: 1, size, build: (_f, out) => out.set(gram) });
  return Math.sqrt(certificate.upper + 2 * gamma(terms) * trace) * (1 + 2 ** -40);
}

/**
 * True only if every eigenvalue of the symmetric `matrix` is below μ. Rump (2006, "Verification of
 * positive definiteness", BIT 46, Thm. 2.3): if floating-point Cholesky of fl(A − cI) runs to
 * completion with c ≥ γ_{n+1}/(1 − γ_{n+1})·tr(A) + 4n(2(n+1) + max a_ii)·η (η the smallest
 * subnormal), A is positive definite. Here A = μI − S; c is doubled to cover rounding in forming
 * μ − c − s_ii.
 */
export function provesEigenvaluesBelow(matrix: Float64Array, n: number, mu: number, work: Float64Array = new Float64Array(n * n)): boolean {
  let trace = 0;
  let largestDiagonal = 0;
  for (let i = 0; i < n; i++) {
    const a = Math.abs(mu - matrix[i * n + i]);
    trace += a;
    largestDiagonal = Math.max(largestDiagonal, a);
  }
  const g = gamma(n + 1);
  const shift = 2 * ((g / (1 - g)) * trace * (1 + gamma(n)) + 4 * n * (2 * (n + 1) + largestDiagonal) * Number.MIN_VALUE);
  const target = mu - shift;
  for (let j = 0; j < n; j++) {
    const rowJ = j * n;
    let pivot = target - matrix[rowJ + j];
    for (let k = 0; k < j; k++) pivot -= work[rowJ + k] * work[rowJ + k];
    if (!(pivot > 0)) return false;
    const diagonal = Math.sqrt(pivot);
    work[rowJ + j] = diagonal;
    for (let i = j + 1; i < n; i++) {
      const rowI = i * n;
      let sum = -matrix[rowI + j];
      for (let k = 0; k < j; k++) sum -= work[rowI + k] * work[rowJ + k];
      work[rowI + j] = sum / diagonal;
    }
  }
  return true;
}

function allFinite(values: Float64Array): boolean {
  let sum = 0;
  // NaN or ±Infinity anywhere makes the sum of |x| non-finite; so can overflow, which no bound survives either.
  for (let i = 0; i < values.length; i++) sum += Math.abs(values[i]);
  return Number.isFinite(sum);
}

/** vᵀSv for a unit v after `iterations` steps of power iteration from a Gaussian start: ≤ λ_max(S). */
function rayleighQuotient(matrix: Float64Array, n: number, iterations: number, rng: Rng): number {
  let v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = normal(rng);
  let w = new Float64Array(n);
  let value = 0;
  for (let t = 0; t <= iterations; t++) {
    let norm = 0;
    for (let i = 0; i < n; i++) norm += v[i] * v[i];
    norm = Math.sqrt(norm);
    if (norm === 0) return value;
    let quotient = 0;
    for (let i = 0; i < n; i++) {
      const row = i * n;
      let sum = 0;
      for (let j = 0; j < n; j++) sum += matrix[row + j] * v[j];
      w[i] = sum / norm;
      quotient += (v[i] / norm) * w[i];
    }
    value = Math.max(value, quotient);
    [v, w] = [w, v];
  }
  return value;
}
