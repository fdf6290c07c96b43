import type { LipschitzCertificate } from '@mmfuse/core';

/** The domain a certificate speaks of: every latent has ‖x_m‖ ≤ inputRadius. */
export interface FeatureGateDomain {
  /** R: bound of every latent's norm. Needed whenever the gate is not constant. */
  readonly inputRadius?: number;
  /** Accepted for the common interface; the bound does not use it. */
  readonly minInputNorm?: number;
}

/** What the bound depends on, in float64, for the weights as they are. */
export interface FeatureGateBoundInputs {
  /** M, the number of latents. */
  readonly modalities: number;
  /** Upper bound of ‖W₁‖₂ (the gate's hidden layer, Md → H). */
  readonly hiddenNorm: number;
  /** Upper bound of ‖W₂‖₂ (the gate's output layer, H → d). */
  readonly outputNorm: number;
  /** max_c ‖row c of W₂‖₂ = ‖W₂‖_{2→∞}: the largest Lipschitz constant of one gate logit in u. */
  readonly outputRowNorm: number;
  readonly residual: boolean;
}

export const FEATURE_GATE_CERTIFICATE_NORM = "l2, product norm over the modalities' latents (input), l2 on the output";

/**
 * Certified Lipschitz bound of the feature gate z = g ⊙ mean + (1 − g) ⊙ mn on the domain
 * ‖x_m‖ ≤ R, for x ∈ R^{M×d} with the product norm ‖x‖² = Σ_m ‖x_m‖².
 *
 * For two points x, x′ with δ = x − x′ and a = mean − mn ≥ 0 taken at x:
 *   Δz = (1 − g′) ⊙ Δmn + g′ ⊙ Δmean + Δg ⊙ a.
 * Fixed gate: per feature the first two terms are a convex combination of Δmn_c and Δmean_c, both
 * at most η_c = max_m |δ_{m,c}| in size (min is 1-Lipschitz in the max norm, and a mean is at most
 * its largest term), and ‖η‖² = Σ_c max_m δ²_{m,c} ≤ ‖δ‖²: this part moves by at most ‖δ‖.
 * Gate: h = [x_1; …; x_M] has ‖Δh‖ = ‖δ‖, ReLU is 1-Lipschitz and sigmoid 1/4-Lipschitz, so
 *   ‖Δg‖₂ ≤ ¼ ‖W₂‖₂ ‖W₁‖₂ ‖δ‖  and  ‖Δg‖_∞ ≤ ¼ ‖W₂‖_{2→∞} ‖W₁‖₂ ‖δ‖.
 * a on the domain: a_c = (1/M) Σ_m (x_{m,c} − mn_c) ≤ (1 − 1/M)(max_m x_{m,c} − mn_c), so
 *   ‖a‖_∞ ≤ A_∞ = 2R(1 − 1/M)  (attained: one latent −R e_c, the others +R e_c), and
 *   ‖a‖₂ ≤ A₂ = (1 − 1/M) √(2M) R  (the spread in feature c is at most √2 times the two entries'
 *   root sum of squares, and those sum over c to at most Σ_m ‖x_m‖² ≤ MR²; A₂ = R at M = 2).
 * With ‖Δg ⊙ a‖ ≤ min(‖Δg‖₂ ‖a‖_∞, ‖Δg‖_∞ ‖a‖₂):
 *   Lip(z) ≤ 1 + ¼ ‖W₁‖₂ · min(‖W₂‖₂ A_∞, ‖W₂‖_{2→∞} A₂).
 * With `residual` the output is z + mean, and ‖Δmean‖ ≤ (1/M) Σ_m ‖δ_m‖ ≤ ‖δ‖/√M (attained by equal
 * δ_m): the bound grows by 1/√M.
 *
 * The first term is attained (a gate held at 0 gives the elementwise minimum, whose constant is 1);
 * the gate term is not in general: it needs sigmoid′ = ¼, every ReLU active, W₁ and W₂ aligned
 * with each other and with a, and a at its extreme in every direction the gate moves, all at once.
 * Biases do not enter. Without R the value is Infinity unless the gate is constant (W₁ or W₂ zero):
 * a grows with the latents while g keeps moving, so there is no global constant.
 */
export function featureGateLipschitzBound(inputs: FeatureGateBoundInputs, domain: FeatureGateDomain = {}): LipschitzCertificate {
  const { modalities: M, hiddenNorm, outputNorm, outputRowNorm, residual } = inputs;
  const R = domain.inputRadius;
  if (R !== undefined && !(R > 0 && Number.isFinite(R))) throw new RangeError(`inputRadius must be a positive finite number, got ${R}`);
  const residualTerm = residual ? 1 / Math.sqrt(M) : 0;
  const gateConstant = hiddenNorm * outputNorm === 0;
  const form = `Lip ≤ 1 + ¼‖W₁‖₂·min(‖W₂‖₂·2R(1 − 1/M), ‖W₂‖_{2→∞}·(1 − 1/M)√(2M)R)${residual ? ' + 1/√M (residual mean)' : ''}`;
  const norms = `M = ${M}, ‖W₁‖₂ ≤ ${hiddenNorm.toPrecision(6)}, ‖W₂‖₂ ≤ ${outputNorm.toPrecision(6)}, ‖W₂‖_{2→∞} = ${outputRowNorm.toPrecision(6)}`;
  if (R === undefined && !gateConstant) {
    return {
      value: Infinity,
      norm: FEATURE_GATE_CERTIFICATE_NORM,
      assumptions: `${form}; ${norms}: the gate multiplies mean − min, which grows with the latents, so there is no global Lipschitz constant; pass inputRadius (a bound of every latent's norm) for a finite bound`,
    };
  }
  const spread = gateConstant ? 0 : Math.min(outputNorm * 2 * (R as number) * (1 - 1 / M), outputRowNorm * (1 - 1 / M) * Math.sqrt(2 * M) * (R as number));
  const value = 1 + 0.25 * hiddenNorm * spread + residualTerm;
  return {
    value: value * (1 + 1e-12),
    norm: FEATURE_GATE_CERTIFICATE_NORM,
    assumptions: `${form}; ${norms}; domain ‖x_m‖ ≤ R = ${R ?? '∞ (constant gate)'}; holds for the weights at the time of the call`,
  };
}
