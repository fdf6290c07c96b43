import type { CallbackSummary, LoadedPlugin, LossRecord, MeanStd, ModalitySpec } from '@mmfuse/core';

// The records of a run folder and a sweep folder, declared once: the trainer writes them, and the
// queue, the report, the analysis and the CLI read them with these types.

/** One epoch of one trial. */
export interface EpochRecord {
  epoch: number;
  train: LossRecord;
  test: LossRecord;
  seconds: number;
}

/** A line of metrics.jsonl: an epoch of a trial, with the process's memory after it. */
export interface EpochRow extends EpochRecord {
  setup: string;
  trial: number;
  seed: number;
  memory: { tensors: number; rssMB: number };
}

/** Where a diverged trial stopped. */
export interface Divergence {
  epoch: number;
  step: number;
  subModel: string | null;
  details: Record<string, unknown>;
  /** Where it showed when not in the weights (e.g. "the test loss of camera"). */
  where?: string;
}

/** `trials/<setup>.trial<k>.json`: one finished trial. */
export interface TrialOutcome {
  setup: string;
  trial: number;
  seed: number;
  seconds: number;
  /** The epochs it completed. */
  epochs: EpochRecord[];
  /**
   * `diverged`: the loss or weights stopped being finite; the trial stopped there. `failed`: the
   * worker it was handed to failed every time (`error` says why); it has no epochs.
   */
  status: 'done' | 'diverged' | 'failed';
  /** Samples each step computed at once, and why (fewer than the batch when memory is short). */
  microBatch?: { size: number; reason: string };
  error?: string;
  divergence?: Divergence;
  /** L2 norm of each sub-model's parameters (and `model`, all of them) after the last epoch. */
  parameterNorms?: Record<string, number>;
}

/** A trial outcome as its file holds it: with the model's parameter count. */
export type TrialOutcomeFile = TrialOutcome & { parameters: number };

/** The backend as the run records it (the backend package's BackendInfo fits it). */
export interface BackendRecord {
  /** The TensorFlow.js backend name (`tensorflow`, `wasm`, `cpu`). */
  readonly name: string;
  readonly requested: string;
  /** Why this backend was chosen, including why faster ones were passed over. */
  readonly reason: string;
  readonly version: string;
  readonly tfjsVersion: string;
  readonly threads?: number;
  readonly simd?: boolean;
  readonly gpu?: boolean;
  readonly nativePackage?: string;
}

/** Threads that computed each batch, and why. */
export interface ParallelRecord {
  /** Threads computing each batch, the main one included. */
  workers: number;
  /** Threads each convolution's batch is split over (the main one included), when more than one. */
  convolutionThreads?: number;
  reason: string;
}

/** `run.json` (and each `run-resumed-<time>.json`): what started the run. */
export interface RunRecord {
  name: string;
  startedAt: string;
  backend: BackendRecord;
  plugins: LoadedPlugin[];
  /** The folder the config's relative paths resolve against. */
  configDir?: string;
  parallel: ParallelRecord;
  node: string;
  /** What the data look like that training can use but probably should not be given as is. */
  warnings?: string[];
  data: { train: number; test: number; modalities: readonly ModalitySpec[]; description: Record<string, unknown> };
}

/** One set-up (one fusion) over its trials, in the shape of the paper's Table 1. */
export interface SetupSummary {
  /** Fusion type and options of this set-up. */
  fusion: Record<string, unknown>;
  /** Trials that finished; the statistics below are over these only. */
  trials: number;
  /** Trials that diverged, with where; never part of a mean. */
  diverged: Array<Divergence & { trial: number }>;
  /** Trials whose worker failed every time, with its error; never part of a mean. */
  failed?: Array<{ trial: number; error: string }>;
  parameters: number;
  /** Losses after the last epoch over trials: mean, sample std (n − 1), and each trial's value. */
  final: { train: Record<string, MeanStd & { values: number[] }>; test: Record<string, MeanStd & { values: number[] }> };
  /** Mean and std over trials of each epoch's loss, for curves. */
  curves: { train: Record<string, { mean: number[]; std: number[] }>; test: Record<string, { mean: number[]; std: number[] }> };
  secondsPerTrial: MeanStd;
  /** L2 norm of each sub-model's parameters after training, and of all of them (the λ ablation's second panel). */
  parameterNorms: Record<string, MeanStd>;
  parameterNorm?: MeanStd;
}

/** `summary.json`: the run over every set-up and trial. */
export interface RunSummary {
  name: string;
  runDir: string;
  startedAt: string;
  finishedAt: string;
  seconds: number;
  seed: number;
  backend: BackendRecord;
  parallel: ParallelRecord;
  modalities: string[];
  trials: number;
  epochs: number;
  /** One entry per fusion set-up, keyed by its label. */
  setups: Record<string, SetupSummary>;
  /** What each callback reported at the end (`summarize()`), by its name. */
  callbacks: Record<string, CallbackSummary>;
}

/** `queue.json` in a queued run's (or sweep's) folder: which queue run it is, so `--resume` finds its jobs. */
export interface QueueRecord {
  runId: string;
  queueName: string;
  /** The folder the config's relative paths resolve against. */
  configDir: string;
  createdAt: string;
}

/** `sweep.json`: what a sweep folder holds, written before the first point starts. */
export interface SweepRecord {
  name: string;
  /** The folder the config's relative paths resolve against. */
  configDir: string;
  parameters: string[];
  points: Array<{ index: number; assignments: Record<string, unknown>; runDir: string }>;
}

/** A point of `sweep-summary.json`. */
export interface PointOutcome {
  index: number;
  assignments: Record<string, unknown>;
  runDir: string;
  status: 'done' | 'failed';
  seconds?: number;
  error?: string;
  /** Per set-up: final test loss (mean ± std over trials) of every modality and the total. */
  final?: Record<string, Record<string, { mean: number; std: number; n: number }>>;
  lipschitz?: unknown;
}
