import * as tf from '@tensorflow/tfjs-core';
import { ComponentRegistry, Decoder, deriveSeed, Encoder, Fusion, ModalitySpec, MultimodalModel, SubModel, UserInputError } from '@mmfuse/core';
import type { ExperimentConfig, FusionConfig } from '@mmfuse/config';

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

  parameterCount(): number {
    return this.subModels().reduce((n, m) => n + m.parameters.reduce((k, p) => k + p.variable.size, 0), 0);
  }

  dispose(): void {
    for (const m of this.subModels()) m.dispose();
  }
}

/** Runs a factory and prefixes a config error with the JSON path of the component that caused it. */
function at<T>(path: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof UserInputError) throw new UserInputError(error.lines.map((line) => `${path}: ${line}`));
    throw error;
  }
}

/**
 * Builds one model from a validated config: encoder and decoder per modality (in config order)
 * and the given fusion. Each part's seed derives from the trial seed and its name, so two
 * fusions in the same trial start from the same encoder weights.
 */
export function buildModel(
  registry: ComponentRegistry,
  config: Pick<ExperimentConfig, 'modalities'>,
  fusionConfig: FusionConfig,
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
      const encoder = at(`modalities[${i}].encoder`, () => registry.create('encoder', m.encoder, { name, modality: modalities[i], seed: deriveSeed(trialSeed, name) }));
      built.push(encoder);
      return encoder;
    });
    const { label: _label, regularizers: _regularizers, ...fusionComponent } = fusionConfig;
    const fusion = at(fusionPath, () =>
      registry.create('fusion', fusionComponent, { name: 'fusion', modalities, inputSizes: encoders.map((e) => e.outputSize), seed: deriveSeed(trialSeed, 'fusion') }),
    );
    built.push(fusion);
    const decoders = config.modalities.map((m, i) => {
      const name = `decoder:${m.name}`;
      const decoder = at(`modalities[${i}].decoder`, () =>
        registry.create('decoder', m.decoder, { name, modality: modalities[i], inputSize: fusion.outputSize, encoder: encoders[i], seed: deriveSeed(trialSeed, name) }),
      );
      built.push(decoder);
      return decoder;
    });
    return new MultimodalAutoencoder(encoders, fusion, decoders);
  } catch (error) {
    for (const part of built) part.dispose();
    throw error;
  }
}
