import type { ComponentConfig, ModalitySpec } from '@mmfuse/core';
import type { ExperimentConfig, FusionConfig } from '@mmfuse/config';

/** Everything a worker needs to build its replica and find the shared buffers. */
export interface WorkerSetup {
  backend: string;
  /** Plugin folders to load (built-ins included), as absolute paths. */
  pluginDirectories: string[];
  config: Pick<ExperimentConfig, 'modalities' | 'training' | 'seed'>;
  fusion: FusionConfig;
  regularizers: ComponentConfig[];
  specs: ModalitySpec[];
  seed: number;
  /** Flattened weights, then buffers, written by the main thread before every step. */
  weights: SharedArrayBuffer;
  /** This worker's flattened gradients. */
  gradients: SharedArrayBuffer;
  /** Per modality: the batch inputs, and the clean targets (the same buffer without corruption). */
  inputs: SharedArrayBuffer[];
  targets: SharedArrayBuffer[];
}

export type ToWorker = { type: 'step'; count: number; start: number; end: number } | { type: 'stop' };

export type FromWorker = { type: 'ready'; parameters: number; synced: number } | { type: 'done'; losses: number[] } | { type: 'error'; message: string };
