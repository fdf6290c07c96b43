import type { InitScheme } from '@mmfuse/core';

/** Options of the `feature-gate` fusion. */
export interface FeatureGateOptions {
  /** Width of the gate MLP's hidden layer; default: the latent width d. */
  hiddenSize?: number;
  /** Initialisation of the gate MLP's weights. */
  init: InitScheme;
  /** Add the mean of the latents to the output: z + (1/M) Σ_m x_m. */
  residual: boolean;
}

/** The defaults, shared by the schema and by code that builds the fusion without a config. */
export const FEATURE_GATE_DEFAULTS: Readonly<Omit<FeatureGateOptions, 'hiddenSize'>> = {
  init: 'pytorch',
  residual: false,
};

export const FEATURE_GATE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    hiddenSize: {
      type: 'integer',
      minimum: 1,
      maximum: 65536,
      description: 'Width of the hidden layer of the gate MLP g = sigmoid(W₂ relu(W₁ [x_1; …; x_M] + b₁) + b₂); default: the latent width d.',
    },
    init: {
      enum: ['pytorch', 'he', 'glorot'],
      default: FEATURE_GATE_DEFAULTS.init,
      description: 'Gate weight initialisation: pytorch = U(±1/√fan_in) (weights and biases), he = N(0, 2/fan_in), glorot = U(±√(6/(fan_in+fan_out))); biases zero except for pytorch.',
    },
    residual: {
      type: 'boolean',
      default: FEATURE_GATE_DEFAULTS.residual,
      description: 'Add the mean of the latents to the gated output (z + mean): a path that does not pass through the gate; raises the Lipschitz bound by exactly 1/√M.',
    },
  },
};

/** Options with every default filled in and the hidden width resolved for latents of width d. */
export function resolveFeatureGateOptions(options: Partial<FeatureGateOptions>, latentSize: number): Required<FeatureGateOptions> {
  const defined = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<FeatureGateOptions>;
  return { ...FEATURE_GATE_DEFAULTS, hiddenSize: latentSize, ...defined };
}
