import * as tf from '@tensorflow/tfjs-core';
import { ComponentConfig, ComponentRegistry, Decoder, deriveSeed, Encoder, Fusion, ModalitySpec, MultimodalModel, SubModel, UserInputError } from '@mmfuse/core';

/** Encoders → fusion → decoders; each part callable on its own, addressed by name. */
export class MultimodalAutoencoder implements MultimodalModel {
  constructor(
    readonly encoders: readonly Encoder[],
    readonly fusion: Fusion,
    readonly decoders: readonly Decoder[],
  ) {}

  subModels(): SubModel[] {
    return [...this.encoders, this.fusion, ...this.decoders];
  }

  subModel(name: string): SubModel | undefined {
    return this.subModels().find((m) => m.name === name);
  }

  encode(inputs: readonly tf.Tensor[]): tf.Tensor2D {
    return tf.tidy(() => this.fusion.apply(this.encoders.map((encoder, i) => encoder.apply(inputs[i]))));
  }

  apply(inputs: readonly tf.Tensor[]): tf.Tensor[] {
    return tf.tidy(() => {
      const z = this.encode(inputs);
      return this.decoders.map((decoder) => decoder.apply(z));
    });
  }

  /** Every trainable variable, in sub-model order (the order of gradients, checkpoints and replicas). */
  trainableVariables(): tf.Variable[] {
    return this.subModels().flatMap((m) => m.parameters.map((p) => p.variable));
  }

  /** Non-trainable state the forward pass updates (e.g. power-iteration vectors), in sub-model order. */
  bufferVariables(): tf.Variable[] {
    return this.subModels().flatMap((m) => (m.buffers ?? []).map((b) => b.variable));
  }

  parameterCount(): number {
    return this.subModels().reduce((n, m) => n + m.parameters.reduce((k, p) => k + p.variable.size, 0), 0);
  }

  dispose(): void {
    for (const m of this.subModels()) m.dispose();
  }
}

/**
 * What a built component must offer; a plugin's factory that returns something else is named,
 * instead of failing later inside training.
 */
function conforms(kind: 'encoder' | 'decoder' | 'fusion', built: unknown, type: string, source: string | undefined, path: string): void {
  const b = built as Record<string, unknown> | null | undefined;
  const missing: string[] = [];
  if (!b || typeof b !== 'object') missing.push('an object');
  else {
    if (typeof b.apply !== 'function') missing.push('apply()');
    if (typeof b.dispose !== 'function') missing.push('dispose()');
    if (typeof b.getConfig !== 'function') missing.push('getConfig()');
    if (!Array.isArray(b.parameters)) missing.push('parameters');
    if (kind !== 'decoder' && !(Number.isInteger(b.outputSize) && (b.outputSize as number) > 0)) missing.push('a positive integer outputSize');
  }
  if (missing.length > 0) {
    throw new UserInputError(`${path}: ${kind} type "${type}"${source ? ` (from ${source})` : ''} did not build a valid ${kind}: missing ${missing.join(', ')}`);
  }
}

/** Runs a factory and prefixes a config error with the JSON path of the component that caused it. */
export function atConfigPath<T>(path: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof UserInputError) throw new UserInputError(error.lines.map((line) => `${path}: ${line}`));
    throw error;
  }
}

/** The parts of an experiment config a model is built from (structural, so any config shape fits). */
export interface ModelConfig {
  modalities: readonly { name: string; encoder: ComponentConfig; decoder: ComponentConfig }[];
}

/** A fusion's component config as an experiment lists it: extra keys (label, regularizers) are not the fusion's. */
export type FusionComponentConfig = ComponentConfig & { label?: string; regularizers?: unknown };

/**
 * Builds one model from a validated config: encoder and decoder per modality (in config order)
 * and the given fusion. Each part's seed derives from the trial seed and its name, so two
 * fusions in the same trial start from the same encoder weights.
 */
export function buildModel(
  registry: ComponentRegistry,
  config: ModelConfig,
  fusionConfig: FusionComponentConfig,
  fusionPath: string,
  specs: readonly ModalitySpec[],
  trialSeed: number,
): MultimodalAutoencoder {
  const built: { dispose(): void }[] = [];
  try {
    const modalities = config.modalities.map((m, i) => {
      const spec = specs.find((s) => s.name === m.name);
      if (!spec) throw new UserInputError(`modalities[${i}].name: the data provide no modality "${m.name}"; they provide ${specs.map((s) => s.name).join(', ')}`);
      return spec;
    });
    const encoders = config.modalities.map((m, i) => {
      const name = `encoder:${m.name}`;
      const encoder = atConfigPath(`modalities[${i}].encoder`, () => registry.create('encoder', m.encoder, { name, modality: modalities[i], seed: deriveSeed(trialSeed, name) }));
      if (encoder && typeof (encoder as { dispose?: unknown }).dispose === 'function') built.push(encoder);
      conforms('encoder', encoder, m.encoder.type, registry.get('encoder', m.encoder.type).source, `modalities[${i}].encoder`);
      return encoder;
    });
    const { label: _label, regularizers: _regularizers, ...fusionComponent } = fusionConfig;
    const fusion = atConfigPath(fusionPath, () =>
      registry.create('fusion', fusionComponent, { name: 'fusion', modalities, inputSizes: encoders.map((e) => e.outputSize), seed: deriveSeed(trialSeed, 'fusion') }),
    );
    if (fusion && typeof (fusion as { dispose?: unknown }).dispose === 'function') built.push(fusion);
    conforms('fusion', fusion, fusionComponent.type, registry.get('fusion', fusionComponent.type).source, fusionPath);
    const decoders = config.modalities.map((m, i) => {
      const name = `decoder:${m.name}`;
      const decoder = atConfigPath(`modalities[${i}].decoder`, () =>
        registry.create('decoder', m.decoder, { name, modality: modalities[i], inputSize: fusion.outputSize, encoder: encoders[i], seed: deriveSeed(trialSeed, name) }),
      );
      if (decoder && typeof (decoder as { dispose?: unknown }).dispose === 'function') built.push(decoder);
      conforms('decoder', decoder, m.decoder.type, registry.get('decoder', m.decoder.type).source, `modalities[${i}].decoder`);
      return decoder;
    });
    return new MultimodalAutoencoder(encoders, fusion, decoders);
  } catch (error) {
    for (const part of built) part.dispose();
    throw error;
  }
}
