import type { SweepConfig } from './sweep';
import type { ComponentConfig } from '@mmfuse/core';

/** How one modality is encoded, decoded and weighted in the loss. */
export interface ModalityConfig {
  /** Must name a modality the data source provides. */
  name: string;
  encoder: ComponentConfig;
  decoder: ComponentConfig;
  /** Weight of this modality's MSE in the loss. */
  lossWeight: number;
}

/**
 * A fusion under comparison; `label` names it in metrics and tables (defaults to its type);
 * `regularizers` apply to this set-up only (the config's top-level ones apply to every set-up).
 */
export type FusionConfig = ComponentConfig & { label?: string; regularizers?: ComponentConfig[] };

/** The name of a fusion's set-up in a run (metrics, file names, tables): its label, else its type. */
export function setupLabel(fusion: { type: string; label?: string }): string {
  return fusion.label ?? fusion.type;
}

/** Input corruption for denoising training: the target stays clean. */
export interface CorruptionConfig {
  modality: string;
  kind: 'gaussian' | 'dropout' | 'blank' | 'failures';
  /** Noise std (gaussian), the share of values zeroed (dropout) or the failure severity (failures); unused for blank. */
  level: number;
  /** Failure types drawn from (kind failures); default every failure for the modality's kind. */
  failures?: string[];
  /** Probability that a sample is corrupted. */
  probability: number;
}

export interface TrainingConfig {
  epochs: number;
  batchSize: number;
  learningRate: number;
  trials: number;
  /** Corruptions applied to training inputs (and, with `corruptTest`, to test inputs). */
  corruption: CorruptionConfig[];
  corruptTest: boolean;
  /** Data-parallel workers (threads, each with its own backend): a number, or `auto`. */
  workers: number | 'auto';
  /** Samples computed at once within a batch (gradients accumulated): a number, or `auto` (what fits the backend's memory). */
  microBatch?: number | 'auto';
  /** Memory a training step may use, in MB, for choosing the micro-batch (default: WebAssembly's 4 GiB heap; none stated for other backends). */
  memoryBudgetMB?: number;
  /** Worker processes running trials at once (1: one after another in this process). */
  processes: number | 'auto';
  /** Save model and optimiser state every N epochs (and after the last), for `--resume`. */
  checkpointEvery: number;
}

/** Published final losses: `losses[split][setup][loss] = [mean, std]`. */
export interface ReferenceValues {
  source: string;
  trials?: number;
  losses: Partial<Record<'train' | 'test', Record<string, Record<string, [number, number]>>>>;
}

/** A whole experiment: what `mmfuse run` reads (after validation, with defaults applied). */
export interface ExperimentConfig {
  $schema?: string;
  name: string;
  description?: string;
  /** Published results this experiment reproduces, shown beside the run's in the report. */
  reference?: ReferenceValues;
  seed: number;
  /** `auto` or a registered backend's name (tensorflow, webgpu, wasm, cpu, or a plugin's). */
  backend: string;
  plugins: string[];
  data: ComponentConfig;
  modalities: ModalityConfig[];
  fusions: FusionConfig[];
  regularizers: ComponentConfig[];
  callbacks: ComponentConfig[];
  training: TrainingConfig;
  output: { dir: string };
  /** Points to run this experiment at (each in its own run folder). */
  sweep?: SweepConfig;
}
