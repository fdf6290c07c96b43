import * as tf from '@tensorflow/tfjs-core';
import { CertifiedLipschitz, ComponentConfig, Fusion, FusionContext, LipschitzCertificate, Parameter, UserInputError } from '@mmfuse/core';
import { ParameterSet } from '@mmfuse/encoders';
import { AttentionFusionOptions, resolveAttentionOptions } from './attention-fusion-options';
import { attentionLipschitzBound, AttentionDomain } from './attention-lipschitz-bound';
import { AttentionProjectionMap } from './attention-projection';
import { unitRows } from './unit-rows';

/** What one forward pass computes besides the output. */
interface AttentionForward {
  /** u_i: the vectors that are projected (x̂_i or x_i), `[B, d_i]` each. */
  readonly projected: tf.Tensor2D[];
  /** α_i, `[B, 1]` each. */
  readonly coefficients: tf.Tensor2D[];
}

/**
 * Pairwise-averaged multimodal bilinear attention (Definition 4.1) with the stabilising options of
 * Section 4.5. For latents x_i ∈ R^{d_i}:
 *   u_i = x_i / max(‖x_i‖, ε) (or x_i),  p_i = P_i(u_i) ∈ R^k,  s_ij = p_iᵀ p_j / c (c = √k or 1),
 *   α_i = 1/(M−1) Σ_{j≠i} s_ij,  f(x) = [α_1 v_1; …; α_M v_M]  (v_i = x_i or u_i).
 * Everything is batched over rows; each score s_ij is computed once and shared by α_i and α_j.
 */
export class AttentionFusion implements Fusion, CertifiedLipschitz {
  readonly outputSize: number;
  readonly options: Readonly<Required<AttentionFusionOptions>>;
  private readonly params: ParameterSet;
  private readonly projections: AttentionProjectionMap[];

  constructor(
    readonly name: string,
    readonly inputSizes: readonly number[],
    options: Partial<AttentionFusionOptions> = {},
    seed = 0,
    private readonly modalityNames: readonly string[] = inputSizes.map((_, i) => `modality ${i}`),
  ) {
    if (inputSizes.length < 2) {
      throw new UserInputError(`the attention fusion scores pairs of modalities, so it needs at least two; got ${inputSizes.length}`);
    }
    this.options = resolveAttentionOptions(options, inputSizes);
    if (this.options.scale === 'normalized' && !this.options.normalizeInputs) {
      throw new UserInputError('the attention fusion\'s scale "normalized" multiplies the normalised latents, so it needs normalizeInputs: true (or use scale "input")');
    }
    this.outputSize = inputSizes.reduce((a, b) => a + b, 0);
    this.params = new ParameterSet(name, seed, this.options.init);
    this.projections = inputSizes.map(
      (inputSize, i) =>
        new AttentionProjectionMap(this.params, `projection${i}`, {
          owner: name,
          kind: this.options.projection,
          inputSize,
          outputSize: this.options.projectionSize,
          spectralNorm: this.options.spectralNorm,
          powerIterations: this.options.powerIterations,
          seed,
        }),
    );
  }

  get parameters(): readonly Parameter[] {
    return this.params.parameters;
  }

  /** Spectral normalisation's persistent vectors, `fusion/projection<i>/power-iteration<l>`. */
  get buffers(): readonly Parameter[] {
    return this.projections.flatMap((p, i) => p.powerIterationVectors().map((variable, l) => ({ name: `${this.name}/projection${i}/power-iteration${l}`, variable })));
  }

  /** c, the divisor of every score. */
  get scoreScale(): number {
    return this.options.scaleScores ? Math.sqrt(this.options.projectionSize) : 1;
  }

  apply(latents: readonly tf.Tensor2D[]): tf.Tensor2D {
    this.checkLatents(latents);
    return tf.tidy(() => {
      const { projected, coefficients } = this.forward(latents);
      const scaled = coefficients.map((alpha, i) => tf.mul(alpha, this.options.scale === 'input' ? latents[i] : projected[i]));
      return tf.concat(scaled, 1) as tf.Tensor2D;
    });
  }

  /** The coefficients α `[B, M]` (a forward call: it advances the spectral power iteration too). */
  coefficients(latents: readonly tf.Tensor2D[]): tf.Tensor2D {
    this.checkLatents(latents);
    return tf.tidy(() => tf.concat(this.forward(latents).coefficients, 1) as tf.Tensor2D);
  }

  /** σ̂ per modality and projection layer as the last forward call used (empty lists without spectral norm). */
  spectralEstimates(): number[][] {
    return this.projections.map((p) => p.spectralEstimates());
  }

  /** W_i (k × d_i) of each linear projection as the last forward call applied it (Ŵ_i with spectral norm). */
  projectionMatrices(): number[][][] {
    return this.projections.map((p) => p.appliedMatrix());
  }

  /** Advances every spectral power iteration by `steps` without a forward call (e.g. after loading weights). */
  refineSpectralEstimates(steps: number): void {
    for (const p of this.projections) p.refineSpectralEstimates(steps);
  }

  /**
   * Upper bound of the Lipschitz constant on the domain `minInputNorm ≤ ‖x_i‖ ≤ inputRadius`, for
   * the weights as they are now (see attentionLipschitzBound for the derivation).
   */
  certifiedLipschitz(domain: AttentionDomain = {}): LipschitzCertificate {
    return attentionLipschitzBound(
      {
        projections: this.projections.map((p) => p.layerNorms()),
        normalizeInputs: this.options.normalizeInputs,
        epsilon: this.options.epsilon,
        scoreScale: this.scoreScale,
        scale: this.options.scale,
      },
      domain,
    );
  }

  getConfig(): ComponentConfig {
    return { type: 'attention', ...this.options };
  }

  dispose(): void {
    for (const p of this.projections) p.dispose();
    this.params.dispose();
  }

  private forward(latents: readonly tf.Tensor2D[]): AttentionForward {
    const projected = latents.map((x) => (this.options.normalizeInputs ? unitRows(x, this.options.epsilon) : x));
    const p = projected.map((u, i) => this.projections[i].apply(u));
    const M = latents.length;
    // s_ij = s_ji: one [B, 1] tensor per unordered pair
    const scores: tf.Tensor2D[][] = Array.from({ length: M }, () => new Array<tf.Tensor2D>(M));
    for (let i = 0; i < M; i++) {
      for (let j = i + 1; j < M; j++) {
        scores[i][j] = scores[j][i] = tf.sum(tf.mul(p[i], p[j]), 1, true) as tf.Tensor2D;
      }
    }
    const factor = 1 / ((M - 1) * this.scoreScale);
    const coefficients = scores.map((row, i) => {
      const others = row.filter((_, j) => j !== i);
      return tf.mul(others.length === 1 ? others[0] : tf.addN(others), factor) as tf.Tensor2D;
    });
    return { projected, coefficients };
  }

  private checkLatents(latents: readonly tf.Tensor2D[]): void {
    if (latents.length !== this.inputSizes.length) {
      throw new Error(`${this.name}: expected ${this.inputSizes.length} latents (${this.modalityNames.join(', ')}), got ${latents.length}`);
    }
    latents.forEach((x, i) => {
      if (x.rank !== 2 || x.shape[1] !== this.inputSizes[i] || x.shape[0] !== latents[0].shape[0]) {
        throw new Error(`${this.name}: latent of ${this.modalityNames[i]} has shape [${x.shape.join(', ')}]; expected [${latents[0].shape[0]}, ${this.inputSizes[i]}]`);
      }
    });
  }
}

export function createAttentionFusion(options: AttentionFusionOptions, context: FusionContext): AttentionFusion {
  const names = context.modalities.length === context.inputSizes.length ? context.modalities.map((m) => m.name) : undefined;
  return new AttentionFusion(context.name, context.inputSizes, options, context.seed, names);
}
