import type { LipschitzCertificate } from '@mmfuse/core';
import type { AttentionScaleTarget } from './attention-fusion-options';
import type { ProjectionLayerNorms } from './attention-projection';

/** The domain a certificate speaks of: every latent has `minInputNorm ≤ ‖x_i‖ ≤ inputRadius`. */
export interface AttentionDomain {
  /** R: bound of every latent's norm. Needed whenever the output scales the raw latents. */
  readonly inputRadius?: number;
  /** ρ: lower bound of every latent's norm (default 0). Only matters with normalised inputs. */
  readonly minInputNorm?: number;
}

/** What the bound depends on, for one configured fusion. */
export interface AttentionBoundInputs {
  /** Per modality, the norms of its projection's layers in order (one for linear, two for mlp). */
  readonly projections: readonly (readonly ProjectionLayerNorms[])[];
  readonly normalizeInputs: boolean;
  readonly epsilon: number;
  /** c: √k when scores are scaled, else 1. */
  readonly scoreScale: number;
  readonly scale: AttentionScaleTarget;
}

export const ATTENTION_CERTIFICATE_NORM = "l2, product norm over the modalities' latents (input), l2 on the concatenated output";

/**
 * Certified Lipschitz bound of the pairwise-averaged bilinear attention, Theorem 4.1 generalised to
 * every configured variant and sharpened.
 *
 * Write u_i = N(x_i) for the projected vector (N(x) = x / max(‖x‖, ε) with normalised inputs, else
 * N = id), p_i = P_i(u_i) ∈ R^k, s_ij = p_iᵀp_j / c, α_i = 1/(M−1) Σ_{j≠i} s_ij and y_i = α_i v_i
 * with v_i = x_i (`scale: input`) or u_i (`scale: normalized`). On the domain assume
 *   ‖p_i‖ ≤ P_i,  ‖Δp_i‖ ≤ Λ_i ‖Δx_i‖,  ‖v_i‖ ≤ V_i,  ‖Δv_i‖ ≤ Γ_i ‖Δx_i‖.
 * Lemma 4.1's structure, written with differences instead of derivatives (so the domain need not be
 * convex), gives for two points x, x′ (δ_i = ‖x_i − x′_i‖):
 *   Δs_ij = (Δp_iᵀ p_j + p′_iᵀ Δp_j) / c           ⇒ |Δs_ij| ≤ (Λ_i P_j δ_i + P_i Λ_j δ_j) / c,
 *   |α_i| ≤ a_i := P_i Σ_{j≠i} P_j / ((M−1)c),
 *   Δy_i = α_i Δv_i + Δα_i v′_i                     ⇒ ‖Δy_i‖ ≤ Σ_j T_ij δ_j with
 *   T_ii = Γ_i a_i + V_i Λ_i Σ_{j≠i} P_j / ((M−1)c),  T_ij = V_i P_i Λ_j / ((M−1)c)  (j ≠ i).
 * T has non-negative entries, so ‖Δy‖ ≤ ‖T δ‖ ≤ ‖T‖₂ ‖δ‖ = ‖T‖₂ ‖Δx‖: Lip(f) ≤ ‖T‖₂ (bounded here
 * by the smaller of √(‖T‖₁‖T‖_∞) and a Collatz–Wielandt bound on TᵀT).
 *
 * The ingredients per variant (layer norms s_l = ‖Ŵ_l‖₂ as applied, biases b_l, ReLU 1-Lipschitz
 * and norm-non-increasing): with raw inputs u_i = x_i, ‖u_i‖ ≤ R and N is 1-Lipschitz; with
 * normalised inputs ‖u_i‖ ≤ min(1, R/ε) and N is 1/max(ε, ρ)-Lipschitz on {‖x‖ ≥ ρ} (N is 1/ε
 * times the projection onto the ε-ball, and ‖x/‖x‖ − y/‖y‖‖ ≤ ‖x − y‖ / min(‖x‖, ‖y‖));
 * then P_i = s_L(…s_1‖u‖ + ‖b_1‖…) + ‖b_L‖ and Λ_i = Π_l s_l · Lip(N); V_i = R, Γ_i = 1 for
 * `scale: input`, V_i = ‖u_i‖ bound, Γ_i = Lip(N) for `scale: normalized`.
 *
 * Theorem 4.1's case (linear, raw inputs, ‖W_i‖₂ ≤ w, ‖x_i‖ ≤ R): T = w²R²/c · (2 I + (J − I)/(M−1)),
 * whose norm is its row sum, so Lip(f) ≤ 3 w²R²/c, below the theorem's √(8 + 2M/(M−1)) w²R²/c
 * (√12 at M = 2) and attained at W_i = w I, x_1 = … = x_M on the sphere of radius R.
 */
export function attentionLipschitzBound(inputs: AttentionBoundInputs, domain: AttentionDomain = {}): LipschitzCertificate {
  const M = inputs.projections.length;
  const R = domain.inputRadius;
  const rho = domain.minInputNorm ?? 0;
  checkDomain(R, rho);
  const c = inputs.scoreScale;
  const needsRadius = !inputs.normalizeInputs || inputs.scale === 'input';
  const variant = describeVariant(inputs);
  if (needsRadius && R === undefined) {
    return {
      value: Infinity,
      norm: ATTENTION_CERTIFICATE_NORM,
      assumptions: `${variant}: the output scales the raw latents, so the map grows with their size and has no global Lipschitz constant; pass inputRadius (a bound of every latent's norm) for a finite bound`,
    };
  }

  const normalizerLipschitz = inputs.normalizeInputs ? 1 / Math.max(inputs.epsilon, rho) : 1;
  const projectedNorm = inputs.normalizeInputs ? Math.min(1, R === undefined ? 1 : R / inputs.epsilon) : (R as number);
  const P = inputs.projections.map((layers) => layers.reduce((bound, layer) => layer.spectralNorm * bound + layer.biasNorm, projectedNorm));
  const Lambda = inputs.projections.map((layers) => layers.reduce((lip, layer) => lip * layer.spectralNorm, 1) * normalizerLipschitz);
  const V = inputs.scale === 'input' ? (R as number) : projectedNorm;
  const Gamma = inputs.scale === 'input' ? 1 : normalizerLipschitz;

  const T = bilinearBlockMatrix(P, Lambda, V, Gamma, c);
  const value = nonNegativeSpectralNormBound(T);

  const weights = inputs.projections.map((layers) => layers.map((l) => l.spectralNorm.toPrecision(6)).join('·')).join(', ');
  const domainText = [
    R !== undefined ? `‖x_i‖ ≤ R = ${R}` : undefined,
    inputs.normalizeInputs ? `‖x_i‖ ≥ ρ = ${rho} (normalisation Lipschitz 1/max(ε, ρ) = ${normalizerLipschitz.toPrecision(6)}${rho < inputs.epsilon ? '; give minInputNorm to exclude latents near zero, where normalisation is steep' : ''})` : undefined,
  ]
    .filter(Boolean)
    .join(', ');
  const theorem =
    !inputs.normalizeInputs && inputs.projections.every((layers) => layers.length === 1 && layers[0].biasNorm === 0)
      ? `; Theorem 4.1's form √(8 + 2M/(M−1))·w²R²/c with w = max ‖W_i‖₂ gives ${theorem41(inputs, R as number).toPrecision(6)}`
      : '';
  return {
    value,
    norm: ATTENTION_CERTIFICATE_NORM,
    assumptions:
      `${variant}; M = ${M}, c = ${c.toPrecision(6)}, ‖W‖₂ as applied per modality (layers multiplied): ${weights}; domain ${domainText}. ` +
      `Lip ≤ ‖T‖₂ for the M×M block-norm matrix of Lemma 4.1 (T_ii = Γ|α_i|max + V Λ_i ΣP_j/((M−1)c), T_ij = V P_i Λ_j/((M−1)c)); ` +
      `holds for the weights at the time of the call (and, with spectral normalisation, for every later call with these weights)${theorem}`,
  };
}

function checkDomain(R: number | undefined, rho: number): void {
  if (R !== undefined && !(R > 0 && Number.isFinite(R))) throw new RangeError(`inputRadius must be a positive finite number, got ${R}`);
  if (!(rho >= 0 && Number.isFinite(rho))) throw new RangeError(`minInputNorm must be a non-negative finite number, got ${rho}`);
  if (R !== undefined && rho > R) throw new RangeError(`minInputNorm (${rho}) exceeds inputRadius (${R}): the domain is empty`);
}

function describeVariant(inputs: AttentionBoundInputs): string {
  const depth = inputs.projections[0]?.length === 1 ? 'linear' : 'mlp';
  return [
    `${depth} projections`,
    inputs.normalizeInputs ? `normalised inputs (ε = ${inputs.epsilon})` : 'raw inputs',
    inputs.scoreScale !== 1 ? 'scores / √k' : 'unscaled scores',
    `α_i scales the ${inputs.scale === 'input' ? 'original' : 'normalised'} latent`,
  ].join(', ');
}

/** T of the derivation above. */
export function bilinearBlockMatrix(P: readonly number[], Lambda: readonly number[], V: number, Gamma: number, c: number): number[][] {
  const M = P.length;
  const total = P.reduce((a, b) => a + b, 0);
  const denominator = (M - 1) * c;
  return P.map((Pi, i) => {
    const others = total - Pi;
    const alpha = (Pi * others) / denominator;
    return P.map((_, j) => (i === j ? Gamma * alpha + (V * Lambda[i] * others) / denominator : (V * Pi * Lambda[j]) / denominator));
  });
}

/**
 * An upper bound of ‖T‖₂ for a matrix with non-negative entries: the smaller of √(‖T‖₁‖T‖_∞)
 * and the Collatz–Wielandt bound λ_max(TᵀT) ≤ max_i (TᵀT x)_i / x_i for positive x (x from power
 * iteration, so the bound is nearly exact).
 */
export function nonNegativeSpectralNormBound(T: readonly (readonly number[])[]): number {
  const M = T.length;
  const rowSums = T.map((row) => row.reduce((a, b) => a + b, 0));
  const colSums = T[0].map((_, j) => T.reduce((a, row) => a + row[j], 0));
  let best = Math.sqrt(Math.max(...rowSums) * Math.max(...colSums));
  const S = T[0].map((_, i) => T[0].map((__, j) => T.reduce((a, row) => a + row[i] * row[j], 0)));
  let x = new Array<number>(M).fill(1);
  for (let t = 0; t < 100; t++) {
    const y = S.map((row) => row.reduce((a, s, j) => a + s * x[j], 0));
    const top = Math.max(...y);
    if (!(top > 0)) break;
    x = y.map((v) => v / top);
  }
  if (x.every((v) => v > 0)) {
    const Sx = S.map((row) => row.reduce((a, s, j) => a + s * x[j], 0));
    best = Math.min(best, Math.sqrt(Math.max(...Sx.map((v, i) => v / x[i]))));
  }
  // a relative margin for rounding in the few float64 operations above
  return best * (1 + 1e-12);
}

function theorem41(inputs: AttentionBoundInputs, R: number): number {
  const M = inputs.projections.length;
  const w = Math.max(...inputs.projections.map((layers) => layers[0].spectralNorm));
  return (Math.sqrt(8 + (2 * M) / (M - 1)) * w * w * R * R) / inputs.scoreScale;
}
