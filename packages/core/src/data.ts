/** What one modality holds per sample. */
export type ModalityKind = 'image' | 'series' | 'vector';

export interface ModalitySpec {
  /** Name used in configs, metrics and sub-model names (`encoder:<name>`). */
  readonly name: string;
  readonly kind: ModalityKind;
  /** Shape of one sample: `[height, width, channels]` for images, `[steps, channels]` for series. */
  readonly shape: readonly number[];
}

/** One split of a dataset: `arrays[m]` holds `size` samples of modality m, row-major, float32. */
export interface DataSplit {
  readonly size: number;
  readonly arrays: Readonly<Record<string, Float32Array>>;
}

export interface MultimodalDataset {
  readonly modalities: readonly ModalitySpec[];
  readonly train: DataSplit;
  readonly test: DataSplit;
  /** Free-form facts about how the data were made (shown in the run folder). */
  readonly description?: Record<string, unknown>;
}

/** A registered data source turns its options into a dataset (deterministic for a given seed). */
export interface DataSource {
  load(): Promise<MultimodalDataset>;
}

export interface DataSourceContext {
  readonly seed: number;
  /** Directory that relative paths in the source's options are resolved against. */
  readonly baseDir: string;
}

export function sampleSize(spec: ModalitySpec): number {
  return spec.shape.reduce((a, b) => a * b, 1);
}
