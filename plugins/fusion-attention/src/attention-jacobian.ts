import type { AttentionScaleTarget } from './attention-fusion-options';

/** One sample and the linear projections, in float64. */
export interface AttentionJacobianInputs {
  /** W_i as k × d_i matrices (rows of length d_i): the matrices as applied (Ŵ_i with spectral norm). */
  readonly weights: readonly (readonly (readonly number[])[])[];
  /** x_i, of lengths d_i. */
  readonly latents: readonly (readonly number[])[];
  readonly normalizeInputs: boolean;
  readonly epsilon: number;
  /** c: √k when scores are scaled, else 1. */
  readonly scoreScale: number;
  readonly scale: AttentionScaleTarget;
}

export interface AttentionJacobian {
  /** f(x) = [α_1 v_1; …; α_M v_M]. */
  readonly output: number[];
  readonly coefficients: number[];
  /** ∂f/∂x, (Σ d_i) × (Σ d_i), row r = output coordinate r. */
  readonly jacobian: number[][];
}

/**
 * The fusion's value and Jacobian for linear projections by Lemma 4.1, in float64:
 *   ∂f_i/∂x_j = δ_ij α_i I + x_i (∂α_i/∂x_j)ᵀ,
 *   ∂α_i/∂x_i = 1/((M−1)c) Σ_{k≠i} W_iᵀ W_k x_k,   ∂α_i/∂x_j = 1/((M−1)c) W_jᵀ W_i x_i  (j ≠ i),
 * extended by the chain rule to normalised inputs (u = N(x), J_N = (I − x̂x̂ᵀ)/‖x‖ when ‖x‖ > ε,
 * I/ε otherwise) and to `scale: normalized` (f_i = α_i u_i). A reference for tests and analysis,
 * independent of the TensorFlow.js implementation and its autodiff.
 */
export function attentionJacobian(inputs: AttentionJacobianInputs): AttentionJacobian {
  const { weights, latents, epsilon } = inputs;
  const M = latents.length;
  const sizes = latents.map((x) => x.length);
  const offsets = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
  const total = sizes.reduce((a, b) => a + b, 0);
  const factor = 1 / ((M - 1) * inputs.scoreScale);

  const norms = latents.map((x) => Math.hypot(...x));
  const u = latents.map((x, i) => (inputs.normalizeInputs ? x.map((v) => v / Math.max(norms[i], epsilon)) : [...x]));
  const p = weights.map((W, i) => W.map((row) => dot(row, u[i])));
  const alpha = p.map((pi, i) => factor * p.reduce((s, pj, j) => (j === i ? s : s + dot(pi, pj)), 0));
  const v = inputs.scale === 'input' ? latents.map((x) => [...x]) : u;

  // J_N(x_i) applied to a vector (symmetric, so also its transpose)
  const applyJN = (i: number, g: number[]): number[] => {
    if (!inputs.normalizeInputs) return g;
    if (norms[i] <= epsilon) return g.map((value) => value / epsilon);
    const xhat = u[i];
    const along = dot(xhat, g);
    return g.map((value, a) => (value - xhat[a] * along) / norms[i]);
  };

  const jacobian = Array.from({ length: total }, () => new Array<number>(total).fill(0));
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < M; j++) {
      // ∂α_i/∂u_j, then through the normalisation of x_j
      const direction = j === i ? sumVectors(p.filter((_, k) => k !== i)) : p[i];
      const dAlpha = applyJN(j, transposeTimes(weights[j], direction).map((value) => value * factor));
      for (let a = 0; a < sizes[i]; a++) {
        const row = jacobian[offsets[i] + a];
        for (let b = 0; b < sizes[j]; b++) row[offsets[j] + b] += v[i][a] * dAlpha[b];
      }
    }
    // δ_ij α_i ∂v_i/∂x_i
    for (let b = 0; b < sizes[i]; b++) {
      const unitVector = new Array<number>(sizes[i]).fill(0);
      unitVector[b] = 1;
      const column = inputs.scale === 'input' ? unitVector : applyJN(i, unitVector);
      for (let a = 0; a < sizes[i]; a++) jacobian[offsets[i] + a][offsets[i] + b] += alpha[i] * column[a];
    }
  }
  const output = v.flatMap((vi, i) => vi.map((value) => alpha[i] * value));
  return { output, coefficients: alpha, jacobian };
}

function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function sumVectors(vectors: readonly number[][]): number[] {
  return vectors[0].map((_, a) => vectors.reduce((s, v) => s + v[a], 0));
}

/** Wᵀ y for W given by rows. */
function transposeTimes(W: readonly (readonly number[])[], y: readonly number[]): number[] {
  const out = new Array<number>(W[0].length).fill(0);
  W.forEach((row, r) => row.forEach((value, c) => (out[c] += value * y[r])));
  return out;
}
