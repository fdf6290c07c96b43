import type { Scalar, Tensor, Tensor2D, Variable } from '@tensorflow/tfjs-core';
import type { ModalitySpec } from './data';

/**
 * A separately callable, differentiable part of a model that owns named trainable variables.
 * Estimators, regularizers and reports address sub-models by `name`
 * (`encoder:camera`, `decoder:joints`, `fusion`).
 */
export interface SubModel {
  readonly name: string;
  /**
   * Trainable parameters with stable names (`encoder:camera/conv0/kernel`) that regularizers,
   * checkpoints and estimators address. (tf.Variable names carry a unique suffix, since tfjs
   * requires them unique per process.)
   */
  readonly parameters: readonly Parameter[];
  /**
   * Non-trainable state that the forward pass updates (e.g. the persistent vectors of spectral
   * normalisation): saved in checkpoints so a resumed trial continues exactly.
   */
  readonly buffers?: readonly Parameter[];
  /** The options that rebuild this sub-model (config round trip), `type` included. */
  getConfig(): ComponentConfig;
  dispose(): void;
}

export interface Parameter {
  readonly name: string;
  readonly variable: Variable;
}

/** Maps one modality's batch `[B, ...shape]` to flat latents `[B, outputSize]`. */
export interface Encoder extends SubModel {
  readonly modality: ModalitySpec;
  readonly outputSize: number;
  apply(x: Tensor): Tensor2D;
}

/** Maps the fused representation `[B, inputSize]` back to one modality `[B, ...shape]`. */
export interface Decoder extends SubModel {
  readonly modality: ModalitySpec;
  readonly inputSize: number;
  apply(z: Tensor2D): Tensor;
}

/** Joins the modalities' latents `[B, d_m]` into one representation `[B, outputSize]`. */
export interface Fusion extends SubModel {
  readonly inputSizes: readonly number[];
  readonly outputSize: number;
  apply(latents: readonly Tensor2D[]): Tensor2D;
}

export interface EncoderContext {
  readonly name: string;
  readonly modality: ModalitySpec;
  readonly seed: number;
}

export interface DecoderContext {
  readonly name: string;
  readonly modality: ModalitySpec;
  /** Size of the fused representation the decoder reads. */
  readonly inputSize: number;
  /** The same modality's encoder, for decoders that mirror it. */
  readonly encoder: Encoder;
  readonly seed: number;
}

export interface FusionContext {
  readonly name: string;
  readonly modalities: readonly ModalitySpec[];
  readonly inputSizes: readonly number[];
  readonly seed: number;
}

/** The modalities' names in the order of a fusion's inputs, when the context lists them all. */
export function fusionModalityNames(context: FusionContext): string[] | undefined {
  return context.modalities.length === context.inputSizes.length ? context.modalities.map((m) => m.name) : undefined;
}

/** Throws unless `latents` are one `[B, d_i]` tensor per modality, with one B, as a fusion expects. */
export function checkFusionLatents(fusion: string, inputSizes: readonly number[], modalityNames: readonly string[], latents: readonly Tensor2D[]): void {
  if (latents.length !== inputSizes.length) {
    throw new Error(`${fusion}: expected ${inputSizes.length} latents (${modalityNames.join(', ')}), got ${latents.length}`);
  }
  latents.forEach((x, i) => {
    if (x.rank !== 2 || x.shape[1] !== inputSizes[i] || x.shape[0] !== latents[0].shape[0]) {
      throw new Error(`${fusion}: latent of ${modalityNames[i]} has shape [${x.shape.join(', ')}]; expected [${latents[0].shape[0]}, ${inputSizes[i]}]`);
    }
  });
}

/** A component as written in a config: its registered `type` and its options. */
export interface ComponentConfig {
  readonly type: string;
  readonly [option: string]: unknown;
}

/** The assembled multimodal autoencoder: one encoder and decoder per modality and a fusion. */
export interface MultimodalModel {
  readonly encoders: readonly Encoder[];
  readonly fusion: Fusion;
  readonly decoders: readonly Decoder[];
  /** Every sub-model by name. */
  subModels(): SubModel[];
  /** Fused representation of a batch (one tensor per modality, in model order). */
  encode(inputs: readonly Tensor[]): Tensor2D;
  /** Reconstruction of every modality. */
  apply(inputs: readonly Tensor[]): Tensor[];
  dispose(): void;
}

/**
 * An extra loss term (e.g. an L2 penalty on the fusion's projections), or a constraint applied to
 * the weights after every optimiser step (e.g. a spectral-norm projection), or both.
 */
export interface Regularizer {
  readonly name: string;
  /** Added to the loss; differentiable in the model's variables. */
  penalty?(model: MultimodalModel): Scalar;
  /** Called after each optimiser step, outside the gradient tape (may assign variables). */
  afterStep?(model: MultimodalModel): void;
  getConfig?(): ComponentConfig;
}

export interface RegularizerContext {
  readonly name: string;
}

/** An upper bound of a sub-model's Lipschitz constant, with what it assumes. */
export interface LipschitzCertificate {
  readonly value: number;
  /** Norms on input and output (e.g. `l2`, or `l2 (product norm over modalities)`). */
  readonly norm: string;
  /** How the bound was obtained and what it assumes (domain radius, convention). */
  readonly assumptions: string;
  /**
   * Whether `value` relies on the domain it was given, and so holds there only. Optional: when
   * absent, callers find out by certifying again without a domain.
   */
  readonly usesDomain?: boolean;
}

/**
 * A sub-model that can certify an upper bound of its own Lipschitz constant. The certificate is
 * computed on the host from the sub-model's parameters and buffers, which it may read
 * synchronously: callers first run `readWeightsToHost`, since GPU backends under Node read only
 * asynchronously. It should read no other tensor.
 */
export interface CertifiedLipschitz {
  /**
   * `inputRadius` bounds the norm of each input on the domain and `minInputNorm` bounds it from
   * below, for maps that need them (e.g. ones that normalise their inputs).
   */
  certifiedLipschitz(domain?: { readonly inputRadius?: number; readonly minInputNorm?: number }): LipschitzCertificate;
}

/**
 * Reads every parameter and buffer of a sub-model back to the host, asynchronously. Backends keep
 * the values beside the device copy until the variable is next assigned, so synchronous reads of
 * them (`dataSync`) then work on every backend, WebGPU under Node included.
 */
export async function readWeightsToHost(subModel: SubModel): Promise<void> {
  await Promise.all([...subModel.parameters, ...(subModel.buffers ?? [])].map((p) => p.variable.data()));
}

export function hasCertifiedLipschitz(value: unknown): value is CertifiedLipschitz {
  return typeof (value as CertifiedLipschitz | undefined)?.certifiedLipschitz === 'function';
}

/**
 * A fusion whose output weights the modalities by input-dependent factors. The weights are
 * normalised so that a fusion that treats every modality alike (concatenation) has weight 1 for
 * each: their mean over the modalities is 1 where the fusion allows it, and an analysis can see
 * whether they vary across samples and between modalities (a gate that barely moves is
 * concatenation in disguise).
 */
export interface ModalityWeighting {
  /**
   * The weight of each modality per sample, `[B, M]` (a forward call). For fusions that weight
   * features rather than whole latents, the mean over each modality's features.
   */
  modalityWeights(latents: readonly Tensor2D[]): Tensor2D;
  /** What the weights are, in one sentence (for reports). */
  readonly modalityWeightsDescription: string;
}

export function hasModalityWeights(value: unknown): value is ModalityWeighting {
  return typeof (value as ModalityWeighting | undefined)?.modalityWeights === 'function';
}

/**
 * One step of a feed-forward sub-model, in order, for certified bounds and layer-wise analysis.
 * Biases are left out: they do not change a Lipschitz constant.
 */
export type LayerDescription =
  /** y = x · kernel, kernel `[in, out]`. */
  | { readonly kind: 'dense'; readonly name: string; readonly kernel: Variable }
  /** NHWC convolution, kernel `[kh, kw, in, out]`, explicit pads [top, bottom, left, right]. */
  | {
      readonly kind: 'conv2d' | 'conv2d-transpose';
      readonly name: string;
      readonly kernel: Variable;
      /** `[h, w, c]` of the layer's input and output (for a transposed conv, its own input/output). */
      readonly inShape: readonly [number, number, number];
      readonly outShape: readonly [number, number, number];
      readonly stride: readonly [number, number];
      readonly pads: readonly [number, number, number, number];
    }
  /** Element-wise nonlinearity with its Lipschitz constant. */
  | { readonly kind: 'activation'; readonly name: string; readonly lipschitz: number };

/** A sub-model that can list its layers. */
export interface DescribesLayers {
  describeLayers(): LayerDescription[];
}

export function describesLayers(value: unknown): value is DescribesLayers {
  return typeof (value as DescribesLayers | undefined)?.describeLayers === 'function';
}
