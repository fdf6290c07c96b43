import type { InitScheme } from '@mmfuse/encoders';

/** Which vector each coefficient α_i multiplies. */
export type AttentionScaleTarget = 'input' | 'normalized';

/** The per-modality map from a (normalised) latent to the shared score space. */
export type AttentionProjection = 'linear' | 'mlp';

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
  /** Power-iteration steps per forward call (per matrix). */
  powerIterations: number;
  /** Divide every score s_ij by √k. */
  scaleScores: boolean;
  /** `input`: output α_i x_i (Definition 4.1). `normalized`: α_i x̂_i (needs normalizeInputs). */
  scale: AttentionScaleTarget;
  /** Initialisation of the projection weights. */
  init: InitScheme;
}

/** The defaults, shared by the schema and by code that builds the fusion without a config. */
export const ATTENTION_FUSION_DEFAULTS: Readonly<Omit<AttentionFusionOptions, 'projectionSize'>> = {
  projection: 'linear',
  normalizeInputs: true,
  epsilon: 1e-12,
  spectralNorm: true,
  powerIterations: 1,
  scaleScores: true,
  scale: 'input',
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
  return {
    ...ATTENTION_FUSION_DEFAULTS,
    projectionSize: Math.max(...inputSizes),
    ...defined,
  };
}
