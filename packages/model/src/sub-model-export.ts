import { mkdirSync, readFileSync, statSync } from 'fs';
import { join } from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { ComponentConfig, ComponentRegistry, Decoder, Encoder, Fusion, ModalitySpec, readJsonFile, SubModel, UserInputError, writeFileAtomic } from '@mmfuse/core';
import type { MultimodalAutoencoder } from './multimodal-autoencoder';

/**
 * A trained sub-model outside its run folder, in TensorFlow.js's model-artifacts layout: a
 * `model.json` whose `weightsManifest` lists every weight (name, shape, float32) of
 * `weights.bin`, as `tf.io.decodeWeights` reads them, and whose `modelTopology` is the
 * component's config and what it was built for, from which `loadSubModel` rebuilds it.
 */
export const EXPORT_FORMAT = 'mmfuse-sub-model';
export const EXPORT_VERSION = 1;
const WEIGHTS_FILE = 'weights.bin';
const MODEL_FILE = 'model.json';

export type SubModelKind = 'encoder' | 'fusion' | 'decoder';

/** What rebuilds the sub-model: its component and the context it was created in. */
export interface ExportedTopology {
  readonly kind: SubModelKind;
  readonly name: string;
  readonly component: ComponentConfig;
  /** Encoder and decoder: the modality. */
  readonly modality?: ModalitySpec;
  /** Fusion: every modality, in input order. */
  readonly modalities?: readonly ModalitySpec[];
  /** Fusion: latent widths; decoder: the fused width it reads. */
  readonly inputSizes?: readonly number[];
  readonly inputSize?: number;
  /** Decoder: its modality's encoder, which decoders that mirror it take their shapes from. */
  readonly encoder?: ComponentConfig;
  /** Shape of one input sample (fusion: each latent's width) and of one output sample. */
  readonly inputShape: readonly number[] | readonly (readonly number[])[];
  readonly outputShape: readonly number[];
}

export interface ExportedManifest {
  readonly format: typeof EXPORT_FORMAT;
  readonly formatVersion: number;
  readonly generatedBy: string;
  readonly modelTopology: ExportedTopology;
  readonly weightsManifest: readonly { readonly paths: readonly string[]; readonly weights: readonly { name: string; shape: number[]; dtype: 'float32' }[] }[];
  readonly userDefinedMetadata?: Record<string, unknown>;
}

/** Folder name of a sub-model: `encoder:camera` → `encoder-camera`. */
export function exportFolderName(subModel: string): string {
  return subModel.replace(/[^A-Za-z0-9._-]+/g, '-');
}

function weightsOf(subModel: SubModel): Array<{ name: string; variable: tf.Variable }> {
  return [...subModel.parameters, ...(subModel.buffers ?? [])];
}

/**
 * Writes one sub-model to `dir` (created): weights.bin, then model.json, each complete or absent.
 * Values are read asynchronously, so any backend can export.
 */
export async function exportSubModel(subModel: SubModel, topology: ExportedTopology, dir: string, metadata: Record<string, unknown> = {}, generatedBy = 'mmfuse'): Promise<ExportedManifest> {
  const weights = weightsOf(subModel);
  const values = await Promise.all(weights.map(async (w) => (await w.variable.data()) as Float32Array));
  const total = values.reduce((n, v) => n + v.length, 0);
  const bytes = new Uint8Array(total * 4);
  const view = new Float32Array(bytes.buffer);
  let offset = 0;
  for (const v of values) {
    view.set(v, offset);
    offset += v.length;
  }
  const manifest: ExportedManifest = {
    format: EXPORT_FORMAT,
    formatVersion: EXPORT_VERSION,
    generatedBy,
    modelTopology: topology,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: weights.map((w) => ({ name: w.name, shape: [...w.variable.shape], dtype: 'float32' as const })) }],
    userDefinedMetadata: metadata,
  };
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(join(dir, WEIGHTS_FILE), bytes);
  writeFileAtomic(join(dir, MODEL_FILE), JSON.stringify(manifest, null, 1) + '\n');
  return manifest;
}

/**
 * Writes every sub-model of a trained model under `dir`: `encoder-<modality>/`, `fusion/` and
 * `decoder-<modality>/`. Returns the folders written.
 */
export async function exportModel(model: MultimodalAutoencoder, dir: string, metadata: Record<string, unknown> = {}, generatedBy = 'mmfuse'): Promise<string[]> {
  const folders: string[] = [];
  const write = async (subModel: SubModel, topology: ExportedTopology) => {
    const folder = join(dir, exportFolderName(subModel.name));
    await exportSubModel(subModel, topology, folder, metadata, generatedBy);
    folders.push(folder);
  };
  for (const encoder of model.encoders) {
    await write(encoder, { kind: 'encoder', name: encoder.name, component: encoder.getConfig(), modality: encoder.modality, inputShape: [...encoder.modality.shape], outputShape: [encoder.outputSize] });
  }
  const fusion = model.fusion;
  await write(fusion, {
    kind: 'fusion',
    name: fusion.name,
    component: fusion.getConfig(),
    modalities: model.encoders.map((e) => e.modality),
    inputSizes: [...fusion.inputSizes],
    inputShape: fusion.inputSizes.map((s) => [s]),
    outputShape: [fusion.outputSize],
  });
  for (const [i, decoder] of model.decoders.entries()) {
    await write(decoder, {
      kind: 'decoder',
      name: decoder.name,
      component: decoder.getConfig(),
      modality: decoder.modality,
      inputSize: decoder.inputSize,
      encoder: model.encoders[i].getConfig(),
      inputShape: [decoder.inputSize],
      outputShape: [...decoder.modality.shape],
    });
  }
  return folders;
}

/** A sub-model read back by `loadSubModel`, with what its model.json says about it. */
export type LoadedSubModel =
  | { readonly kind: 'encoder'; readonly subModel: Encoder; readonly manifest: ExportedManifest }
  | { readonly kind: 'fusion'; readonly subModel: Fusion; readonly manifest: ExportedManifest }
  | { readonly kind: 'decoder'; readonly subModel: Decoder; readonly manifest: ExportedManifest };

const isShape = (v: unknown): v is number[] => Array.isArray(v) && v.length <= 8 && v.every((d) => Number.isInteger(d) && d > 0 && d <= 1 << 24);
const isModality = (v: unknown): v is ModalitySpec => {
  const m = v as ModalitySpec | undefined;
  return typeof m === 'object' && m !== null && typeof m.name === 'string' && typeof m.kind === 'string' && isShape(m.shape);
};
const isComponent = (v: unknown): v is ComponentConfig => typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as ComponentConfig).type === 'string';

/** Checks model.json as data: every field the loader uses, with the JSON path of the first wrong one. */
function checkManifest(file: string, raw: unknown): ExportedManifest {
  const bad = (path: string, expected: string): never => {
    throw new UserInputError(`${file}: ${path}: expected ${expected}`);
  };
  const m = raw as ExportedManifest;
  if (typeof m !== 'object' || m === null) bad('(top level)', 'an object');
  if (m.format !== EXPORT_FORMAT) bad('format', `"${EXPORT_FORMAT}" (a sub-model written by mmfuse export)`);
  if (m.formatVersion !== EXPORT_VERSION) bad('formatVersion', `${EXPORT_VERSION}`);
  const t = m.modelTopology;
  if (typeof t !== 'object' || t === null) bad('modelTopology', 'an object');
  if (!['encoder', 'fusion', 'decoder'].includes(t.kind)) bad('modelTopology.kind', '"encoder", "fusion" or "decoder"');
  if (typeof t.name !== 'string' || t.name.length === 0 || t.name.length > 200) bad('modelTopology.name', 'a sub-model name');
  if (!isComponent(t.component)) bad('modelTopology.component', 'a component config with a "type"');
  if (t.kind !== 'fusion' && !isModality(t.modality)) bad('modelTopology.modality', 'a modality {name, kind, shape}');
  if (t.kind === 'fusion') {
    if (!Array.isArray(t.modalities) || t.modalities.length === 0 || t.modalities.length > 64 || !t.modalities.every(isModality)) bad('modelTopology.modalities', 'the modalities, in input order');
    if (!isShape(t.inputSizes) || t.inputSizes.length !== t.modalities!.length) bad('modelTopology.inputSizes', 'one positive width per modality');
  }
  if (t.kind === 'decoder') {
    if (!Number.isInteger(t.inputSize) || (t.inputSize as number) <= 0) bad('modelTopology.inputSize', 'a positive integer');
    if (!isComponent(t.encoder)) bad('modelTopology.encoder', "the modality's encoder config");
  }
  const groups = m.weightsManifest;
  if (!Array.isArray(groups) || groups.length !== 1 || !Array.isArray(groups[0].paths) || groups[0].paths.length !== 1 || groups[0].paths[0] !== WEIGHTS_FILE) {
    bad('weightsManifest', `one group whose paths are ["${WEIGHTS_FILE}"]`);
  }
  const weights: unknown = groups[0].weights;
  if (!Array.isArray(weights) || weights.length > 100000) bad('weightsManifest[0].weights', 'a list of weights');
  (weights as Array<{ name: unknown; shape: unknown; dtype: unknown }>).forEach((w, i) => {
    if (typeof w?.name !== 'string' || w.name.length === 0) bad(`weightsManifest[0].weights[${i}].name`, 'a name');
    if (!Array.isArray(w.shape) || !w.shape.every((d: unknown) => Number.isInteger(d) && (d as number) >= 0 && (d as number) <= 1 << 28)) bad(`weightsManifest[0].weights[${i}].shape`, 'a shape');
    if (w.dtype !== 'float32') bad(`weightsManifest[0].weights[${i}].dtype`, '"float32"');
  });
  return m;
}

/**
 * Rebuilds an exported sub-model with the components of `registry` (the plugins that provide its
 * type must be loaded: the export names the type, never code to run) and loads its weights.
 * Every weight of the rebuilt sub-model must be in the file, with its shape; weights.bin must hold
 * exactly the listed values, all finite. Problems are one UserInputError naming the file.
 */
export function loadSubModel(dir: string, registry: ComponentRegistry): LoadedSubModel {
  const modelFile = join(dir, MODEL_FILE);
  const weightsFile = join(dir, WEIGHTS_FILE);
  const remedy = 'export the sub-model again with mmfuse export';
  const manifest = checkManifest(modelFile, readJsonFile<unknown>(modelFile, remedy));
  const listed = manifest.weightsManifest[0].weights;
  const expectedBytes = listed.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0) * 4;
  let size: number;
  try {
    size = statSync(weightsFile).size;
  } catch (error) {
    throw new UserInputError(`${weightsFile}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); ${remedy}`);
  }
  if (size !== expectedBytes) throw new UserInputError(`${weightsFile}: ${size} bytes, but model.json lists ${expectedBytes} (${listed.length} float32 weights); ${remedy}`);
  const buffer = readFileSync(weightsFile);
  const values = new Float32Array(buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength));
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new UserInputError(`${weightsFile}: value ${bad} is not finite; ${remedy}`);

  const t = manifest.modelTopology;
  const typeOf = (kind: SubModelKind, component: ComponentConfig) => {
    if (!registry.has(kind, component.type)) throw new UserInputError(`${modelFile}: modelTopology.component.type: ${kind} type "${component.type}" is not registered; load the plugin that provides it`);
  };
  const built: Array<{ dispose(): void }> = [];
  try {
    let subModel: SubModel;
    if (t.kind === 'encoder') {
      typeOf('encoder', t.component);
      subModel = registry.create('encoder', t.component, { name: t.name, modality: t.modality!, seed: 0 });
    } else if (t.kind === 'fusion') {
      typeOf('fusion', t.component);
      subModel = registry.create('fusion', t.component, { name: t.name, modalities: t.modalities!, inputSizes: t.inputSizes!, seed: 0 });
    } else {
      typeOf('encoder', t.encoder!);
      typeOf('decoder', t.component);
      // Decoders that mirror their encoder take its shapes; the encoder's weights are not needed.
      const encoder = registry.create('encoder', t.encoder!, { name: t.name.replace(/^decoder:/, 'encoder:'), modality: t.modality!, seed: 0 });
      built.push(encoder);
      subModel = registry.create('decoder', t.component, { name: t.name, modality: t.modality!, inputSize: t.inputSize!, encoder, seed: 0 });
    }
    built.push(subModel);
    const byName = new Map<string, { offset: number; shape: number[] }>();
    let offset = 0;
    for (const w of listed) {
      byName.set(w.name, { offset, shape: w.shape });
      offset += w.shape.reduce((a, b) => a * b, 1);
    }
    for (const w of weightsOf(subModel)) {
      const entry = byName.get(w.name);
      if (!entry) throw new UserInputError(`${modelFile}: weightsManifest lists no weight "${w.name}", which ${t.name} (${t.component.type}) has; ${remedy}`);
      if (entry.shape.join(',') !== w.variable.shape.join(',')) {
        throw new UserInputError(`${modelFile}: weight "${w.name}" has shape [${entry.shape.join(', ')}], but ${t.name} (${t.component.type}) needs [${w.variable.shape.join(', ')}]; ${remedy}`);
      }
      const value = tf.tensor(values.subarray(entry.offset, entry.offset + w.variable.size), w.variable.shape, 'float32');
      w.variable.assign(value);
      value.dispose();
    }
    if (t.kind === 'decoder') built.shift()!.dispose();
    return { kind: t.kind, subModel, manifest } as LoadedSubModel;
  } catch (error) {
    for (const part of built) part.dispose();
    throw error;
  }
}
