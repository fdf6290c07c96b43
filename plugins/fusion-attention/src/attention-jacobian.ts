import type { AttentionGate, AttentionScaleTarget, AttentionScores } from './attention-fusion-options';

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
  /** Default `pairwise`; with `query-key`, `weights` are the queries Q_i and `keys` the K_i. */
  readonly scores?: AttentionScores;
  readonly keys?: readonly (readonly (readonly number[])[])[];
  /** Default `linear` (g = α). */
  readonly gate?: AttentionGate;
  /** γ of the gate (default 1). */
  readonly gain?: number;
}

export interface AttentionJacobian {
  /** f(x) = [g_1 v_1; …; g_M v_M]. */
  readonly output: number[];
  readonly coefficients: number[];
  readonly gates: number[];
  /** ∂f/∂x, (Σ d_i) × (Σ d_i), row r = output coordinate r. */
  readonly jacobian: number[][];
}

/**
 * The fusion's value and Jacobian for linear projections by Lemma 4.1, in float64:
 *   ∂f_i/∂x_j = δ_ij α_i I + x_i (∂α_i/∂x_j)ᵀ,
 *   ∂α_i/∂x_i = 1/((M−1)c) Σ_{k≠i} W_iᵀ W_k x_k,   ∂α_i/∂x_j = 1/((M−1)c) W_jᵀ W_i x_i  (j ≠ i),
 * extended by the chain rule to normalised inputs (u = N(x), J_N = (I − x̂x̂ᵀ)/‖x‖ when ‖x‖ > ε,
 * I/ε otherwise), to `scale: normalized` (f_i = α_i u_i), to query-key scores
 * (∂α_i/∂u_j = (δ_ij Q_iᵀ k̄ + K_jᵀ q_i) / (Mc)) and to gates g(α) (∂f_i/∂x_j = δ_ij g_i ∂v_i/∂x_i +
 * v_i Σ_k (∂g_i/∂α_k)(∂α_k/∂x_j)ᵀ). A reference for tests and analysis, independent of the
 * TensorFlow.js implementation and its autodiff.
 */
export function attentionJacobian(inputs: AttentionJacobianInputs): AttentionJacobian {
  const { latents, epsilon } = inputs;
  const M = latents.length;
  const sizes = latents.map((x) => x.length);
  const offsets = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
  const total = sizes.reduce((a, b) => a + b, 0);

  const norms = latents.map((x) => Math.hypot(...x));
  const u = latents.map((x, i) => (inputs.normalizeInputs ? x.map((v) => v / Math.max(norms[i], epsilon)) : [...x]));
  const v = inputs.scale === 'input' ? latents.map((x) => [...x]) : u;

  const { alpha, dAlphaDu } = scoresOf(inputs, u);

  const { gates, dGate } = gatesOf(inputs, alpha);

  // J_N(x_i) applied to a vector (symmetric, so also its transpose)
  const applyJN = (i: number, g: number[]): number[] => {
    if (!inputs.normalizeInputs) return g;
    if (norms[i] <= epsilon) return g.map((value) => value / epsilon);
    const xhat = u[i];
    const along = dot(xhat, g);
    return g.map((value, a) => (value - xhat[a] * along) / norms[i]);
  };

  const jacobian = Array.from({ length: total }, () => new Array<number>(total).fill(0));
  // ∂α_k/∂x_j for every k, j
  const dAlpha = alpha.map((_, k) => sizes.map((__, j) => applyJN(j, dAlphaDu(k, j))));
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < M; j++) {
      // ∂g_i/∂x_j = Σ_k ∂g_i/∂α_k ∂α_k/∂x_j
      const dG = new Array<number>(sizes[j]).fill(0);
      for (let k = 0; k < M; k++) {
        const weight = dGate(i, k);
        if (weight !== 0) dAlpha[k][j].forEach((value, b) => (dG[b] += weight * value));
      }
      for (let a = 0; a < sizes[i]; a++) {
        const row = jacobian[offsets[i] + a];
        for (let b = 0; b < sizes[j]; b++) row[offsets[j] + b] += v[i][a] * dG[b];
      }
    }
    // δ_ij g_i ∂v_i/∂x_i
    for (let b = 0; b < sizes[i]; b++) {
      const unitVector = new Array<number>(sizes[i]).fill(0);
      unitVector[b] = 1;
      const column = inputs.scale === 'input' ? unitVector : applyJN(i, unitVector);
      for (let a = 0; a < sizes[i]; a++) jacobian[offsets[i] + a][offsets[i] + b] += gates[i] * column[a];
    }
  }
  const output = v.flatMap((vi, i) => vi.map((value) => gates[i] * value));
  return { output, coefficients: alpha, gates, jacobian };
}

/** The attention coefficients α and ∂α_i/∂u_j (a vector of length d_j), for pairwise or query-key scores. */
function scoresOf(inputs: AttentionJacobianInputs, u: number[][]): { alpha: number[]; dAlphaDu: (i: number, j: number) => number[] } {
  const { weights } = inputs;
  const M = u.length;
  if ((inputs.scores ?? 'pairwise') === 'pairwise') {
    const factor = 1 / ((M - 1) * inputs.scoreScale);
    const p = weights.map((W, i) => W.map((row) => dot(row, u[i])));
    const alpha = p.map((pi, i) => factor * p.reduce((s, pj, j) => (j === i ? s : s + dot(pi, pj)), 0));
    const dAlphaDu = (i: number, j: number) => transposeTimes(weights[j], j === i ? sumVectors(p.filter((_, k) => k !== i)) : p[i]).map((value) => value * factor);
    return { alpha, dAlphaDu };
  }
  if (!inputs.keys) throw new Error('query-key scores need the key matrices');
  const keys = inputs.keys;
  const factor = 1 / (M * inputs.scoreScale);
  const q = weights.map((W, i) => W.map((row) => dot(row, u[i])));
  const keySum = sumVectors(keys.map((K, j) => K.map((row) => dot(row, u[j]))));
  const alpha = q.map((qi) => factor * dot(qi, keySum));
  const dAlphaDu = (i: number, j: number) => {
    const fromKey = transposeTimes(keys[j], q[i]);
    const fromQuery = j === i ? transposeTimes(weights[i], keySum) : fromKey.map(() => 0);
    return fromKey.map((value, b) => (value + fromQuery[b]) * factor);
  };
  return { alpha, dAlphaDu };
}

/** The gates g(α) and ∂g_i/∂α_k. */
function gatesOf(inputs: AttentionJacobianInputs, alpha: number[]): { gates: number[]; dGate: (i: number, k: number) => number } {
  const gain = inputs.gain ?? 1;
  const gate = inputs.gate ?? 'linear';
  const M = alpha.length;
  if (gate === 'softmax') {
    const top = Math.max(...alpha.map((a) => gain * a));
    const e = alpha.map((a) => Math.exp(gain * a - top));
    const total = e.reduce((a, b) => a + b, 0);
    const s = e.map((value) => value / total);
    const gates = s.map((si) => M * si);
    return { gates, dGate: (i: number, k: number) => M * gain * s[i] * ((i === k ? 1 : 0) - s[k]) };
  }
  const g = gate === 'linear' ? (a: number) => a : gate === 'residual' ? (a: number) => 1 + gain * a : (a: number) => Math.exp(gain * a);
  const dg = gate === 'linear' ? () => 1 : gate === 'residual' ? () => gain : (a: number) => gain * Math.exp(gain * a);
  return { gates: alpha.map(g), dGate: (i: number, k: number) => (i === k ? dg(alpha[i]) : 0) };
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
