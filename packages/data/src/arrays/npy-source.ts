import { existsSync, readFileSync } from 'fs';
import { isAbsolute, resolve } from 'path';
import { parse } from 'npyjs';
import { createRng, DataSource, DataSourceContext, deriveSeed, ModalityKind, ModalitySpec, MultimodalDataset, permutation, UserInputError } from '@mmfuse/core';
import { channelStatistics, splitEpisodes, standardize } from '../transforms';

export interface NpyModalityOptions {
  name: string;
  /** `.npy` file of shape `[N, ...sample shape]`, relative to `directory`. */
  file: string;
  kind: ModalityKind;
}

export interface NpySourceOptions {
  /** Folder of the arrays (relative to the config). */
  directory: string;
  modalities: NpyModalityOptions[];
  /** Optional `.npy` of N integers: the episode of each sample, so splits never cut an episode. */
  episodes?: string;
  testFraction: number;
}

export const NPY_SOURCE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['directory', 'modalities'],
  properties: {
    directory: { type: 'string', minLength: 1, description: 'Folder holding the .npy files, relative to the config file.' },
    modalities: {
      type: 'array',
      minItems: 1,
      maxItems: 16,
      description: 'One array per modality, all with the same number of samples N along the first axis.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'file', 'kind'],
        properties: {
          name: { type: 'string', minLength: 1, description: 'Modality name used in the config.' },
          file: { type: 'string', minLength: 1, description: '.npy file of shape [N, ...sample shape] (images [N, H, W, C]; uint8 images are scaled to [0, 1]).' },
          kind: { enum: ['image', 'series', 'vector'], description: 'image: scaled to [0, 1]; series and vector: standardised per channel with training statistics.' },
        },
      },
    },
    episodes: { type: 'string', minLength: 1, description: 'Optional .npy of N integers giving each sample\'s episode; splits keep episodes whole (without it, each sample is its own episode).' },
    testFraction: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, default: 0.25, description: 'Share of episodes held out for testing.' },
  },
};

interface LoadedArray {
  file: string;
  shape: number[];
  values: Float32Array;
}

function readNpy(file: string): LoadedArray {
  if (!existsSync(file)) throw new UserInputError(`${file}: missing`);
  const bytes = readFileSync(file);
  let array;
  try {
    array = parse(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  } catch (error) {
    throw new UserInputError(`${file}: not a readable .npy array (${(error as Error).message})`);
  }
  if (array.fortranOrder) throw new UserInputError(`${file}: stored in Fortran order; save it in C order (numpy.ascontiguousarray)`);
  const data = array.data as unknown as ArrayLike<number | bigint>;
  const expected = array.shape.reduce((a, b) => a * b, 1);
  if (data.length !== expected) throw new UserInputError(`${file}: holds ${data.length} values, its header says shape [${array.shape.join(', ')}] (${expected}): truncated?`);
  const scale = array.dtype === 'u1' ? 1 / 255 : 1;
  const values = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) values[i] = Number(data[i]) * scale;
  return { file, shape: array.shape, values };
}

/**
 * Arrays saved with numpy, one `.npy` per modality (`[N, ...]`), optionally with the episode of
 * each sample. Images in uint8 are scaled to [0, 1]; series and vectors are standardised with
 * training statistics. A missing or damaged file, a NaN, or a sample count that differs between
 * files is named with the file and the sample index.
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
    const arrays = o.modalities.map((m) => readNpy(resolve(this.directory, m.file)));
    const count = arrays[0].shape[0];
    arrays.forEach((a, i) => {
      if (a.shape.length < 2) throw new UserInputError(`${a.file}: shape [${a.shape.join(', ')}]; expected [N, ...sample shape]`);
      if (a.shape[0] !== count) throw new UserInputError(`${a.file}: ${a.shape[0]} samples, but ${arrays[0].file} has ${count}`);
      const size = a.values.length / count;
      for (let k = 0; k < a.values.length; k++) {
        if (!Number.isFinite(a.values[k])) throw new UserInputError(`${a.file}: sample ${Math.floor(k / size)} holds ${a.values[k]} (at flat index ${k})`);
      }
      if (o.modalities[i].kind === 'image' && a.shape.length !== 4) throw new UserInputError(`${a.file}: an image modality needs shape [N, height, width, channels], got [${a.shape.join(', ')}]`);
    });
    const episodeOf = o.episodes ? readNpy(resolve(this.directory, o.episodes)) : undefined;
    if (episodeOf && episodeOf.values.length !== count) throw new UserInputError(`${episodeOf.file}: ${episodeOf.values.length} episode ids for ${count} samples`);
    const ids = episodeOf ? [...new Set(Array.from(episodeOf.values))].sort((a, b) => a - b) : Array.from({ length: count }, (_, i) => i);
    if (ids.length < 2) throw new UserInputError(`${episodeOf?.file ?? this.directory}: ${ids.length} episode(s); at least 2 are needed to split train and test`);
    const split = splitEpisodes(ids.length, o.testFraction, permutation(ids.length, createRng(deriveSeed(this.seed, 'split'))));
    const testIds = new Set(split.test.map((e) => ids[e]));
    const rows = (test: boolean) => Array.from({ length: count }, (_, i) => i).filter((i) => testIds.has(episodeOf ? episodeOf.values[i] : i) === test);
    const trainRows = rows(false);
    const testRows = rows(true);
    const specs: ModalitySpec[] = o.modalities.map((m, i) => ({ name: m.name, kind: m.kind, shape: arrays[i].shape.slice(1) }));
    const pick = (a: LoadedArray, which: number[]) => {
      const size = a.values.length / count;
      const out = new Float32Array(which.length * size);
      which.forEach((r, k) => out.set(a.values.subarray(r * size, (r + 1) * size), k * size));
      return out;
    };
    const train: Record<string, Float32Array> = {};
    const test: Record<string, Float32Array> = {};
    specs.forEach((s, i) => {
      train[s.name] = pick(arrays[i], trainRows);
      test[s.name] = pick(arrays[i], testRows);
      if (s.kind !== 'image') {
        const channels = s.shape[s.shape.length - 1];
        const stats = channelStatistics(train[s.name], channels);
        standardize(train[s.name], channels, stats);
        standardize(test[s.name], channels, stats);
      }
    });
    return {
      modalities: specs,
      train: { size: trainRows.length, arrays: train },
      test: { size: testRows.length, arrays: test },
      description: { source: 'npy', directory: this.directory, samples: count, episodes: ids.length },
    };
  }
}

export function createNpySource(options: NpySourceOptions, context: DataSourceContext): NpySource {
  return new NpySource(options, context.seed, context.baseDir);
}
