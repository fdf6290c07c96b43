import type { InitScheme } from '@mmfuse/core';

/** Which vector each coefficient α_i multiplies. */
export type AttentionScaleTarget = 'input' | 'normalized';

/** The per-modality map from a (normalised) latent to the shared score space. */
export type AttentionProjection = 'linear' | 'mlp';

/** How spectral normalisation divides a matrix by its estimated largest singular value σ̂. */
export type SpectralMode = 'clip' | 'rescale';

/** Which score each modality's gate reads. */
export type AttentionScores = 'pairwise' | 'query-key';

/** The function from a modality's score to the factor that multiplies its latent. */
export type AttentionGate = 'linear' | 'residual' | 'exponential' | 'softmax';

/**
 * Options of the `attention` fusion (pairwise-averaged multimodal bilinear attention).
 * The defaults are the stabilised variant: unit-norm inputs, spectral normalisation and 1/√k
 * scaling, one matrix per modality, coefficients scaling the original latents.
 */
export interface AttentionFusionOptions {
  /** `linear`: one matrix W_i ∈ R^{k×d_i} (the theorems' case). `mlp`: d_i → k → k with ReLU between. */
  projection: AttentionProjection;
  /** k, the width of the shared score space; default: the largest latent width. */
  projectionSize?: number;
  /** x̂_i = x_i / max(‖x_i‖, ε) before the projection. */
  normalizeInputs: boolean;
  /** ε of the input normalisation. */
  epsilon: number;
  /** Ŵ = W / max(1, σ_max(W)) for every projection matrix, σ_max by persistent power iteration. */
  spectralNorm: boolean;
  /**
   * `clip`: Ŵ = W / max(1, σ̂) (Section 4.5.1: matrices with σ ≤ 1 are kept). `rescale`: Ŵ = W / σ̂
   * (Section 4.5.2: the largest singular value "becomes exactly one").
   */
  spectralMode: SpectralMode;
  /** Power-iteration steps per forward call (per matrix). */
  powerIterations: number;
  /** Divide every score s_ij by √k. */
  scaleScores: boolean;
  /** `input`: output g_i x_i (Definition 4.1). `normalized`: g_i x̂_i (needs normalizeInputs). */
  scale: AttentionScaleTarget;
  /**
   * `pairwise`: α_i = 1/(M−1) Σ_{j≠i} p_iᵀp_j / c (Definition 4.1; symmetric, so α_1 = α_2 at M = 2).
   * `query-key`: α_i = 1/M Σ_j q_iᵀk_j / c over every j, self included, with separate query and key
   * projections, so modalities get different scores even at M = 2.
   */
  scores: AttentionScores;
  /**
   * g_i from α_i: `linear` g = α (Definition 4.1), `residual` g = 1 + γα, `exponential` g = exp(γα)
   * (positive, never 0), `softmax` g = M·softmax_i(γα) (positive, mean 1 over the modalities).
   */
  gate: AttentionGate;
  /** γ of the residual, exponential and softmax gates; default c (√k with scaled scores, else 1). */
  gateGain?: number;
  /** Train γ (a parameter `<fusion>/gate-gain` starting at gateGain). */
  learnGain: boolean;
  /** Initialisation of the projection weights. */
  init: InitScheme;
}

/** The defaults, shared by the schema and by code that builds the fusion without a config. */
export const ATTENTION_FUSION_DEFAULTS: Readonly<Omit<AttentionFusionOptions, 'projectionSize' | 'gateGain'>> = {
  projection: 'linear',
  normalizeInputs: true,
  epsilon: 1e-12,
  spectralNorm: true,
  spectralMode: 'clip',
  powerIterations: 1,
  scaleScores: true,
  scale: 'input',
  scores: 'pairwise',
  gate: 'linear',
  learnGain: false,
  init: 'pytorch',
};

export const ATTENTION_FUSION_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    projection: {
      enum: ['linear', 'mlp'],
      default: ATTENTION_FUSION_DEFAULTS.projection,
      description:
        'Per-modality projection into the score space: linear = one matrix W_i (k×d_i, no bias; the case the Lipschitz bound is proved for), mlp = two dense layers d_i→k→k with biases and ReLU between (the paper\'s network).',
    },
    projectionSize: {
      type: 'integer',
      minimum: 1,
      maximum: 65536,
      description: 'k, the width of the shared score space; default: the largest latent width (the latent size when all are equal).',
    },
    normalizeInputs: {
      type: 'boolean',
      default: ATTENTION_FUSION_DEFAULTS.normalizeInputs,
      description: 'Project x̂_i = x_i / max(‖x_i‖, ε) instead of x_i, so scores depend on directions only (Section 4.5.1).',
    },
    epsilon: {
      type: 'number',
      minimum: 1e-18,
      maximum: 1,
      default: ATTENTION_FUSION_DEFAULTS.epsilon,
      description: 'ε of the input normalisation: latents shorter than ε are divided by ε instead of their norm.',
    },
    spectralNorm: {
      type: 'boolean',
      default: ATTENTION_FUSION_DEFAULTS.spectralNorm,
      description: 'Use Ŵ = W / max(1, σ_max(W)) for every projection matrix; σ_max by power iteration with a persistent vector, a constant for gradients (Miyato et al. 2018).',
    },
    spectralMode: {
      enum: ['clip', 'rescale'],
      default: ATTENTION_FUSION_DEFAULTS.spectralMode,
      description:
        'How spectral normalisation divides by σ̂: clip = W / max(1, σ̂) (Section 4.5.1: a matrix with σ ≤ 1 is kept as it is), rescale = W / σ̂ (Section 4.5.2: the largest singular value becomes exactly one).',
    },
    powerIterations: {
      type: 'integer',
      minimum: 1,
      maximum: 100,
      default: ATTENTION_FUSION_DEFAULTS.powerIterations,
      description: 'Power-iteration steps per forward call for each spectrally normalised matrix.',
    },
    scaleScores: {
      type: 'boolean',
      default: ATTENTION_FUSION_DEFAULTS.scaleScores,
      description: 'Divide every score s_ij by √k (Vaswani et al.).',
    },
    scale: {
      enum: ['input', 'normalized'],
      default: ATTENTION_FUSION_DEFAULTS.scale,
      description:
        'Vector each coefficient α_i multiplies: input = the original latent x_i (Definition 4.1; keeps each latent\'s magnitude for the decoders), normalized = x̂_i (bounded output; needs normalizeInputs).',
    },
    scores: {
      enum: ['pairwise', 'query-key'],
      default: ATTENTION_FUSION_DEFAULTS.scores,
      description:
        'pairwise = α_i = 1/(M−1) Σ_{j≠i} p_iᵀp_j / c (Definition 4.1: symmetric, so both modalities share one α at M = 2); query-key = α_i = 1/M Σ_j q_iᵀk_j / c over all j, self included, with separate query and key projections (modality-specific scores at any M).',
    },
    gate: {
      enum: ['linear', 'residual', 'exponential', 'softmax'],
      default: ATTENTION_FUSION_DEFAULTS.gate,
      description:
        'Factor g_i that multiplies latent i: linear = α_i (Definition 4.1; can change sign and vanish), residual = 1 + γα_i, exponential = exp(γα_i) (positive, never zero), softmax = M·softmax_i(γα_i) (positive, mean 1 over modalities; needs scores: query-key, since pairwise scores make it concatenation at M = 2).',
    },
    gateGain: {
      type: 'number',
      exclusiveMinimum: 0,
      maximum: 1000000,
      description: 'γ of the residual, exponential and softmax gates (ignored by linear, which has none); default c, so that γα_i spans about ±1 with unit-norm inputs and spectrally normalised projections.',
    },
    learnGain: {
      type: 'boolean',
      default: ATTENTION_FUSION_DEFAULTS.learnGain,
      description: 'Train γ as a parameter <fusion>/gate-gain starting at gateGain (residual, exponential and softmax gates).',
    },
    init: {
      enum: ['pytorch', 'he', 'glorot'],
      default: ATTENTION_FUSION_DEFAULTS.init,
      description: 'Projection weight initialisation: pytorch = U(±1/√fan_in) (weights and biases), he = N(0, 2/fan_in), glorot = U(±√(6/(fan_in+fan_out))).',
    },
  },
};

/** Options with every default filled in and k resolved for the given latent widths. */
export function resolveAttentionOptions(options: Partial<AttentionFusionOptions>, inputSizes: readonly number[]): Required<AttentionFusionOptions> {
  const defined = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<AttentionFusionOptions>;
  const resolved = {
    ...ATTENTION_FUSION_DEFAULTS,
    projectionSize: Math.max(...inputSizes),
    ...defined,
  };
  const scoreScale = resolved.scaleScores ? Math.sqrt(resolved.projectionSize) : 1;
  return { ...resolved, gateGain: resolved.gateGain ?? (resolved.gate === 'linear' ? 1 : scoreScale) };
}
