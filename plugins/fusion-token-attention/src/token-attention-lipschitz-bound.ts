import type { LipschitzCertificate } from '@mmfuse/core';
import { nonNegativeSpectralNormBound, spectralNormUpperBound } from '@mmfuse/fusion-attention';
import type { AppliedKernel } from './token-matrix';

/** The domain a certificate speaks of: every latent has ‖x_i‖ ≤ inputRadius. */
export interface TokenAttentionDomain {
  /** R: bound of every latent's norm; without it there is no finite constant. */
  readonly inputRadius?: number;
  /** Accepted for the common interface; the bound does not depend on it. */
  readonly minInputNorm?: number;
}

/** Float64 upper bounds of the spectral norms the bound needs, of the matrices as applied. */
export interface TokenAttentionNorms {
  /** p_i = ‖P_i‖₂ per modality. */
  readonly tokens: readonly number[];
  /** Per head: g_h = ‖Q_hᵀK_h‖₂ and w_hj = ‖V_h P_j‖₂ per modality j. */
  readonly heads: readonly { readonly scores: number; readonly values: readonly number[] }[];
  /** ‖O‖₂. */
  readonly output: number;
  /** D/H: scores are divided by √(D/H). */
  readonly headSize: number;
  readonly residual: boolean;
}

export const TOKEN_ATTENTION_CERTIFICATE_NORM = "l2, product norm over the modalities' latents (input), l2 on the concatenated output";

/**
 * Certified Lipschitz bound of the token attention on the ball domain ‖x_i‖ ≤ R (product ℓ2 norm in,
 * ℓ2 out), for the weights as they are now. Dot-product attention has no global Lipschitz
 * constant (Kim et al. 2021), so without R the value is Infinity.
 *
 * The domain is convex, so Lip = sup_z ‖J(z)‖₂ over it, and it suffices to bound ‖J(z)Δ‖ for
 * every z in the domain and direction Δ = (Δ_1, …, Δ_M), δ_j = ‖Δ_j‖. Write d for the derivative
 * along Δ at z and, for the applied matrices, p_i = ‖P_i‖, g_h = ‖Q_hᵀK_h‖ (≤ ‖Q_h‖‖K_h‖),
 * w_hj = ‖V_h P_j‖ (≤ ‖V_h‖p_j), o = ‖O‖, c = √(D/H), τ_i = p_i R ≥ ‖t_i‖, τ* = max_j τ_j.
 * Per head h (index dropped), with e_ij = t_iᵀ G t_j / c, G = Qᵀ K:
 *   ‖dt_i‖ ≤ p_i δ_i,   |de_ij| = |dt_iᵀ G t_j + t_iᵀ G dt_j| / c ≤ (g/c)(p_i δ_i τ_j + τ_i p_j δ_j),
 *   so a_j := de_ij has max_j |a_j| ≤ (g/c)(p_i τ* δ_i + τ_i max_j p_j δ_j).
 * The softmax row A = A_i· moves by dA_j = A_j (a_j − ā), ā = Σ_k A_k a_k, hence with v̄ = Σ_j A_j v_j
 *   Σ_j dA_j v_j = Σ_j A_j (a_j − ā)(v_j − v̄),
 *   ‖·‖ ≤ √Var_A(a) · √(Σ_j A_j ‖v_j − v̄‖²) ≤ (max_j |a_j|) · max_j ‖v_j‖      (Cauchy–Schwarz, Popoviciu),
 *   with ‖v_j‖ = ‖V P_j x_j‖ ≤ ν := R max_j w_j (half of the 2 max‖v_j‖ that ‖v_j − v̄‖ ≤ 2 max‖v‖ gives);
 *   ‖Σ_j A_j dv_j‖ ≤ max_j ‖V P_j Δ_j‖ ≤ max_j w_j δ_j.
 * With f_h := g_h ν_h / c, per head and token
 *   ‖do_i^h‖ ≤ f_h τ* p_i δ_i + f_h τ_i max_j p_j δ_j + max_j w_hj δ_j,
 * and two linear relaxations of it give two valid bounds of the attention part A (‖(O do_i)_i‖ ≤ A ‖Δ‖):
 * (a) max ≤ sum: ‖do_i^h‖ ≤ (U^h δ)_i with the non-negative M × M matrix
 *       U^h_ij = f_h (τ* p_i [i = j] + τ_i p_j) + w_hj;
 *     the heads join through O: Σ_i ‖O [do_i^1; …; do_i^H]‖² ≤ o² Σ_{i,h} ‖do_i^h‖² ≤ o² ‖U δ‖² with U the
 *     HM × M stack of the U^h, so A ≤ o ‖U‖₂ = o √‖Σ_h U^hᵀU^h‖₂;
 * (b) max_j p_j δ_j ≤ max_j p_j ‖δ‖ and max_j w_hj δ_j ≤ max_j w_hj ‖δ‖: the (i, h) entries split into
 *     a_hi δ_i + b_hi ‖δ‖ (a_hi = f_h τ* p_i, b_hi = f_h τ_i max_j p_j + max_j w_hj), so by the triangle
 *     inequality A ≤ o (max_i √Σ_h a_hi² + √Σ_{h,i} b_hi²).
 * (b) wins when the modalities are alike (the rank-one parts of U add up over j), (a) when one dominates.
 * The residual adds dt_i with ‖(dt_i)_i‖ ≤ max_i p_i ‖Δ‖. With the residual the value is the smaller
 * of max_i p_i + A (triangle inequality over the whole output) and ‖T‖₂ for T = diag(p) + o Σ_h U^h
 * (per token, ‖dy_i‖ ≤ p_i δ_i + o Σ_h ‖do_i^h‖). Norms of non-negative matrices come from
 * `nonNegativeSpectralNormBound`, those of weights from `spectralNormUpperBound` (float64).
 *
 * It is not attained: the relaxations of the maxima over j, max‖v_j‖ for the spread of the values
 * while the scores vary most (a sharp softmax has little spread), and the norms of Q_hᵀK_h and V_hP_j
 * taken for the worst direction at once all give slack.
 */
export function tokenAttentionLipschitzBound(norms: () => TokenAttentionNorms, modalities: number, domain: TokenAttentionDomain = {}): LipschitzCertificate {
  const R = domain.inputRadius;
  if (R !== undefined && !(R > 0 && Number.isFinite(R))) throw new RangeError(`inputRadius must be a positive finite number, got ${R}`);
  if (R === undefined) {
    return {
      value: Infinity,
      norm: TOKEN_ATTENTION_CERTIFICATE_NORM,
      assumptions: `token attention over M = ${modalities} tokens: dot-product attention has no global Lipschitz constant (its scores are quadratic in the latents; Kim et al. 2021), so pass inputRadius (a bound of every latent's norm) for a finite bound`,
    };
  }
  const n = norms();
  const { blocks, attentionPart, value } = evaluate(n, R);
  const describe = (xs: readonly number[]) => xs.map((x) => x.toPrecision(4)).join(', ');
  return {
    value,
    norm: TOKEN_ATTENTION_CERTIFICATE_NORM,
    assumptions:
      `domain ‖x_i‖ ≤ R = ${R}; M = ${modalities}, H = ${n.heads.length}, scores / √${n.headSize}, ${n.residual ? 'residual' : 'no residual'}; ` +
      `applied norms ‖P_i‖ = ${describe(n.tokens)}, ‖Q_hᵀK_h‖ = ${describe(n.heads.map((h) => h.scores))}, ‖O‖ = ${n.output.toPrecision(4)}; ` +
      `Lip ≤ ${n.residual ? 'min(max p_i + A, ‖diag(p) + ‖O‖Σ_h U^h‖₂)' : 'A'} with the attention part A ≤ ‖O‖·min(‖U‖₂, max_i ‖a_·i‖ + ‖b‖), U^h_ij = (g_h ν_h/c)(τ* p_i[i=j] + τ_i p_j) + ‖V_hP_j‖ ` +
      `(A = ${attentionPart.toPrecision(6)}, largest U entry ${Math.max(...blocks.flat(2)).toPrecision(4)}); ` +
      `holds for the weights at the time of the call (and, with spectral normalisation, for every later call with these weights)`,
  };
}

/** The matrices U^h of the derivation and the resulting bound, for norms and a radius. */
function evaluate(n: TokenAttentionNorms, R: number): { blocks: number[][][]; attentionPart: number; value: number } {
  const M = n.tokens.length;
  const c = Math.sqrt(n.headSize);
  const tau = n.tokens.map((p) => p * R);
  const tauMax = Math.max(...tau);
  const blocks = n.heads.map(({ scores, values }) => {
    const nu = R * Math.max(...values);
    const softmaxFactor = (scores * nu) / c;
    return n.tokens.map((pi, i) => n.tokens.map((pj, j) => softmaxFactor * ((i === j ? tauMax * pi : 0) + tau[i] * pj) + values[j]));
  });
  const gram = Array.from({ length: M }, (_, a) => Array.from({ length: M }, (__, b) => blocks.reduce((s, U) => s + U.reduce((t, row) => t + row[a] * row[b], 0), 0)));
  // the maxima over j kept as maxima: max_j p_j δ_j ≤ max_j p_j ‖δ‖, max_j w_hj δ_j ≤ max_j w_hj ‖δ‖
  const pMax = Math.max(...n.tokens);
  const diagonal = n.tokens.map((pi) => Math.hypot(...n.heads.map(({ scores, values }) => ((scores * R * Math.max(...values)) / c) * tauMax * pi)));
  const rest = Math.hypot(...n.heads.flatMap(({ scores, values }) => tau.map((ti) => ((scores * R * Math.max(...values)) / c) * ti * pMax + Math.max(...values))));
  const attentionPart = n.output * Math.min(Math.sqrt(nonNegativeSpectralNormBound(gram)), Math.max(...diagonal) + rest);
  if (!n.residual) return { blocks, attentionPart, value: attentionPart };
  const stacked = Math.max(...n.tokens) + attentionPart;
  const perToken = n.tokens.map((pi, i) => n.tokens.map((_, j) => (i === j ? pi : 0) + n.output * blocks.reduce((s, U) => s + U[i][j], 0)));
  return { blocks, attentionPart, value: Math.min(stacked, nonNegativeSpectralNormBound(perToken)) };
}

/** ‖A‖₂ (upper bound) of an applied kernel. */
export function appliedNorm(a: AppliedKernel): number {
  return spectralNormUpperBound(a.values, a.rows, a.cols) / a.divisor;
}

/**
 * ‖A·Bᵀ‖₂ (upper bound) for applied kernels A `[n, k]` and B `[m, k]`: with kernels K_q, K_k of Q_h, K_h
 * (W = Kᵀ), Q_hᵀK_h = K_q K_kᵀ.
 */
export function appliedProductNorm(a: AppliedKernel, b: AppliedKernel, transposeB: boolean): number {
  const inner = a.cols;
  const cols = transposeB ? b.rows : b.cols;
  if ((transposeB ? b.cols : b.rows) !== inner) throw new Error(`cannot multiply [${a.rows}, ${a.cols}] by [${b.rows}, ${b.cols}]${transposeB ? 'ᵀ' : ''}`);
  const product = new Float64Array(a.rows * cols);
  for (let r = 0; r < a.rows; r++) {
    for (let k = 0; k < inner; k++) {
      const x = a.values[r * inner + k];
      if (x === 0) continue;
      for (let col = 0; col < cols; col++) product[r * cols + col] += x * (transposeB ? b.values[col * b.cols + k] : b.values[k * b.cols + col]);
    }
  }
  // float64 rounding of the product: |fl(AB) − AB| ≤ γ_k |A||B| entrywise, and ‖|A||B|‖₂ ≤ ‖A‖_F‖B‖_F
  const gamma = (inner * Number.EPSILON) / (1 - inner * Number.EPSILON);
  const rounding = gamma * frobenius(a.values) * frobenius(b.values);
  return (spectralNormUpperBound(product, a.rows, cols) + rounding) / (a.divisor * b.divisor);
}

function frobenius(values: Float64Array): number {
  let s = 0;
  for (const v of values) s += v * v;
  return Math.sqrt(s);
}
