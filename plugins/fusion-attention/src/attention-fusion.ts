import * as tf from '@tensorflow/tfjs-core';
import { CertifiedLipschitz, checkFusionLatents, ComponentConfig, Fusion, FusionContext, fusionModalityNames, LipschitzCertificate, ModalityWeighting, Parameter, UserInputError } from '@mmfuse/core';
import { ParameterSet } from '@mmfuse/core';
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
  /** g_i, the factor of latent i, `[B, 1]` each. */
  readonly gates: tf.Tensor2D[];
}

let gainCounter = 0;

/**
 * Pairwise-averaged multimodal bilinear attention (Definition 4.1) with the stabilising options of
 * Section 4.5, and the variants that change its scores or its gate. For latents x_i ∈ R^{d_i}:
 *   u_i = x_i / max(‖x_i‖, ε) (or x_i),  p_i = P_i(u_i) ∈ R^k,  s_ij = p_iᵀ p_j / c (c = √k or 1),
 *   α_i = 1/(M−1) Σ_{j≠i} s_ij  (pairwise)  or  α_i = 1/M Σ_j q_iᵀ k_j / c  (query-key),
 *   g_i = α_i | 1 + γα_i | exp(γα_i) | M·softmax_i(γα),   f(x) = [g_1 v_1; …; g_M v_M]  (v_i = x_i or u_i).
 * The defaults (pairwise, linear gate) are Definition 4.1. Everything is batched over rows; each
 * pairwise score s_ij is computed once and shared by α_i and α_j.
 */
export class AttentionFusion implements Fusion, CertifiedLipschitz, ModalityWeighting {
  readonly outputSize: number;
  readonly options: Readonly<Required<AttentionFusionOptions>>;
  private readonly params: ParameterSet;
  /** P_i (pairwise scores) or the query maps Q_i (query-key scores). */
  private readonly projections: AttentionProjectionMap[];
  /** The key maps K_i of query-key scores (empty for pairwise). */
  private readonly keys: AttentionProjectionMap[];
  /** γ as a trainable scalar when `learnGain`. */
  private readonly gain?: tf.Variable;

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
    const { gate, scores, gateGain, learnGain } = this.options;
    if (gate === 'linear' && (gateGain !== 1 || learnGain)) {
      throw new UserInputError('the attention fusion\'s linear gate (Definition 4.1) has no gain: gateGain and learnGain apply to the residual, exponential and softmax gates');
    }
    if (gate === 'softmax' && scores === 'pairwise' && inputSizes.length === 2) {
      throw new UserInputError('the attention fusion\'s softmax gate over pairwise scores is concatenation at M = 2 (α_1 = α_2, so both weights are 1); use scores: "query-key"');
    }
    this.outputSize = inputSizes.reduce((a, b) => a + b, 0);
    this.params = new ParameterSet(name, seed, this.options.init);
    const projectionMaps = (prefix: string) =>
      inputSizes.map(
        (inputSize, i) =>
          new AttentionProjectionMap(this.params, `${prefix}${i}`, {
            owner: name,
            kind: this.options.projection,
            inputSize,
            outputSize: this.options.projectionSize,
            spectralNorm: this.options.spectralNorm,
            spectralMode: this.options.spectralMode,
            powerIterations: this.options.powerIterations,
            seed,
          }),
      );
    // pairwise keeps Definition 4.1's parameter names (projection<i>), so configs and checkpoints stay valid
    this.projections = projectionMaps(scores === 'pairwise' ? 'projection' : 'query');
    this.keys = scores === 'pairwise' ? [] : projectionMaps('key');
    if (learnGain) {
      const initial = tf.scalar(gateGain);
      this.gain = tf.variable(initial, true, `${name}/gate-gain#${++gainCounter}`);
      initial.dispose();
      this.params.parameters.push({ name: `${name}/gate-gain`, variable: this.gain });
    }
  }

  get parameters(): readonly Parameter[] {
    return this.params.parameters;
  }

  /** Spectral normalisation's persistent vectors, `fusion/<projection|query|key><i>/power-iteration<l>`. */
  get buffers(): readonly Parameter[] {
    return [...this.projections, ...this.keys].flatMap((p) => p.powerIterationVectors().map((variable, l) => ({ name: `${this.name}/${p.prefix}/power-iteration${l}`, variable })));
  }

  /** γ as the next forward call uses it. */
  get gateGain(): number {
    return this.gain ? this.gain.dataSync()[0] : this.options.gateGain;
  }

  readonly modalityWeightsDescription = 'g_i, the factor that multiplies latent i';

  /** c, the divisor of every score. */
  get scoreScale(): number {
    return this.options.scaleScores ? Math.sqrt(this.options.projectionSize) : 1;
  }

  apply(latents: readonly tf.Tensor2D[]): tf.Tensor2D {
    this.checkLatents(latents);
    return tf.tidy(() => {
      const { projected, gates } = this.forward(latents);
      const scaled = gates.map((g, i) => tf.mul(g, this.options.scale === 'input' ? latents[i] : projected[i]));
      return tf.concat(scaled, 1) as tf.Tensor2D;
    });
  }

  /** The coefficients α `[B, M]` (a forward call: it advances the spectral power iteration too). */
  coefficients(latents: readonly tf.Tensor2D[]): tf.Tensor2D {
    this.checkLatents(latents);
    return tf.tidy(() => tf.concat(this.forward(latents).coefficients, 1) as tf.Tensor2D);
  }

  /** The gates g `[B, M]` (a forward call: it advances the spectral power iteration too). */
  modalityWeights(latents: readonly tf.Tensor2D[]): tf.Tensor2D {
    this.checkLatents(latents);
    return tf.tidy(() => tf.concat(this.forward(latents).gates, 1) as tf.Tensor2D);
  }

  /** σ̂ per modality and projection layer as the last forward call used (empty lists without spectral norm); queries then keys for query-key scores. */
  spectralEstimates(): number[][] {
    return [...this.projections, ...this.keys].map((p) => p.spectralEstimates());
  }

  /** W_i (k × d_i) of each linear projection as the last forward call applied it (Ŵ_i with spectral norm); the queries for query-key scores. */
  projectionMatrices(): number[][][] {
    return this.projections.map((p) => p.appliedMatrix());
  }

  /** The key matrices K_i (k × d_i) of query-key scores as the last forward call applied them. */
  keyMatrices(): number[][][] {
    return this.keys.map((p) => p.appliedMatrix());
  }

  /** Advances every spectral power iteration by `steps` without a forward call (e.g. after loading weights). */
  refineSpectralEstimates(steps: number): void {
    for (const p of [...this.projections, ...this.keys]) p.refineSpectralEstimates(steps);
  }

  /**
   * Upper bound of the Lipschitz constant on the domain `minInputNorm ≤ ‖x_i‖ ≤ inputRadius`, for
   * the weights as they are now (see attentionLipschitzBound for the derivation).
   */
  certifiedLipschitz(domain: AttentionDomain = {}): LipschitzCertificate {
    return attentionLipschitzBound(
      {
        projections: this.projections.map((p) => p.layerNorms()),
        keys: this.keys.length > 0 ? this.keys.map((p) => p.layerNorms()) : undefined,
        normalizeInputs: this.options.normalizeInputs,
        epsilon: this.options.epsilon,
        scoreScale: this.scoreScale,
        scale: this.options.scale,
        scores: this.options.scores,
        gate: this.options.gate,
        gain: this.gateGain,
      },
      domain,
    );
  }

  getConfig(): ComponentConfig {
    // the linear gate has no gain, so its config does not carry one
    const { gateGain, ...rest } = this.options;
    return this.options.gate === 'linear' ? { type: 'attention', ...rest } : { type: 'attention', ...this.options, gateGain };
  }

  dispose(): void {
    for (const p of [...this.projections, ...this.keys]) p.dispose();
    this.params.dispose();
  }

  private forward(latents: readonly tf.Tensor2D[]): AttentionForward {
    const projected = latents.map((x) => (this.options.normalizeInputs ? unitRows(x, this.options.epsilon) : x));
    const coefficients = this.options.scores === 'pairwise' ? this.pairwiseScores(projected) : this.queryKeyScores(projected);
    return { projected, coefficients, gates: this.gates(coefficients) };
  }

  /** α_i = 1/(M−1) Σ_{j≠i} p_iᵀp_j / c; s_ij = s_ji is one [B, 1] tensor per unordered pair. */
  private pairwiseScores(projected: readonly tf.Tensor2D[]): tf.Tensor2D[] {
    const p = projected.map((u, i) => this.projections[i].apply(u));
    const M = projected.length;
    const scores: tf.Tensor2D[][] = Array.from({ length: M }, () => new Array<tf.Tensor2D>(M));
    for (let i = 0; i < M; i++) {
      for (let j = i + 1; j < M; j++) {
        scores[i][j] = scores[j][i] = tf.sum(tf.mul(p[i], p[j]), 1, true) as tf.Tensor2D;
      }
    }
    const factor = 1 / ((M - 1) * this.scoreScale);
    return scores.map((row, i) => {
      const others = row.filter((_, j) => j !== i);
      return tf.mul(others.length === 1 ? others[0] : tf.addN(others), factor) as tf.Tensor2D;
    });
  }

  /** α_i = q_iᵀ k̄ / (Mc) with k̄ = Σ_j k_j: the mean of q_iᵀk_j over every j, self included. */
  private queryKeyScores(projected: readonly tf.Tensor2D[]): tf.Tensor2D[] {
    const M = projected.length;
    const keySum = tf.addN(projected.map((u, j) => this.keys[j].apply(u)));
    const factor = 1 / (M * this.scoreScale);
    return projected.map((u, i) => tf.mul(tf.sum(tf.mul(this.projections[i].apply(u), keySum), 1, true), factor) as tf.Tensor2D);
  }

  private gates(alpha: tf.Tensor2D[]): tf.Tensor2D[] {
    const gain = (this.gain as tf.Scalar | undefined) ?? this.options.gateGain;
    switch (this.options.gate) {
      case 'linear':
        return alpha;
      case 'residual':
        return alpha.map((a) => tf.add(1, tf.mul(a, gain)) as tf.Tensor2D);
      case 'exponential':
        return alpha.map((a) => tf.exp(tf.mul(a, gain)) as tf.Tensor2D);
      case 'softmax': {
        const M = alpha.length;
        const weights = tf.mul(tf.softmax(tf.mul(tf.concat(alpha, 1), gain) as tf.Tensor2D), M) as tf.Tensor2D;
        return tf.split(weights, M, 1) as tf.Tensor2D[];
      }
    }
  }

  private checkLatents(latents: readonly tf.Tensor2D[]): void {
    checkFusionLatents(this.name, this.inputSizes, this.modalityNames, latents);
  }
}

export function createAttentionFusion(options: AttentionFusionOptions, context: FusionContext): AttentionFusion {
  const names = fusionModalityNames(context);
  return new AttentionFusion(context.name, context.inputSizes, options, context.seed, names);
}
