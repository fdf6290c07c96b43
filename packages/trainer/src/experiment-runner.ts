import * as tf from '@tensorflow/tfjs-core';
import { inject, injectable } from 'inversify';
import { BackendInfo, initBackend } from '@mmfuse/backend';
import { CallbackSummary, ComponentConfig, ComponentRegistry, DataSource, deriveSeed, LoadedPlugin, ModalitySpec, MultimodalDataset, readJsonFile, Regularizer, TrainingCallback } from '@mmfuse/core';
import { ExperimentConfig, setupLabel } from '@mmfuse/config';
import { existsSync, mkdirSync } from 'fs';
import { join } from 'path';
import { readCheckpoint, TrialCheckpoint, writeCheckpoint } from './checkpoint-file';
import { corruptionFailures } from './corruption';
import { atConfigPath, buildModel } from '@mmfuse/model';
import { pruneRows } from './prune-rows';
import { RunFolder, writeFileAtomic } from './run-folder';
import type { RunReporter } from './run-reporter';
import { SetupSummary, summarizeSetup, TrialOutcome } from './summary';
import { DataParallelPool } from './data-parallel-pool';
import { checkInputRange } from './input-range';
import { DivergenceError, TrialTrainer } from './trial-trainer';
import { decideWorkers, WorkerDecision } from './worker-count';

export interface RunSummary {
  name: string;
  runDir: string;
  startedAt: string;
  finishedAt: string;
  seconds: number;
  seed: number;
  backend: BackendInfo;
  /** Threads that computed each batch, and why. */
  parallel: WorkerDecision;
  modalities: string[];
  trials: number;
  epochs: number;
  /** One entry per fusion set-up, keyed by its label. */
  setups: Record<string, SetupSummary>;
  /** What each callback reported at the end (`summarize()`), by its name. */
  callbacks: Record<string, CallbackSummary>;
}

/** One trial of one set-up: the unit a run can hand to a worker process. */
export interface TrialJob {
  readonly setup: string;
  readonly trial: number;
}

/** A dispatched trial whose worker failed every time it was tried: reported, not trained here. */
export interface FailedTrialJob extends TrialJob {
  readonly error: string;
}

export interface RunOptions {
  reporter?: RunReporter;
  outputDir?: string;
  resumeDir?: string;
  runDir?: string;
  /**
   * Hands the unfinished trials to other processes (`runJobs` in each) and resolves when they are
   * done; the run then restores their outcomes and trains any they left unfinished itself, except
   * those the dispatcher reports as failed for good: the summary lists them with their error.
   */
  dispatch?: (jobs: TrialJob[], runDir: string) => Promise<void | FailedTrialJob[]>;
}

interface RunMode {
  resuming: boolean;
  /** Worker: only these trials (`setup#trial`), no summary. */
  only?: Set<string>;
  dispatch?: RunOptions['dispatch'];
}

/** An experiment whose data are loaded and whose models were built once: ready to run. */
export interface PreparedExperiment {
  config: ExperimentConfig;
  backend: BackendInfo;
  data: MultimodalDataset;
  plugins: LoadedPlugin[];
  /** Folder the config's relative paths were resolved against (recorded so a resumed run finds its files). */
  baseDir?: string;
  /** What the data look like that training can use but probably should not be given as is (see checkInputRange). */
  warnings?: string[];
}

export { setupLabel };

/** Trains every fusion set-up of a config for every trial and writes the run folder. */
@injectable()
export class ExperimentRunner {
  constructor(@inject(ComponentRegistry) private readonly registry: ComponentRegistry) {}

  /**
   * Builds every set-up's model once with trial 0's seed, so that size mismatches and bad
   * component options fail before anything is written.
   */
  checkModels(config: ExperimentConfig, modalities: readonly ModalitySpec[]): void {
    config.training.corruption.forEach((c, i) => {
      const spec = modalities.find((m) => m.name === c.modality);
      if (c.kind === 'failures' && spec) corruptionFailures(c, spec, `training.corruption[${i}]`);
    });
    config.fusions.forEach((fusion, i) => {
      buildModel(this.registry, config, fusion, `fusions[${i}]`, modalities, deriveSeed(config.seed, 'trial', 0)).dispose();
    });
    // Callbacks check their options when built; building them here finds a bad one before a run folder exists.
    config.callbacks.forEach((c, i) => atConfigPath(`callbacks[${i}]`, () => this.registry.create('callback', c, { runDir: '' })));
  }

  /** The config's data source with the seed a run derives, so anything that looks at a run's data sees the same samples. */
  dataSource(config: ExperimentConfig, baseDir: string, progress?: (done: number, total: number) => void): DataSource {
    return atConfigPath('data', () => this.registry.create('data', config.data, { seed: deriveSeed(config.seed, 'data'), baseDir, progress }));
  }

  /** Starts the backend, loads the data and checks the models; writes nothing. */
  async prepare(config: ExperimentConfig, options: { baseDir: string; plugins?: LoadedPlugin[]; dataProgress?: (done: number, total: number) => void }): Promise<PreparedExperiment> {
    const backend = await initBackend(config.backend);
    const data = await this.dataSource(config, options.baseDir, options.dataProgress).load();
    const warnings = checkInputRange(data);
    this.checkModels(config, data.modalities);
    return { config, backend, data, plugins: options.plugins ?? [], baseDir: options.baseDir, warnings };
  }

  /**
   * Trains every set-up for every trial, writing the run folder as it goes: metrics after every
   * epoch, a checkpoint per trial, and an outcome file per finished trial. With `resumeDir`, the
   * run continues in that folder: finished trials are kept, unfinished ones continue from their
   * last checkpoint (rows written after it are dropped first).
   */
  async run(prepared: PreparedExperiment, options: RunOptions = {}): Promise<RunSummary> {
    // `runDir`: this exact folder, continued when it already holds an interrupted run (sweep points).
    const resumeDir = options.resumeDir ?? (options.runDir && existsSync(join(options.runDir, 'run.json')) ? options.runDir : undefined);
    const folder = resumeDir
      ? RunFolder.open(resumeDir)
      : options.runDir
        ? RunFolder.at(options.runDir)
        : RunFolder.create(options.outputDir ?? prepared.config.output.dir, prepared.config.name, new Date());
    folder.lock();
    const release = () => folder.unlock();
    process.once('exit', release);
    try {
      return (await this.runIn(folder, prepared, options.reporter ?? {}, { resuming: Boolean(resumeDir), dispatch: options.dispatch }))!;
    } finally {
      process.off('exit', release);
      folder.unlock();
    }
  }

  /**
   * Trains only the given trials in an existing run folder, as one of several worker processes a
   * run dispatched them to: no lock (the dispatching run holds it), no summary; each trial continues
   * from its checkpoint when it has one and leaves its outcome file when done.
   */
  async runJobs(prepared: PreparedExperiment, runDir: string, jobs: readonly TrialJob[], reporter: RunReporter = {}): Promise<void> {
    const folder = RunFolder.open(runDir);
    await this.runIn(folder, prepared, reporter, { resuming: true, only: new Set(jobs.map((j) => `${j.setup}#${j.trial}`)) });
  }

  private async runIn(folder: RunFolder, prepared: PreparedExperiment, reporter: RunReporter, mode: RunMode): Promise<RunSummary | undefined> {
    const { config, data, backend } = prepared;
    const started = new Date();
    const worker = mode.only !== undefined;
    // Trials left by workers or an interruption continue from their checkpoints.
    const resuming = mode.resuming || mode.dispatch !== undefined;
    if (!mode.resuming) folder.writeJson('config.json', config);
    // What an interrupted write left behind goes before anything is restored.
    else if (!worker) folder.removeStaleTemporaries();
    mkdirSync(folder.file('trials'), { recursive: true });
    mkdirSync(folder.file('checkpoints'), { recursive: true });
    if (!worker) folder.writeJson(mode.resuming ? `run-resumed-${started.getTime()}.json` : 'run.json', {
      name: config.name,
      startedAt: started.toISOString(),
      backend,
      plugins: prepared.plugins,
      ...(prepared.baseDir ? { configDir: prepared.baseDir } : {}),
      parallel: decideWorkers(config.training.workers, backend.name, config.training.batchSize, prepared.plugins.length > 0),
      node: process.version,
      ...(prepared.warnings?.length ? { warnings: prepared.warnings } : {}),
      data: { train: data.train.size, test: data.test.size, modalities: data.modalities, description: data.description ?? {} },
    });
    const callbacks: TrainingCallback[] = config.callbacks.map((c, i) => atConfigPath(`callbacks[${i}]`, () => this.registry.create('callback', c, { runDir: folder.path })));
    const createRegularizer = (r: ComponentConfig, path: string): Regularizer => atConfigPath(path, () => this.registry.create('regularizer', r, { name: path }));
    const shared = config.regularizers.map((r, i) => createRegularizer(r, `regularizers[${i}]`));
    // Each set-up trains with the shared regularizers plus its own.
    const regularizersOf = config.fusions.map((f, i) => [...shared, ...(f.regularizers ?? []).map((r, j) => createRegularizer(r, `fusions[${i}].regularizers[${j}]`))]);

    const labels = config.fusions.map(setupLabel);
    const parallel = decideWorkers(config.training.workers, backend.name, config.training.batchSize, prepared.plugins.length > 0);
    reporter.runStarted?.({
      runDir: folder.path,
      setups: labels,
      trials: config.training.trials,
      epochs: config.training.epochs,
      backend: backend.name,
      workers: parallel.workers,
      trainSamples: data.train.size,
      testSamples: data.test.size,
    });

    const outcomes = new Map<string, TrialOutcome[]>(labels.map((l) => [l, []]));
    const parameters = new Map<string, number>();
    const failedJobs = new Map<string, string>();
    if (mode.dispatch) {
      const jobs: TrialJob[] = [];
      for (let trial = 0; trial < config.training.trials; trial++) {
        for (const setup of labels) {
          if (existsSync(folder.file(`trials/${setup}.trial${trial}.json`))) continue;
          // Rows an interrupted attempt wrote after its checkpoint go before any worker appends.
          pruneRows(folder.path, setup, trial, readCheckpoint(folder.file(`checkpoints/${setup}.trial${trial}.ckpt`))?.epoch ?? 0);
          jobs.push({ setup, trial });
        }
      }
      if (jobs.length > 0) for (const f of (await mode.dispatch(jobs, folder.path)) ?? []) failedJobs.set(`${f.setup}#${f.trial}`, f.error);
    }
    // Trials outermost: an interrupted run still has every fusion for the trials it finished.
    for (let trial = 0; trial < config.training.trials; trial++) {
      const seed = deriveSeed(config.seed, 'trial', trial);
      for (let f = 0; f < config.fusions.length; f++) {
        const setup = labels[f];
        if (mode.only && !mode.only.has(`${setup}#${trial}`)) continue;
        const outcomeFile = folder.file(`trials/${setup}.trial${trial}.json`);
        const checkpointFile = folder.file(`checkpoints/${setup}.trial${trial}.ckpt`);
        if (existsSync(outcomeFile)) {
          // Finished before an interruption: never redone.
          const done = readJsonFile<TrialOutcome & { parameters: number }>(outcomeFile, 'delete it to train this trial again (from its checkpoint, when there is one)');
          outcomes.get(setup)!.push(done);
          parameters.set(setup, done.parameters);
          for (const c of callbacks) await c.onTrialRestored?.({ setup, trial, seed, runDir: folder.path, seconds: done.seconds });
          reporter.trialEnded?.(setup, trial, done.seconds);
          continue;
        }
        const failedError = failedJobs.get(`${setup}#${trial}`);
        if (failedError !== undefined) {
          // No outcome file: a later --resume tries it again.
          outcomes.get(setup)!.push({ setup, trial, seed, seconds: 0, epochs: [], status: 'failed', error: failedError });
          reporter.trialFailed?.(setup, trial, failedError);
          continue;
        }
        const resume = resuming ? readCheckpoint(checkpointFile) : undefined;
        // A worker's rows were pruned by the run that dispatched it, before other workers appended.
        if (resuming && !worker) pruneRows(folder.path, setup, trial, resume?.epoch ?? 0);
        const model = buildModel(this.registry, config, config.fusions[f], `fusions[${f}]`, data.modalities, seed);
        parameters.set(setup, model.parameterCount());
        const info = { setup, trial, seed, runDir: folder.path, model, data, startEpoch: resume?.epoch ?? 0 };
        reporter.trialStarted?.(setup, trial);
        const trialStarted = Date.now();
        let pool: DataParallelPool | undefined;
        try {
          if (parallel.workers > 1) {
            const names = config.modalities.map((m) => m.name);
            const sizes = names.map((n) => data.modalities.find((s) => s.name === n)!.shape.reduce((a, b) => a * b, 1));
            const corrupted = names.map((n) => config.training.corruption.some((c) => c.modality === n));
            pool = await DataParallelPool.start(
              parallel.workers - 1,
              { backend: backend.name, pluginDirectories: prepared.plugins.map((p) => p.directory), config, fusion: config.fusions[f], regularizers: [], specs: [...data.modalities], seed },
              model,
              config.training.batchSize,
              sizes,
              corrupted,
            );
          }
          for (const c of callbacks) await c.onTrialStart?.(info);
          const checkpointing = { every: config.training.checkpointEvery, resume, save: (c: TrialCheckpoint) => writeCheckpoint(checkpointFile, c) };
          const trainer = new TrialTrainer(model, data, config, regularizersOf[f], seed, pool, checkpointing);
          let outcome: TrialOutcome;
          try {
            const epochs = await trainer.train(async (record) => {
            // Memory per epoch: a leak shows as a growing tensor count or resident size.
            const memory = { tensors: tf.memory().numTensors, rssMB: +(process.memoryUsage().rss / 1048576).toFixed(1) };
            folder.appendJsonLine('metrics.jsonl', { setup, trial, seed, ...record, memory });
            reporter.epochEnded?.(setup, trial, record.epoch, record.train, record.test);
            for (const c of callbacks) await c.onEpochEnd?.({ ...info, epoch: record.epoch, train: record.train, test: record.test });
            });
            outcome = { setup, trial, seed, seconds: (Date.now() - trialStarted) / 1000, epochs, status: 'done', parameterNorms: parameterNorms(model) };
          } catch (error) {
            if (!(error instanceof DivergenceError)) throw error;
            // This trial stops; the others go on. What went wrong, where, and the last estimates.
            const details = callbacks.map((c) => c.onDiverged?.({ ...info, epoch: error.epoch, subModel: error.subModel })).filter(Boolean);
            outcome = {
              setup,
              trial,
              seed,
              seconds: (Date.now() - trialStarted) / 1000,
              epochs: error.records,
              status: 'diverged',
              divergence: { epoch: error.epoch, step: error.step, subModel: error.subModel ?? null, details: Object.assign({}, ...details), ...(error.where ? { where: error.where } : {}) },
            };
            reporter.trialDiverged?.(setup, trial, error.message);
          }
          for (const c of callbacks) await c.onTrialEnd?.(info);
          writeFileAtomic(outcomeFile, `${JSON.stringify({ ...outcome, parameters: model.parameterCount() })}\n`);
          outcomes.get(setup)!.push(outcome);
          reporter.trialEnded?.(setup, trial, outcome.seconds);
        } finally {
          await pool?.close();
          model.dispose();
        }
      }
    }

    if (worker) return undefined;
    const finished = new Date();
    const summary: RunSummary = {
      name: config.name,
      runDir: folder.path,
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      seconds: (finished.getTime() - started.getTime()) / 1000,
      seed: config.seed,
      backend,
      parallel,
      modalities: config.modalities.map((m) => m.name),
      trials: config.training.trials,
      epochs: config.training.epochs,
      setups: Object.fromEntries(
        labels.map((label, f) => {
          const { label: _l, ...fusion } = config.fusions[f];
          return [label, summarizeSetup(outcomes.get(label)!, fusion, parameters.get(label) ?? 0)];
        }),
      ),
      callbacks: {},
    };
    for (const c of callbacks) {
      const reported = c.summarize?.();
      if (reported) summary.callbacks[reported.name] = reported;
    }
    folder.writeJson('summary.json', summary);
    folder.writeText('summary.csv', summaryCsv(summary));
    reporter.runEnded?.(summary);
    return summary;
  }
}

/** The L2 norm of every sub-model's parameters and of all of them (`model`). */
export function parameterNorms(model: { subModels(): Array<{ name: string; parameters: ReadonlyArray<{ variable: tf.Variable }> }> }): Record<string, number> {
  const norms: Record<string, number> = {};
  let all = 0;
  for (const subModel of model.subModels()) {
    const squares = subModel.parameters.reduce((sum, p) => sum + tf.tidy(() => tf.sum(tf.square(p.variable)).dataSync()[0]), 0);
    norms[subModel.name] = Math.sqrt(squares);
    all += squares;
  }
  norms.model = Math.sqrt(all);
  return norms;
}

/** One row per set-up, split and loss: mean, std and n, for spreadsheets. */
export function summaryCsv(summary: RunSummary): string {
  const rows = ['setup,split,loss,mean,std,n'];
  for (const [setup, s] of Object.entries(summary.setups)) {
    for (const split of ['train', 'test'] as const) {
      for (const [loss, v] of Object.entries(s.final[split])) rows.push([setup, split, loss, v.mean, v.std, v.n].join(','));
    }
  }
  return `${rows.join('\n')}\n`;
}
