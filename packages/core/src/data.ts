/** What one modality holds per sample. */
export type ModalityKind = 'image' | 'series' | 'vector';

export interface ModalitySpec {
  /** Name used in configs, metrics and sub-model names (`encoder:<name>`). */
  readonly name: string;
  readonly kind: ModalityKind;
  /** Shape of one sample: `[height, width, channels]` for images, `[steps, channels]` for series. */
  readonly shape: readonly number[];
}

/**
 * Samples of one modality kept outside memory (e.g. in files), read a batch at a time, so a dataset
 * larger than memory can train.
 */
export interface SampleStore {
  /** Values per sample. */
  readonly sampleSize: number;
  readonly samples: number;
  /** Copies sample `index` (row-major, float32) into `out` at `offset`. */
  readSample(index: number, out: Float32Array, offset: number): void;
}

/** One modality's samples: in memory, row-major, or in a store. */
export type ModalitySamples = Float32Array | SampleStore;

export function isSampleStore(samples: ModalitySamples): samples is SampleStore {
  return !(samples instanceof Float32Array);
}

/** The samples as one array; for code that needs the whole split in memory (small datasets, tests). */
export function inMemory(samples: ModalitySamples): Float32Array {
  if (isSampleStore(samples)) return gatherSamples(samples, samples.sampleSize, Array.from({ length: samples.samples }, (_, i) => i), 0, samples.samples);
  return samples;
}

/** Copies samples `indices[start..end)` of one modality into `out` (allocated when omitted). */
export function gatherSamples(source: ModalitySamples, size: number, indices: ArrayLike<number>, start: number, end: number, out: Float32Array = new Float32Array((end - start) * size)): Float32Array {
  if (isSampleStore(source)) {
    for (let k = start; k < end; k++) source.readSample(indices[k], out, (k - start) * size);
    return out;
  }
  for (let k = start; k < end; k++) {
    const s = indices[k];
    out.set(source.subarray(s * size, (s + 1) * size), (k - start) * size);
  }
  return out;
}

/** One split of a dataset: `arrays[m]` holds `size` samples of modality m, row-major, float32. */
export interface DataSplit {
  readonly size: number;
  readonly arrays: Readonly<Record<string, ModalitySamples>>;
  /** Integer labels per sample (e.g. `failure`: index into the dataset description's label names), for analysis, never for training. */
  readonly labels?: Readonly<Record<string, Int32Array>>;
}

export interface MultimodalDataset {
  readonly modalities: readonly ModalitySpec[];
  readonly train: DataSplit;
  readonly test: DataSplit;
  /** Free-form facts about how the data were made (shown in the run folder). */
  readonly description?: Record<string, unknown>;
  /** Problems the source went on despite (by an option the user chose), to be stated when the data are used. */
  readonly warnings?: readonly string[];
}

/** A registered data source turns its options into a dataset (deterministic for a given seed). */
export interface DataSource {
  load(): Promise<MultimodalDataset>;
}

export interface DataSourceContext {
  readonly seed: number;
  /** Directory that relative paths in the source's options are resolved against. */
  readonly baseDir: string;
  /** Reports slow preparation (simulation, decoding) as units done out of a total. */
  readonly progress?: (done: number, total: number) => void;
}

export function sampleSize(spec: ModalitySpec): number {
  return spec.shape.reduce((a, b) => a * b, 1);
}
