import * as tf from '@tensorflow/tfjs-core';
import { ComponentRegistry, MultimodalDataset, readJsonFile, Regularizer, TrainingCallback, writeFileAtomic } from '@mmfuse/core';
import type { BackendInfo } from '@mmfuse/backend';
import type { ExperimentConfig } from '@mmfuse/config';
import { buildModel, MultimodalAutoencoder } from '@mmfuse/model';
import { pruneRows, readCheckpoint, RunFolder, RUN_FILES, TrialCheckpoint, TrialOutcome, TrialOutcomeFile, writeCheckpoint } from '@mmfuse/runs';
import { existsSync } from 'fs';
import { DataParallelPool } from './data-parallel-pool';
import type { RunReporter } from './run-reporter';
import { DivergenceError, TrialTrainer } from './trial-trainer';
import type { WorkerDecision } from './worker-count';

/** What every trial of one run shares: the folder, the experiment and the components built for it. */
export interface RunContext {
  readonly registry: ComponentRegistry;
  readonly folder: RunFolder;
  readonly config: ExperimentConfig;
  readonly data: MultimodalDataset;
  readonly backend: BackendInfo;
  readonly pluginDirectories: string[];
  readonly reporter: RunReporter;
  readonly callbacks: TrainingCallback[];
  /** Per set-up (config order): the shared regularizers and the set-up's own. */
  readonly regularizers: Regularizer[][];
  readonly parallel: WorkerDecision;
  /** Unfinished trials continue from their checkpoints. */
  readonly resuming: boolean;
  /**
   * Drop a resumed trial's rows written after its checkpoint before it continues. Not in a worker:
   * the run that dispatched it pruned them before any worker appended.
   */
  readonly pruneRows: boolean;
}

/** One trial of one set-up, planned: the unit a run trains or hands to a worker. */
export interface PlannedTrial {
  readonly setup: string;
  readonly trial: number;
  /** Index of the set-up's fusion in the config. */
  readonly fusion: number;
  readonly seed: number;
}

/** A trial's result as the summary needs it. */
export interface TrialResult {
  readonly outcome: TrialOutcome;
  /** The model's parameter count (0 when no model was built). */
  readonly parameters: number;
}

/** A trial finished before (its outcome file exists): restored, never redone. */
export async function restoreTrial(context: RunContext, job: PlannedTrial): Promise<TrialResult | undefined> {
  const file = context.folder.outcomeFile(job.setup, job.trial);
  if (!existsSync(file)) return undefined;
  const done = readJsonFile<TrialOutcomeFile>(file, 'delete it to train this trial again (from its checkpoint, when there is one)');
  for (const c of context.callbacks) await c.onTrialRestored?.({ setup: job.setup, trial: job.trial, seed: job.seed, runDir: context.folder.path, seconds: done.seconds });
  context.reporter.trialEnded?.(job.setup, job.trial, done.seconds, { restored: true });
  return { outcome: done, parameters: done.parameters };
}

/** A trial whose worker failed every time: reported, with no outcome file (a later --resume tries it again). */
export function failedTrial(context: RunContext, job: PlannedTrial, error: string): TrialResult {
  context.reporter.trialFailed?.(job.setup, job.trial, error);
  return { outcome: { setup: job.setup, trial: job.trial, seed: job.seed, seconds: 0, epochs: [], status: 'failed', error }, parameters: 0 };
}

/** Data-parallel replicas of the model for this trial, when the run trains on several threads. */
async function replicas(context: RunContext, job: PlannedTrial, model: MultimodalAutoencoder): Promise<DataParallelPool | undefined> {
  const { config, data, parallel } = context;
  if (parallel.workers <= 1) return undefined;
  const names = config.modalities.map((m) => m.name);
  const sizes = names.map((n) => data.modalities.find((s) => s.name === n)!.shape.reduce((a, b) => a * b, 1));
  const corrupted = names.map((n) => config.training.corruption.some((c) => c.modality === n));
  const setup = { backend: context.backend.name, pluginDirectories: context.pluginDirectories, config, fusion: config.fusions[job.fusion], regularizers: [], specs: [...data.modalities], seed: job.seed };
  return DataParallelPool.start(parallel.workers - 1, setup, model, config.training.batchSize, sizes, corrupted);
}

/**
 * Trains one trial in this process, from its checkpoint when resuming: metrics after every
 * epoch, a checkpoint as configured, and the outcome file when it ends (done or diverged).
 */
export async function trainTrial(context: RunContext, job: PlannedTrial): Promise<TrialResult> {
  const { folder, config, data, reporter, callbacks } = context;
  const { setup, trial, seed } = job;
  const checkpointFile = folder.checkpointFile(setup, trial);
  const resume = context.resuming ? readCheckpoint(checkpointFile) : undefined;
  if (context.pruneRows) pruneRows(folder.path, setup, trial, resume?.epoch ?? 0);
  const model = buildModel(context.registry, config, config.fusions[job.fusion], `fusions[${job.fusion}]`, data.modalities, seed);
  const info = { setup, trial, seed, runDir: folder.path, model, data, startEpoch: resume?.epoch ?? 0, epochs: config.training.epochs };
  reporter.trialStarted?.(setup, trial);
  const started = Date.now();
  let pool: DataParallelPool | undefined;
  try {
    pool = await replicas(context, job, model);
    for (const c of callbacks) await c.onTrialStart?.(info);
    const checkpointing = { every: config.training.checkpointEvery, resume, save: (c: TrialCheckpoint) => writeCheckpoint(checkpointFile, c) };
    const trainer = new TrialTrainer(model, data, config, context.regularizers[job.fusion], seed, pool, checkpointing);
    let outcome: TrialOutcome;
    try {
      const epochs = await trainer.train(async (record) => {
        // Memory per epoch: a leak shows as a growing tensor count or resident size.
        const memory = { tensors: tf.memory().numTensors, rssMB: +(process.memoryUsage().rss / 1048576).toFixed(1) };
        folder.appendJsonLine(RUN_FILES.metrics, { setup, trial, seed, ...record, memory });
        reporter.epochEnded?.(setup, trial, record.epoch, record.train, record.test);
        for (const c of callbacks) await c.onEpochEnd?.({ ...info, epoch: record.epoch, train: record.train, test: record.test });
      }, (message) => reporter.note?.(setup, trial, message));
      outcome = { setup, trial, seed, seconds: (Date.now() - started) / 1000, epochs, status: 'done', parameterNorms: await parameterNorms(model), ...(trainer.microBatch ? { microBatch: trainer.microBatch } : {}) };
    } catch (error) {
      if (!(error instanceof DivergenceError)) throw error;
      // This trial stops; the others go on. What went wrong, where, and the last estimates.
      const details = callbacks.map((c) => c.onDiverged?.({ ...info, epoch: error.epoch, subModel: error.subModel })).filter(Boolean);
      const divergence = { epoch: error.epoch, step: error.step, subModel: error.subModel ?? null, details: Object.assign({}, ...details), ...(error.where ? { where: error.where } : {}) };
      outcome = { setup, trial, seed, seconds: (Date.now() - started) / 1000, epochs: error.records, status: 'diverged', divergence };
      reporter.trialDiverged?.(setup, trial, error.message);
    }
    for (const c of callbacks) await c.onTrialEnd?.(info);
    const parameters = model.parameterCount();
    const file: TrialOutcomeFile = { ...outcome, parameters };
    writeFileAtomic(folder.outcomeFile(setup, trial), `${JSON.stringify(file)}\n`);
    reporter.trialEnded?.(setup, trial, outcome.seconds, { test: outcome.epochs.at(-1)?.test });
    return { outcome, parameters };
  } finally {
    await pool?.close();
    model.dispose();
  }
}

/** The L2 norm of every sub-model's parameters and of all of them (`model`). */
export async function parameterNorms(model: { subModels(): Array<{ name: string; parameters: ReadonlyArray<{ variable: tf.Variable }> }> }): Promise<Record<string, number>> {
  const norms: Record<string, number> = {};
  let all = 0;
  for (const subModel of model.subModels()) {
    let squares = 0;
    for (const p of subModel.parameters) {
      const sum = tf.tidy(() => tf.sum(tf.square(p.variable)));
      squares += (await sum.data())[0];
      sum.dispose();
    }
    norms[subModel.name] = Math.sqrt(squares);
    all += squares;
  }
  norms.model = Math.sqrt(all);
  return norms;
}
