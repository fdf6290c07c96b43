import { closeSync, existsSync, openSync, readSync, statSync } from 'fs';
import { isAbsolute, resolve } from 'path';
import type { Dataset, Entity, Group, Metadata } from 'h5wasm';
import { closestName, DataSource, DataSourceContext, importEsm, isUserInputError, ModalityKind, MultimodalDataset, UserInputError } from '@mmfuse/core';
import { buildArrayDataset, checkArrayRank, StoredArray, StoredModality } from '@mmfuse/data';
import { listNames } from '@mmfuse/data';

export interface Hdf5ModalityOptions {
  name: string;
  /** Path of the dataset in the file, e.g. `/observations/camera`. */
  dataset: string;
  kind: ModalityKind;
}

export interface Hdf5SourceOptions {
  /** The HDF5 file (relative to the config). */
  file: string;
  modalities: Hdf5ModalityOptions[];
  /** Path of a dataset of N integers, the episode of each sample, so splits never cut an episode. */
  episodes?: string;
  testFraction: number;
}

export const HDF5_SOURCE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['file', 'modalities'],
  properties: {
    file: { type: 'string', minLength: 1, description: 'The HDF5 file (.h5, .hdf5), relative to the config file.' },
    modalities: {
      type: 'array',
      minItems: 1,
      maxItems: 16,
      description: 'One dataset per modality, all with the same number of samples N along the first axis.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'dataset', 'kind'],
        properties: {
          name: { type: 'string', minLength: 1, description: 'Modality name used in the config.' },
          dataset: {
            type: 'string',
            minLength: 1,
            description: 'Path of the dataset in the file (e.g. "/observations/camera"): [N, height, width, channels] for images (uint8 images are scaled to [0, 1]), [N, steps, channels] for series, [N, features] for vectors; integers or float32/float64.',
          },
          kind: { enum: ['image', 'series', 'vector'], description: 'image: scaled to [0, 1]; series and vector: standardised per channel with training statistics.' },
        },
      },
    },
    episodes: { type: 'string', minLength: 1, description: 'Optional path of a dataset of N integers giving each sample\'s episode; splits keep episodes whole (without it, each sample is its own episode).' },
    testFraction: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, default: 0.25, description: 'Share of episodes held out for testing.' },
  },
};

type H5wasm = typeof import('h5wasm');

let loading: Promise<H5wasm> | undefined;

/** h5wasm's Node build (the host file system is visible to it), loaded once per process. */
function loadH5wasm(): Promise<H5wasm> {
  loading ??= importEsm<H5wasm>('h5wasm/node', __filename).then(async (h5) => {
    await h5.ready;
    return h5;
  });
  return loading;
}

/** HDF5 type classes (H5T_class_t) that hold numbers. */
const H5T_INTEGER = 0;
const H5T_FLOAT = 1;

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The superblock signature sits at byte 0, or after a user block of 512, 1024, 2048, … bytes. */
function hasHdf5Signature(file: string): boolean {
  const size = statSync(file).size;
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(HDF5_SIGNATURE.length);
    for (let offset = 0; offset + head.length <= size; offset = offset === 0 ? 512 : offset * 2) {
      if (readSync(fd, head, 0, head.length, offset) === head.length && head.equals(HDF5_SIGNATURE)) return true;
    }
    return false;
  } finally {
    closeSync(fd);
  }
}

/** The innermost reason of an HDF5 error stack (e.g. "truncated file: eof = …"), else the message. */
function hdf5Reason(message: string): string {
  const reasons = [...message.matchAll(/#\d+: .* in \w+\(\): (.*)$/gm)].map((m) => m[1].trim());
  return reasons.at(-1) ?? message.trim();
}

function describeType(metadata: Metadata): string {
  const bits = metadata.size * 8;
  if (metadata.type === H5T_INTEGER) return `${metadata.signed ? 'int' : 'uint'}${bits}`;
  if (metadata.type === H5T_FLOAT) return `float${bits}`;
  const names: Record<number, string> = { 3: 'string', 6: 'compound', 8: 'enum (or boolean)', 9: 'variable-length', 10: 'array' };
  return names[metadata.type] ?? `HDF5 type class ${metadata.type}`;
}

/** Entries of a group, subgroups marked with a trailing `/`. */
function entriesOf(h5: H5wasm, group: Group): string[] {
  return group.keys().map((name) => (group.get(name) instanceof h5.Group ? `${name}/` : name));
}

/** The dataset at `path`; a missing step names what its group holds and the nearest name. */
function findDataset(h5: H5wasm, root: Group, path: string, label: string): Dataset {
  const parts = path.split('/').filter((p) => p.length > 0);
  if (parts.length === 0) throw new UserInputError(`${label}: names the root group; give the path of a dataset, e.g. /${root.keys()[0] ?? 'camera'}`);
  let entry = root as Entity;
  for (const [i, part] of parts.entries()) {
    const parent = `/${parts.slice(0, i).join('/')}`;
    if (!(entry instanceof h5.Group)) throw new UserInputError(`${label}: ${parent} is not a group (${entry.constructor.name})`);
    const next = entry.get(part);
    if (next === null || next === undefined) {
      const nearest = closestName(part, entry.keys());
      const hint = nearest === undefined ? '' : ` Did you mean "/${[...parts.slice(0, i), nearest, ...parts.slice(i + 1)].join('/')}"?`;
      throw new UserInputError(`${label}: no "${part}" in ${parent}, which holds ${listNames(entriesOf(h5, entry))}.${hint}`);
    }
    entry = next;
  }
  if (entry instanceof h5.Group) throw new UserInputError(`${label}: a group, not a dataset; it holds ${listNames(entriesOf(h5, entry))}`);
  if (!(entry instanceof h5.Dataset)) throw new UserInputError(`${label}: not a dataset (${entry.constructor.name})`);
  return entry;
}

function readDataset(dataset: Dataset, label: string): StoredArray {
  const metadata = dataset.metadata;
  const numeric = metadata.type === H5T_INTEGER || (metadata.type === H5T_FLOAT && (metadata.size === 4 || metadata.size === 8));
  if (!numeric) throw new UserInputError(`${label}: holds ${describeType(metadata)} values; only integers and float32/float64 are read`);
  // h5wasm hands over the stored bytes as a native (little-endian) typed array.
  if (!metadata.littleEndian && metadata.size > 1) throw new UserInputError(`${label}: stored big-endian (${describeType(metadata)}); save it little-endian`);
  const value = dataset.value;
  if (!ArrayBuffer.isView(value)) throw new UserInputError(`${label}: could not be read as numbers`);
  return { label, shape: dataset.shape ?? [], data: value as unknown as ArrayLike<number | bigint>, uint8: metadata.type === H5T_INTEGER && metadata.size === 1 && !metadata.signed };
}

/**
 * Arrays in an HDF5 file: one dataset per modality (`[N, ...]`), optionally a dataset with the
 * episode of each sample. Same treatment as the `npy` source: uint8 images are scaled to [0, 1],
 * series and vectors are standardised with training statistics, splits keep episodes whole.
 * Errors name the file and dataset (`file.h5:/path`) and, for a NaN, the sample.
 */
export class Hdf5Source implements DataSource {
  readonly file: string;

  constructor(
    readonly options: Hdf5SourceOptions,
    private readonly seed: number,
    baseDir: string,
  ) {
    this.file = isAbsolute(options.file) ? options.file : resolve(baseDir, options.file);
  }

  async load(): Promise<MultimodalDataset> {
    const o = this.options;
    if (!existsSync(this.file)) throw new UserInputError(`${this.file}: missing`);
    if (!statSync(this.file).isFile()) throw new UserInputError(`${this.file}: not a file`);
    if (!hasHdf5Signature(this.file)) throw new UserInputError(`${this.file}: not an HDF5 file (no HDF5 signature)`);
    const h5 = await loadH5wasm();
    let modalities: StoredModality[];
    let episodes: StoredArray | undefined;
    // By default HDF5 prints its error stack to stderr; thrown instead, its reason joins the error line.
    h5.Module.activate_throwing_error_handler();
    try {
      const handle = this.h5call(this.file, () => new h5.File(this.file, 'r'), 'not a readable HDF5 file');
      if (handle.file_id < 0n) throw new UserInputError(`${this.file}: not a readable HDF5 file`);
      try {
        modalities = o.modalities.map((m) => ({ name: m.name, kind: m.kind, array: this.read(h5, handle, m.dataset, m.kind) }));
        episodes = o.episodes === undefined ? undefined : this.read(h5, handle, o.episodes);
      } finally {
        handle.close();
      }
    } finally {
      h5.Module.deactivate_throwing_error_handler();
    }
    return buildArrayDataset({ modalities, episodes, testFraction: o.testFraction, seed: this.seed, label: this.file, description: { source: 'hdf5', file: this.file } });
  }

  private read(h5: H5wasm, root: Group, path: string, kind?: ModalityKind): StoredArray {
    const label = `${this.file}:${path.startsWith('/') ? path : `/${path}`}`;
    return this.h5call(label, () => {
      const dataset = findDataset(h5, root, path, label);
      // Checked before reading, so a dataset of the wrong rank is refused without loading it.
      if (kind !== undefined) checkArrayRank(label, dataset.shape ?? [], kind);
      return readDataset(dataset, label);
    });
  }

  /** Runs an h5wasm call; its own failures (a damaged or truncated file) become input errors. */
  private h5call<T>(label: string, call: () => T, problem = 'not readable'): T {
    try {
      return call();
    } catch (error) {
      if (isUserInputError(error)) throw error;
      throw new UserInputError(`${label}: ${problem} (${hdf5Reason((error as Error).message ?? String(error))}); is the file damaged or truncated?`);
    }
  }
}

export function createHdf5Source(options: Hdf5SourceOptions, context: DataSourceContext): Hdf5Source {
  return new Hdf5Source(options, context.seed, context.baseDir);
}
