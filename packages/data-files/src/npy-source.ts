import { isAbsolute, resolve } from 'path';
import { DataSource, DataSourceContext, ModalityKind, MultimodalDataset, UserInputError } from '@mmfuse/core';
import { buildArrayDataset } from '@mmfuse/data';
import { NpzArchive, readNpyFile } from '@mmfuse/data';
import { readNpyHeader, streamNpyDataset, worthStreaming } from '@mmfuse/data';

export interface NpyModalityOptions {
  name: string;
  /** `.npy` file of shape `[N, ...sample shape]`, relative to `directory` (without `archive`). */
  file?: string;
  /** Name of the array inside `archive` (with `archive`). */
  array?: string;
  kind: ModalityKind;
}

export interface NpySourceOptions {
  /** Folder of the arrays (relative to the config). */
  directory: string;
  /** Optional `.npz` in `directory` holding every array (numpy.savez or savez_compressed). */
  archive?: string;
  modalities: NpyModalityOptions[];
  /** N integers, the episode of each sample, so splits never cut an episode: a `.npy`, or an array of `archive`. */
  episodes?: string;
  testFraction: number;
  /** Read samples from the .npy files batch by batch instead of loading them (not for archives). */
  stream: boolean | 'auto';
}

export const NPY_SOURCE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['directory', 'modalities'],
  properties: {
    directory: { type: 'string', minLength: 1, description: 'Folder holding the .npy files or the .npz archive, relative to the config file.' },
    archive: {
      type: 'string',
      minLength: 1,
      description: 'Optional .npz archive in the directory (numpy.savez or numpy.savez_compressed) holding all arrays: modalities then give "array" instead of "file", and "episodes" names an array in it.',
    },
    modalities: {
      type: 'array',
      minItems: 1,
      maxItems: 16,
      description: 'One array per modality, all with the same number of samples N along the first axis.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'kind'],
        properties: {
          name: { type: 'string', minLength: 1, description: 'Modality name used in the config.' },
          file: { type: 'string', minLength: 1, description: 'Without "archive": the .npy file, of shape [N, height, width, channels] for images (uint8 images are scaled to [0, 1]), [N, steps, channels] for series, [N, features] for vectors.' },
          array: { type: 'string', minLength: 1, description: 'With "archive": the name of the array in it, as given to numpy.savez (e.g. "camera" for savez(path, camera=...)); same shapes as "file".' },
          kind: { enum: ['image', 'series', 'vector'], description: 'image: scaled to [0, 1]; series and vector: standardised per channel with training statistics.' },
        },
      },
    },
    episodes: {
      type: 'string',
      minLength: 1,
      description: 'Optional N integers giving each sample\'s episode, a .npy file (or with "archive" the name of an array in it); splits keep episodes whole (without it, each sample is its own episode).',
    },
    testFraction: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, default: 0.25, description: 'Share of episodes held out for testing.' },
    stream: {
      anyOf: [{ type: 'boolean' }, { const: 'auto' }],
      default: 'auto',
      description: 'Read samples from the .npy files batch by batch instead of loading the arrays, so data larger than memory train; auto: when the arrays would take more than a quarter of the machine\'s memory. Not for .npz archives (they are compressed as a whole).',
    },
  },
};

/**
 * Arrays saved with numpy: one `.npy` per modality (`[N, ...]`), or the arrays of one `.npz`
 * archive, optionally with the episode of each sample. Images in uint8 are scaled to [0, 1];
 * series and vectors are standardised with training statistics. A missing or damaged file or
 * archive entry, a NaN, or a sample count that differs between arrays is named with the file
 * (`archive.npz:array` for an archive) and the sample index.
 */
export class NpySource implements DataSource {
  private readonly directory: string;

  constructor(
    readonly options: NpySourceOptions,
    private readonly seed: number,
    baseDir: string,
  ) {
    this.directory = isAbsolute(options.directory) ? options.directory : resolve(baseDir, options.directory);
  }

  async load(): Promise<MultimodalDataset> {
    const o = this.options;
    this.checkNaming();
    if (o.archive === undefined && o.stream !== false) {
      const headers = o.modalities.map((m) => ({ name: m.name, kind: m.kind, header: readNpyHeader(resolve(this.directory, m.file!)) }));
      if (o.stream === true || worthStreaming(headers.map((h) => h.header))) {
        return streamNpyDataset({
          modalities: headers,
          episodes: o.episodes === undefined ? undefined : readNpyFile(resolve(this.directory, o.episodes)),
          testFraction: o.testFraction,
          seed: this.seed,
          label: this.directory,
          description: { source: 'npy', directory: this.directory },
        });
      }
    }
    if (o.archive !== undefined && o.stream === true) throw new UserInputError(`stream: ${o.archive} is an .npz archive, read whole; save the arrays as separate .npy files to stream them`);
    const archive = o.archive === undefined ? undefined : NpzArchive.open(resolve(this.directory, o.archive));
    // checkNaming made sure each modality has `array` with an archive and `file` without.
    const modalities = o.modalities.map((m) => ({ name: m.name, kind: m.kind, array: archive ? archive.read(m.array!) : readNpyFile(resolve(this.directory, m.file!)) }));
    const episodes = o.episodes === undefined ? undefined : archive ? archive.read(o.episodes) : readNpyFile(resolve(this.directory, o.episodes));
    return buildArrayDataset({
      modalities,
      episodes,
      testFraction: o.testFraction,
      seed: this.seed,
      label: archive?.path ?? this.directory,
      description: { source: 'npy', directory: this.directory, ...(archive ? { archive: archive.path } : {}) },
    });
  }

  /** Each modality names its array the one way that fits: `array` with an archive, `file` without. */
  private checkNaming(): void {
    const o = this.options;
    o.modalities.forEach((m, i) => {
      const which = `modalities[${i}] (${m.name})`;
      if (o.archive !== undefined) {
        if (m.file !== undefined) throw new UserInputError(`${which}: "file" is for separate .npy files; with "archive", name the array inside ${o.archive} with "array"`);
        if (m.array === undefined) throw new UserInputError(`${which}: "array" is missing: the name of this modality's array in ${o.archive}`);
      } else {
        if (m.array !== undefined) throw new UserInputError(`${which}: "array" names an array in an .npz archive; set "archive" too, or give the .npy with "file"`);
        if (m.file === undefined) throw new UserInputError(`${which}: "file" is missing: the .npy file of this modality (or set "archive" and give "array")`);
        const npz = /^(.*\.npz)(?::(.+))?$/i.exec(m.file);
        if (npz) throw new UserInputError(`${which}: "file" is for .npy files; for an array of ${npz[1]}, set "archive": "${npz[1]}" and give "array": "${npz[2] ?? m.name}"`);
      }
    });
  }
}

export function createNpySource(options: NpySourceOptions, context: DataSourceContext): NpySource {
  return new NpySource(options, context.seed, context.baseDir);
}
