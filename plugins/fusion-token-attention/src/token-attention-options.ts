import { UserInputError } from '@mmfuse/core';
import type { InitScheme } from '@mmfuse/core';

/**
 * Options of the `token-attention` fusion: multi-head softmax attention over one token per
 * modality, self-scores included, mixed into the tokens residually.
 */
export interface TokenAttentionOptions {
  /** D, the width of every token; default: the largest latent width. */
  tokenSize?: number;
  /** H, the number of attention heads; D must be a multiple of H (each head is D/H wide). */
  heads: number;
  /** Initialisation of every matrix. */
  init: InitScheme;
  /** Ŵ = W / max(1, σ̂) for every matrix, σ̂ by persistent power iteration. */
  spectralNorm: boolean;
  /** Power-iteration steps per forward call and matrix (only with spectralNorm). */
  powerIterations: number;
  /** y_i = t_i + O o_i (true) or O o_i (false). */
  residual: boolean;
}

export const TOKEN_ATTENTION_DEFAULTS: Readonly<Omit<TokenAttentionOptions, 'tokenSize'>> = {
  heads: 4,
  init: 'pytorch',
  spectralNorm: false,
  powerIterations: 1,
  residual: true,
};

export const TOKEN_ATTENTION_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    tokenSize: {
      type: 'integer',
      minimum: 1,
      maximum: 65536,
      description: 'D, the width of every token t_i = P_i x_i and of each block of the output (M·D wide); default: the largest latent width. Must be a multiple of heads.',
    },
    heads: {
      type: 'integer',
      minimum: 1,
      maximum: 1024,
      default: TOKEN_ATTENTION_DEFAULTS.heads,
      description: 'H, the number of attention heads; each scores and mixes D/H-wide queries, keys and values, so tokenSize must be a multiple of heads.',
    },
    init: {
      enum: ['pytorch', 'he', 'glorot'],
      default: TOKEN_ATTENTION_DEFAULTS.init,
      description: 'Initialisation of every matrix (token maps, queries, keys, values, output): pytorch = U(±1/√fan_in), he = N(0, 2/fan_in), glorot = U(±√(6/(fan_in+fan_out))).',
    },
    spectralNorm: {
      type: 'boolean',
      default: TOKEN_ATTENTION_DEFAULTS.spectralNorm,
      description: 'Use Ŵ = W / max(1, σ_max(W)) for every matrix; σ_max by power iteration with a persistent vector (a buffer, saved in checkpoints), a constant for gradients (Miyato et al. 2018).',
    },
    powerIterations: {
      type: 'integer',
      minimum: 1,
      maximum: 100,
      default: TOKEN_ATTENTION_DEFAULTS.powerIterations,
      description: 'Power-iteration steps per forward call for each spectrally normalised matrix (ignored without spectralNorm).',
    },
    residual: {
      type: 'boolean',
      default: TOKEN_ATTENTION_DEFAULTS.residual,
      description: 'Add each token to its attention output: y_i = t_i + O o_i (true) or y_i = O o_i (false).',
    },
  },
};

/** Options with every default filled in and D resolved for the given latent widths; checks that H divides D. */
export function resolveTokenAttentionOptions(options: Partial<TokenAttentionOptions>, inputSizes: readonly number[]): Required<TokenAttentionOptions> {
  const defined = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<TokenAttentionOptions>;
  const resolved: Required<TokenAttentionOptions> = {
    ...TOKEN_ATTENTION_DEFAULTS,
    tokenSize: Math.max(...inputSizes),
    ...defined,
  };
  const { tokenSize, heads } = resolved;
  if (!Number.isInteger(heads) || heads < 1 || !Number.isInteger(tokenSize) || tokenSize < 1) {
    throw new UserInputError(`the token-attention fusion needs positive whole numbers for heads and tokenSize; got heads ${heads}, tokenSize ${tokenSize}`);
  }
  if (tokenSize % heads !== 0) {
    const origin = defined.tokenSize === undefined ? ' (the largest latent width, the default)' : '';
    const fits = divisorsNear(tokenSize, heads);
    throw new UserInputError(
      `the token-attention fusion splits each ${tokenSize}-wide token${origin} into heads of equal width, so tokenSize must be a multiple of heads (${heads}); ` +
        `choose heads from ${fits.join(', ')} or set tokenSize to a multiple of ${heads}`,
    );
  }
  return resolved;
}

/** Up to four divisors of n nearest to `near`, in increasing order (for the error message). */
function divisorsNear(n: number, near: number): number[] {
  const divisors: number[] = [];
  for (let h = 1; h <= n; h++) if (n % h === 0) divisors.push(h);
  return divisors
    .sort((a, b) => Math.abs(a - near) - Math.abs(b - near) || a - b)
    .slice(0, 4)
    .sort((a, b) => a - b);
}
