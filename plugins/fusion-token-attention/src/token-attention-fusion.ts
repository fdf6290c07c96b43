import * as tf from '@tensorflow/tfjs-core';
import { CertifiedLipschitz, checkFusionLatents, ComponentConfig, Fusion, FusionContext, fusionModalityNames, LipschitzCertificate, ModalityWeighting, Parameter, UserInputError } from '@mmfuse/core';
import { ParameterSet } from '@mmfuse/core';
import { appliedNorm, appliedProductNorm, TokenAttentionDomain, tokenAttentionLipschitzBound, TokenAttentionNorms } from './token-attention-lipschitz-bound';
import { resolveTokenAttentionOptions, TokenAttentionOptions } from './token-attention-options';
import { TokenMatrix } from './token-matrix';

/** The three per-head projections, in the order their parameters are created. */
export const HEAD_PROJECTIONS = ['query', 'key', 'value'] as const;
export type HeadProjection = (typeof HEAD_PROJECTIONS)[number];

type Head = Record<HeadProjection, TokenMatrix>;

/**
 * Multi-head softmax attention over one token per modality, self-scores included, mixed into the
 * tokens residually. For latents x_i ∈ R^{d_i}, i = 1..M:
 *   t_i = P_i x_i ∈ R^D,   per head h: q_i = Q_h t_i, k_j = K_h t_j, v_j = V_h t_j ∈ R^{D/H},
 *   e_ij = q_iᵀ k_j / √(D/H) (j = i included),  A_i· = softmax_j(e_i·),  o_i^h = Σ_j A_ij v_j,
 *   y_i = t_i + O [o_i^1; …; o_i^H],  output [y_1; …; y_M] (M·D wide).
 * The tokens of a batch are one `[B·M, D]` matrix: one matmul per kind of projection for all heads
 * (the heads' kernels side by side), and batched `[M, M]` score matrices per sample and head.
 * Parameters: `<name>/token<i>/kernel` `[d_i, D]`, `<name>/head<h>/{query,key,value}/kernel`
 * `[D, D/H]`, `<name>/output/kernel` `[D, D]` (kernels K with y = x·K = W x).
 */
export class TokenAttentionFusion implements Fusion, CertifiedLipschitz, ModalityWeighting {
  readonly outputSize: number;
  readonly options: Readonly<Required<TokenAttentionOptions>>;
  readonly modalityWeightsDescription =
    'M times the attention each modality’s token receives, averaged over heads and query tokens (self-attention included): 1 for every modality when attention is uniform, M for a modality every token attends to alone';
  private readonly params: ParameterSet;
  private readonly tokens: TokenMatrix[];
  private readonly heads: Head[];
  private readonly output: TokenMatrix;

  constructor(
    readonly name: string,
    readonly inputSizes: readonly number[],
    options: Partial<TokenAttentionOptions> = {},
    seed = 0,
    private readonly modalityNames: readonly string[] = inputSizes.map((_, i) => `modality ${i}`),
  ) {
    if (inputSizes.length < 2) {
      throw new UserInputError(`the token-attention fusion attends across modalities, so it needs at least two; got ${inputSizes.length}`);
    }
    this.options = resolveTokenAttentionOptions(options, inputSizes);
    const { tokenSize: D, heads: H } = this.options;
    this.outputSize = inputSizes.length * D;
    this.params = new ParameterSet(name, seed, this.options.init);
    const settings = { owner: name, spectralNorm: this.options.spectralNorm, powerIterations: this.options.powerIterations, seed };
    this.tokens = inputSizes.map((d, i) => new TokenMatrix(this.params, `token${i}`, d, D, settings));
    this.heads = Array.from({ length: H }, (_, h) => {
      const [query, key, value] = HEAD_PROJECTIONS.map((kind) => new TokenMatrix(this.params, `head${h}/${kind}`, D, D / H, settings));
      return { query, key, value };
    });
    this.output = new TokenMatrix(this.params, 'output', D, D, settings);
  }

  get parameters(): readonly Parameter[] {
    return this.params.parameters;
  }

  /** Spectral normalisation's persistent vectors, `<name>/<matrix>/power-iteration` (none without it). */
  get buffers(): readonly Parameter[] {
    return this.matrices().flatMap((m) => m.buffer() ?? []);
  }

  /** D/H, the width of each head's queries, keys and values. */
  get headSize(): number {
    return this.options.tokenSize / this.options.heads;
  }

  apply(latents: readonly tf.Tensor2D[]): tf.Tensor2D {
    this.checkLatents(latents);
    return tf.tidy(() => this.forward(latents).output);
  }

  /** A_ij per sample and head, `[B, H, M, M]` (rows: query token i, columns: key token j; a forward call). */
  attention(latents: readonly tf.Tensor2D[]): tf.Tensor4D {
    this.checkLatents(latents);
    return tf.tidy(() => this.forward(latents).attention);
  }

  /** M · mean over heads h and query tokens i of A_ij, `[B, M]`: the mean over modalities is 1 (a forward call). */
  modalityWeights(latents: readonly tf.Tensor2D[]): tf.Tensor2D {
    this.checkLatents(latents);
    return tf.tidy(() => tf.mul(tf.mean(this.forward(latents).attention, [1, 2]), latents.length) as tf.Tensor2D);
  }

  /**
   * σ̂ the last forward call used, by parameter name of the kernel (empty without spectral
   * normalisation).
   */
  spectralEstimates(): Record<string, number> {
    return Object.fromEntries(this.matrices().flatMap((m) => (this.options.spectralNorm ? [[`${this.name}/${m.local}/kernel`, m.spectralEstimate() as number]] : [])));
  }

  /** Advances every spectral power iteration by `steps` without a forward call (e.g. after loading weights). */
  refineSpectralEstimates(steps: number): void {
    for (const m of this.matrices()) m.refine(steps);
  }

  /**
   * Upper bound of the Lipschitz constant on ‖x_i‖ ≤ inputRadius for the weights as they are now;
   * Infinity without a radius (see tokenAttentionLipschitzBound for the derivation).
   */
  certifiedLipschitz(domain: TokenAttentionDomain = {}): LipschitzCertificate {
    return tokenAttentionLipschitzBound(() => this.appliedNorms(), this.inputSizes.length, domain);
  }

  getConfig(): ComponentConfig {
    return { type: 'token-attention', ...this.options };
  }

  dispose(): void {
    for (const m of this.matrices()) m.dispose();
    this.params.dispose();
  }

  /** Float64 norms of the matrices as the next forward call applies them. */
  private appliedNorms(): TokenAttentionNorms {
    const tokens = this.tokens.map((m) => m.applied());
    return {
      tokens: tokens.map(appliedNorm),
      heads: this.heads.map((head) => {
        const value = head.value.applied();
        return {
          scores: appliedProductNorm(head.query.applied(), head.key.applied(), true),
          values: tokens.map((token) => appliedProductNorm(token, value, false)),
        };
      }),
      output: appliedNorm(this.output.applied()),
      headSize: this.headSize,
      residual: this.options.residual,
    };
  }

  private matrices(): TokenMatrix[] {
    return [...this.tokens, ...this.heads.flatMap((head) => HEAD_PROJECTIONS.map((kind) => head[kind])), this.output];
  }

  private forward(latents: readonly tf.Tensor2D[]): { attention: tf.Tensor4D; output: tf.Tensor2D } {
    const B = latents[0].shape[0];
    const M = latents.length;
    const { tokenSize: D, heads: H } = this.options;
    const dh = this.headSize;
    // [B·M, D], sample-major: row b·M + i is t_i of sample b
    const tokens = tf.reshape(tf.stack(latents.map((x, i) => this.tokens[i].apply(x)), 1), [B * M, D]) as tf.Tensor2D;
    // [B·H, M, D/H] for one kind of projection, all heads from one matmul
    const project = (kind: HeadProjection): tf.Tensor3D => {
      const matrices = this.heads.map((head) => head[kind]);
      let y: tf.Tensor = tf.reshape(tf.matMul(tokens, tf.concat(matrices.map((m) => m.kernel as tf.Tensor2D), 1)), [B, M, H, dh]);
      if (this.options.spectralNorm) y = tf.div(y, tf.reshape(tf.stack(matrices.map((m) => m.divisor() as tf.Scalar)), [1, 1, H, 1]));
      return tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B * H, M, dh]) as tf.Tensor3D;
    };
    const [q, k, v] = HEAD_PROJECTIONS.map(project);
    const weights = tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh))) as tf.Tensor3D;
    const mixed = tf.matMul(weights, v); // [B·H, M, D/H]
    const joined = tf.reshape(tf.transpose(tf.reshape(mixed, [B, H, M, dh]), [0, 2, 1, 3]), [B * M, D]) as tf.Tensor2D;
    const attended = this.output.apply(joined);
    const y = this.options.residual ? tf.add(tokens, attended) : attended;
    return { attention: tf.reshape(weights, [B, H, M, M]) as tf.Tensor4D, output: tf.reshape(y, [B, M * D]) as tf.Tensor2D };
  }

  private checkLatents(latents: readonly tf.Tensor2D[]): void {
    checkFusionLatents(this.name, this.inputSizes, this.modalityNames, latents);
  }
}

export function createTokenAttentionFusion(options: TokenAttentionOptions, context: FusionContext): TokenAttentionFusion {
  const names = fusionModalityNames(context);
  return new TokenAttentionFusion(context.name, context.inputSizes, options, context.seed, names);
}
