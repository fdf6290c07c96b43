import { createRng, deriveSeed, ModalityKind, ModalitySpec, MultimodalDataset, permutation, UserInputError } from '@mmfuse/core';
import { channelStatistics, splitEpisodes, standardize } from '../transforms';

/**
 * An array as read from a file, before conversion: the label is what errors call it (a `.npy`
 * file, `archive.npz:array`, `file.h5:/dataset`).
 */
export interface StoredArray {
  readonly label: string;
  readonly shape: readonly number[];
  /** Row-major values, as stored (any numeric typed array). */
  readonly data: ArrayLike<number | bigint>;
  /** Stored as uint8: an image of this type holds 0…255 and is scaled to [0, 1]. */
  readonly uint8: boolean;
}

export interface StoredModality {
  readonly name: string;
  readonly kind: ModalityKind;
  readonly array: StoredArray;
}

export interface ArrayDatasetInput {
  readonly modalities: readonly StoredModality[];
  /** N episode ids, one per sample; without it, each sample is its own episode. */
  readonly episodes?: StoredArray;
  readonly testFraction: number;
  readonly seed: number;
  /** What errors call the data as a whole (when too few episodes are found). */
  readonly label: string;
  /** Facts about the source; sample and episode counts are added. */
  readonly description: Record<string, unknown>;
}

/** The array layout each kind needs, N samples first. */
export const ARRAY_LAYOUTS: Readonly<Record<ModalityKind, string[]>> = {
  image: ['N', 'height', 'width', 'channels'],
  series: ['N', 'steps', 'channels'],
  vector: ['N', 'features'],
};

export function checkArrayRank(label: string, shape: readonly number[], kind: ModalityKind): void {
  const layout = ARRAY_LAYOUTS[kind];
  if (shape.length !== layout.length) {
    const article = kind === 'image' ? 'an' : 'a';
    throw new UserInputError(`${label}: ${article} ${kind} modality needs shape [${layout.join(', ')}], got [${shape.join(', ')}]`);
  }
}

function toFloat32(data: ArrayLike<number | bigint>, scaleToUnit: boolean): Float32Array {
  const values = typeof data[0] === 'bigint' ? Float32Array.from(data as ArrayLike<bigint>, Number) : new Float32Array(data as ArrayLike<number>);
  if (scaleToUnit) for (let i = 0; i < values.length; i++) values[i] = values[i] / 255;
  return values;
}

function rejectNonFinite(label: string, values: ArrayLike<number>, sampleSize: number): void {
  for (let k = 0; k < values.length; k++) {
    if (!Number.isFinite(values[k])) throw new UserInputError(`${label}: sample ${Math.floor(k / sampleSize)} holds ${values[k]} (at flat index ${k})`);
  }
}

/**
 * The training and test rows of N samples, split by episode (whole episodes, seeded); without
 * episode ids each sample is its own episode.
 */
export function splitRows(count: number, episodes: StoredArray | undefined, testFraction: number, seed: number, label: string): { trainRows: number[]; testRows: number[]; episodeCount: number } {
  // Float64 keeps int64 episode ids distinct beyond float32's 2^24.
  const episodeOf = episodes ? Float64Array.from(episodes.data as ArrayLike<number>, Number) : undefined;
  if (episodes && episodeOf) {
    if (episodeOf.length !== count) throw new UserInputError(`${episodes.label}: ${episodeOf.length} episode ids for ${count} samples`);
    rejectNonFinite(episodes.label, episodeOf, 1);
  }
  const ids = episodeOf ? [...new Set(episodeOf)].sort((a, b) => a - b) : Array.from({ length: count }, (_, i) => i);
  if (ids.length < 2) throw new UserInputError(`${episodes?.label ?? label}: ${ids.length} episode(s); at least 2 are needed to split train and test`);
  const split = splitEpisodes(ids.length, testFraction, permutation(ids.length, createRng(deriveSeed(seed, 'split'))));
  const testIds = new Set(split.test.map((e) => ids[e]));
  const rows = (test: boolean) => Array.from({ length: count }, (_, i) => i).filter((i) => testIds.has(episodeOf ? episodeOf[i] : i) === test);
  return { trainRows: rows(false), testRows: rows(true), episodeCount: ids.length };
}

/**
 * Turns arrays of N samples into a dataset: checks shapes, counts and values, scales uint8 images
 * to [0, 1], splits by episode (whole episodes, seeded) and standardises series and vectors per
 * channel with statistics of the training split only, so nothing about the test split leaks.
 */
export function buildArrayDataset(input: ArrayDatasetInput): MultimodalDataset {
  const { modalities, episodes } = input;
  for (const m of modalities) checkArrayRank(m.array.label, m.array.shape, m.kind);
  const first = modalities[0].array;
  const count = first.shape[0];
  const values = modalities.map(({ array, kind }) => {
    if (array.shape[0] !== count) throw new UserInputError(`${array.label}: ${array.shape[0]} samples, but ${first.label} has ${count}`);
    const expected = array.shape.reduce((a, b) => a * b, 1);
    if (array.data.length !== expected) throw new UserInputError(`${array.label}: holds ${array.data.length} values, but shape [${array.shape.join(', ')}] needs ${expected}: truncated?`);
    const converted = toFloat32(array.data, kind === 'image' && array.uint8);
    rejectNonFinite(array.label, converted, expected / Math.max(count, 1));
    return converted;
  });

  const { trainRows, testRows, episodeCount } = splitRows(count, episodes, input.testFraction, input.seed, input.label);

  const specs: ModalitySpec[] = modalities.map((m) => ({ name: m.name, kind: m.kind, shape: m.array.shape.slice(1) }));
  const pick = (all: Float32Array, which: number[]) => {
    const size = all.length / count;
    const out = new Float32Array(which.length * size);
    which.forEach((r, k) => out.set(all.subarray(r * size, (r + 1) * size), k * size));
    return out;
  };
  const train: Record<string, Float32Array> = {};
  const test: Record<string, Float32Array> = {};
  specs.forEach((s, i) => {
    train[s.name] = pick(values[i], trainRows);
    test[s.name] = pick(values[i], testRows);
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
    description: { ...input.description, samples: count, episodes: episodeCount },
  };
}
