import * as tf from '@tensorflow/tfjs-core';
import { CertifiedLipschitz, deriveSeed, describesLayers, hasCertifiedLipschitz, LayerDescription, MultimodalModel, readWeightsToHost, sampleSize, SubModel } from '@mmfuse/core';
import { convNormUpperBound, convOperator, convPowerIteration } from './conv-operator-norm';
import { COMMON_ESTIMATOR_PROPERTIES, CommonEstimatorOptions, Estimator } from './estimator';
import type { CertificateDomain, LayerNormBound, LipschitzResult } from './lipschitz-result';
import type { LipschitzTarget } from './lipschitz-target';
import { spectralNormBounds } from './matrix-norm-bounds';
import { readAndDispose } from './row-ops';
import { latentRows, splitModelRows } from './sub-model-targets';

export interface CertifiedBoundOptions extends CommonEstimatorOptions {
  type: 'certified-bound';
  /** Power iterations per convolution and call for the lower companion of each layer norm (0 = none). */
  iterations: number;
  /** Power iterations per convolution when no earlier vector is kept. */
  coldIterations: number;
  warmStart: boolean;
}

export const CERTIFIED_BOUND_DEFAULTS: Omit<CertifiedBoundOptions, 'type'> = { iterations: 1, coldIterations: 6, warmStart: true, samples: 0, seed: 0 };

export const CERTIFIED_BOUND_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    type: { const: 'certified-bound', description: 'A true upper bound of the l2 Lipschitz constant: the sub-model\'s own certificate, or the product over layers of rigorous bounds of ‖W_l‖₂ times Lip(σ_l).' },
    iterations: { type: 'integer', minimum: 0, maximum: 1000, default: CERTIFIED_BOUND_DEFAULTS.iterations, description: 'Power iterations per convolution and evaluation for the lower companion of each layer norm (shows how tight the certificate is; 0 = skip).' },
    coldIterations: { type: 'integer', minimum: 0, maximum: 1000, default: CERTIFIED_BOUND_DEFAULTS.coldIterations, description: 'Power iterations per convolution when no vector from an earlier evaluation is kept.' },
    warmStart: { type: 'boolean', default: CERTIFIED_BOUND_DEFAULTS.warmStart, description: 'Keep each convolution\'s power-iteration vector between evaluations.' },
    ...COMMON_ESTIMATOR_PROPERTIES,
  },
};

const WHOLE_MODEL_CONVENTION =
  'encoders on separate inputs under the product norm (max_m L(E_m)), the fusion on the concatenated latents, decoders reading one shared z (√Σ_m L(D_m)² under the product norm of the outputs)';

/**
 * Upper bounds of the l2 Lipschitz constant that hold for every input: a sub-model's own
 * certificate (`CertifiedLipschitz`), else the product over its layers (`describeLayers()`) of
 * rigorous operator-norm bounds and activation constants, and for the whole model the composition
 * of its sub-models' bounds.
 */
export class CertifiedBoundEstimator implements Estimator {
  readonly type = 'certified-bound' as const;
  readonly options: CertifiedBoundOptions;
  private readonly vectors = new Map<string, tf.Tensor4D>();
  /**
   * Sub-model bounds of the current evaluation (weights fixed), by domain, reused by the
   * whole-model bound: the fusion's domain comes from the same tracked samples there.
   */
  private evaluation: Map<SubModel, Map<string, Promise<LipschitzResult | undefined>>> | undefined;

  constructor(options: Partial<CertifiedBoundOptions> = {}) {
    this.options = { ...CERTIFIED_BOUND_DEFAULTS, ...options, type: 'certified-bound' };
  }

  /** Bounds computed until `endEvaluation` are reused (the weights must not change in between). */
  startEvaluation(): void {
    this.evaluation = new Map();
  }

  endEvaluation(): void {
    this.evaluation = undefined;
  }

  async estimate(target: LipschitzTarget, x?: tf.Tensor2D, seed = 0): Promise<LipschitzResult | undefined> {
    const started = performance.now();
    const source = target.source;
    if (!source) return undefined;
    if (target.kind === 'model') return this.certifyModel(source as MultimodalModel, x, seed, started);
    const domain = target.kind === 'fusion' && x ? await latentDomain(x, (source as { inputSizes?: readonly number[] }).inputSizes ?? [x.shape[1]]) : undefined;
    return this.certifySubModel(source as SubModel, domain, seed, started);
  }

  /**
   * The bound of one sub-model; `domain` (the range of latent norms seen on the samples) goes to
   * certificates that need a bounded domain, such as the attention fusion's.
   */
  certifySubModel(subModel: SubModel, domain?: LatentDomain, seed = 0, started = performance.now()): Promise<LipschitzResult | undefined> {
    const key = domain ? `${domain.inputRadius}|${domain.minInputNorm}` : '';
    const known = this.evaluation?.get(subModel)?.get(key);
    if (known) return known;
    const result = this.certifyAnew(subModel, domain, seed, started);
    if (this.evaluation) this.evaluation.set(subModel, (this.evaluation.get(subModel) ?? new Map()).set(key, result));
    return result;
  }

  private async certifyAnew(subModel: SubModel, domain: LatentDomain | undefined, seed: number, started: number): Promise<LipschitzResult | undefined> {
    let result: LipschitzResult | undefined;
    if (hasCertifiedLipschitz(subModel)) {
      // Certificates read their weights synchronously, which WebGPU under Node allows only for
      // values already read back; one asynchronous read of the sub-model's weights provides them.
      await readWeightsToHost(subModel);
      // minInputNorm is read by certificates that need it (attention with normalised inputs) and ignored by others.
      const certificate = subModel.certifiedLipschitz(domain);
      const conditional = domain !== undefined && (certificate.usesDomain ?? dependsOnDomain(subModel, certificate.value));
      result = {
        estimator: this.type,
        quantity: 'certified',
        bound: 'upper',
        of: `the l2 Lipschitz constant of ${subModel.name}${conditional ? ' on the domain' : ''}`,
        relation: conditional ? 'L ≤ value for inputs in `domain` only' : 'L ≤ value for every input',
        value: certificate.value,
        samples: 0,
        seconds: (performance.now() - started) / 1000,
        method: `the sub-model's own certificate: ${certificate.assumptions}`,
        norm: certificate.norm,
        assumptions: conditional
          ? `${certificate.assumptions}; holds on ${domain.minInputNorm.toPrecision(4)} ≤ ‖h_m‖ ≤ ${domain.inputRadius.toPrecision(4)} (${domain.source}), not globally`
          : certificate.assumptions,
        ...(conditional ? { domain } : {}),
      };
    } else if (describesLayers(subModel)) {
      const layers: LayerNormBound[] = [];
      for (const layer of subModel.describeLayers()) layers.push(await this.layerBound(subModel.name, layer, seed));
      result = {
        estimator: this.type,
        quantity: 'certified',
        bound: 'upper',
        of: `the l2 Lipschitz constant of ${subModel.name}`,
        relation: 'L ≤ value for every input',
        value: layers.reduce((p, l) => p * l.upper, 1),
        samples: 0,
        seconds: (performance.now() - started) / 1000,
        method: 'product over layers of rigorous bounds of ‖W_l‖₂ (dense: Gram trace bound; convolutions: least of the polyphase-symbol, operator-matrix and Schur bounds) times Lip(σ_l)',
        norm: 'l2',
        assumptions: 'biases do not change a Lipschitz constant; reshapes between layers are isometries',
        layers,
        details: layerGaps(layers),
      };
    }
    return result;
  }

  /**
   * Composition bound of the whole model, from its sub-models' bounds:
   * L ≤ √(Σ_m L(D_m)²) · L(A) · max_m L(E_m). Undefined when a sub-model has no bound.
   */
  async certifyModel(model: MultimodalModel, x?: tf.Tensor2D, seed = 0, started = performance.now()): Promise<LipschitzResult | undefined> {
    const encoders: Array<LipschitzResult | undefined> = [];
    for (const e of model.encoders) encoders.push(await this.certifySubModel(e, undefined, seed));
    const decoders: Array<LipschitzResult | undefined> = [];
    for (const d of model.decoders) decoders.push(await this.certifySubModel(d, undefined, seed));
    let domain: LatentDomain | undefined;
    if (x) {
      const latents = tf.tidy(() => latentRows(model, splitModelRows(model, x)));
      try {
        domain = await latentDomain(latents, model.fusion.inputSizes);
      } finally {
        latents.dispose();
      }
    }
    const fusion = await this.certifySubModel(model.fusion, domain, seed);
    if (!fusion || encoders.some((e) => !e) || decoders.some((d) => !d)) return undefined;
    const encoderPart = Math.max(...encoders.map((e) => e!.value));
    const decoderPart = Math.sqrt(decoders.reduce((s, d) => s + d!.value ** 2, 0));
    return {
      estimator: this.type,
      quantity: 'certified',
      bound: 'upper',
      of: `the l2 Lipschitz constant of the whole model (x_1..x_M) ↦ (x̂_1..x̂_M)${fusion.domain ? ' on the domain' : ''}`,
      relation: fusion.domain ? 'L ≤ value for inputs whose latents lie in `domain` only' : 'L ≤ value for every input',
      value: decoderPart * fusion.value * encoderPart,
      samples: 0,
      seconds: (performance.now() - started) / 1000,
      method: `√(Σ_m L(D_m)²) · L(fusion) · max_m L(E_m) = ${decoderPart.toPrecision(4)} · ${fusion.value.toPrecision(4)} · ${encoderPart.toPrecision(4)}`,
      norm: `l2, product norm over the modalities (inputs ${model.encoders.map((e) => sampleSize(e.modality)).join('+')}, outputs likewise)`,
      convention: WHOLE_MODEL_CONVENTION,
      assumptions: fusion.assumptions,
      ...(fusion.domain ? { domain: fusion.domain } : {}),
    };
  }

  reset(): void {
    for (const v of this.vectors.values()) v.dispose();
    this.vectors.clear();
    this.evaluation = undefined;
  }

  private async layerBound(owner: string, layer: LayerDescription, seed: number): Promise<LayerNormBound> {
    if (layer.kind === 'activation') return { name: layer.name, kind: 'activation', upper: layer.lipschitz, method: 'activation Lipschitz constant' };
    if (layer.kind === 'dense') {
      const bounds = await spectralNormBounds(layer.kernel as unknown as tf.Tensor2D, { seed: deriveSeed(seed, owner, layer.name) });
      return { name: layer.name, kind: 'dense', upper: bounds.upper, lower: bounds.lower, ...(bounds.lower > 0 ? { ratio: bounds.upper / bounds.lower } : {}), method: bounds.method };
    }
    const op = convOperator(layer);
    const bound = await convNormUpperBound(op);
    let lower: number | undefined;
    const key = `${owner}/${layer.name}`;
    const kept = this.vectors.get(key);
    const warm = this.options.warmStart && kept !== undefined;
    const iterations = warm ? this.options.iterations : this.options.coldIterations;
    if (iterations > 0) {
      const { lower: value, vector } = await convPowerIteration(op, iterations, warm ? kept : undefined, deriveSeed(seed, owner, layer.name));
      lower = value;
      kept?.dispose();
      if (this.options.warmStart) this.vectors.set(key, vector);
      else vector.dispose();
    }
    return { name: layer.name, kind: layer.kind, upper: bound.upper, lower, ...(lower !== undefined && lower > 0 ? { ratio: bound.upper / lower } : {}), method: bound.method };
  }
}

/** Whether a certificate that does not say `usesDomain` changed with the domain it was given (else it holds everywhere). */
function dependsOnDomain(subModel: CertifiedLipschitz, valueOnDomain: number): boolean {
  try {
    return subModel.certifiedLipschitz().value !== valueOnDomain;
  } catch {
    return true;
  }
}

/** `conv0 1.089 / 1.079 = 1.009; …`: each weight layer's certified bound, power-iteration estimate and ratio. */
function layerGaps(layers: readonly LayerNormBound[]): string | undefined {
  const measured = layers.filter((l) => l.kind !== 'activation' && l.ratio !== undefined);
  if (measured.length === 0) return undefined;
  return `per layer, certified upper bound / power-iteration estimate of ‖W_l‖₂ = ratio: ${measured.map((l) => `${l.name} ${l.upper.toPrecision(4)} / ${l.lower!.toPrecision(4)} = ${l.ratio!.toPrecision(4)}`).join('; ')}`;
}

/** The shell of latent norms a certificate is asked about: minInputNorm ≤ ‖h_m‖ ≤ inputRadius. */
export type LatentDomain = CertificateDomain;

/** Smallest and largest ‖h_m‖ over the rows of concatenated latents and over the modalities. */
export async function latentDomain(latents: tf.Tensor2D, sizes: readonly number[]): Promise<LatentDomain> {
  const norms = tf.tidy(() => {
    const parts = sizes.length === 1 ? [latents] : tf.split(latents, [...sizes], 1);
    return tf.stack(parts.map((p) => tf.sqrt(tf.sum(tf.square(p), 1))));
  });
  const values = await readAndDispose(norms);
  let [low, high] = [Infinity, 0];
  for (const v of values) [low, high] = [Math.min(low, v), Math.max(high, v)];
  const rows = latents.shape[0];
  // A radius of 0 (all latents zero) is no domain; certificates refuse it, so keep it positive.
  return {
    inputRadius: Math.max(high, Number.MIN_VALUE),
    minInputNorm: Math.min(low, high),
    source: `the largest and smallest latent norm ‖h_m‖ over the ${rows} sample${rows === 1 ? '' : 's'} the estimate was taken on (every modality)`,
  };
}
