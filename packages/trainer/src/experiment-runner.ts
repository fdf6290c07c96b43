import { inject, injectable } from 'inversify';
import { BackendInfo, initBackend, setConvolutionThreads } from '@mmfuse/backend';
import { ComponentConfig, ComponentRegistry, DataSource, deriveSeed, LoadedPlugin, ModalitySpec, MultimodalDataset, Regularizer, TrainingCallback } from '@mmfuse/core';
import { ExperimentConfig, setupLabel } from '@mmfuse/config';
import { existsSync } from 'fs';
import { join } from 'path';
import { atConfigPath, buildModel } from '@mmfuse/model';
import { pruneRows, readCheckpoint, resumedRecordName, RunFolder, RunRecord, RunSummary, RUN_FILES } from '@mmfuse/runs';
import { corruptionFailures } from './corruption';
import { checkInputRange } from './input-range';
import type { RunReporter } from './run-reporter';
import { summarizeSetup } from './summary';
import { failedTrial, PlannedTrial, restoreTrial, RunContext, TrialResult, trainTrial } from './trial-run';
import { decideWorkers } from './worker-count';

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
   * Where the trials train: here, one after another, when absent; otherwise an executor that
   * trains them elsewhere (a process pool, a queue's workers).
   */
  dispatch?: TrialExecutor;
}

/**
 * Trains a run's unfinished trials in other processes (`runJobs` in each) and resolves when they
 * are done; the run then restores their outcomes and trains any they left unfinished itself, except
 * those the executor reports as failed for good: the summary lists them with their error.
 */
export type TrialExecutor = (jobs: TrialJob[], runDir: string) => Promise<void | FailedTrialJob[]>;

interface RunMode {
  resuming: boolean;
  /** Worker: only these trials (`setup#trial`), no summary. */
  only?: Set<string>;
  dispatch?: TrialExecutor;
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
    const warnings = [...(data.warnings ?? []), ...checkInputRange(data)];
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
    const resumeDir = options.resumeDir ?? (options.runDir && existsSync(join(options.runDir, RUN_FILES.run)) ? options.runDir : undefined);
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
    const started = new Date();
    const context = this.openRun(folder, prepared, reporter, mode, started);
    const jobs = planTrials(prepared.config).filter((job) => !mode.only || mode.only.has(`${job.setup}#${job.trial}`));
    const failed = mode.dispatch ? await dispatchUnfinished(context, jobs, mode.dispatch) : new Map<string, string>();
    const results: TrialResult[] = [];
    for (const job of jobs) {
      const error = failed.get(`${job.setup}#${job.trial}`);
      results.push((await restoreTrial(context, job)) ?? (error !== undefined ? failedTrial(context, job, error) : await trainTrial(context, job)));
    }
    if (mode.only) return undefined;
    const summary = summarizeRun(context, prepared.config, results, started);
    folder.writeJson(RUN_FILES.summary, summary);
    folder.writeText(RUN_FILES.summaryCsv, summaryCsv(summary));
    reporter.runEnded?.(summary);
    return summary;
  }

  /**
   * Writes what a run starts with (the config, the run record; a worker writes neither), builds
   * the callbacks and regularizers every trial shares, and tells the reporter.
   */
  private openRun(folder: RunFolder, prepared: PreparedExperiment, reporter: RunReporter, mode: RunMode, started: Date): RunContext {
    const { config, data, backend } = prepared;
    const worker = mode.only !== undefined;
    if (!mode.resuming) folder.writeJson(RUN_FILES.config, config);
    // What an interrupted write left behind goes before anything is restored.
    else if (!worker) folder.removeStaleTemporaries();
    folder.makeTrialFolders();
    const parallel = decideWorkers(config.training.workers, backend.name, config.training.batchSize, prepared.plugins.length > 0, undefined, backend.singleDevice);
    setConvolutionThreads(parallel.convolutionThreads ?? 1);
    if (!worker) {
      const record: RunRecord = {
        name: config.name,
        startedAt: started.toISOString(),
        backend,
        plugins: prepared.plugins,
        ...(prepared.baseDir ? { configDir: prepared.baseDir } : {}),
        parallel,
        node: process.version,
        ...(prepared.warnings?.length ? { warnings: prepared.warnings } : {}),
        data: { train: data.train.size, test: data.test.size, modalities: data.modalities, description: data.description ?? {} },
      };
      folder.writeJson(mode.resuming ? resumedRecordName(started) : RUN_FILES.run, record);
    }
    const callbacks: TrainingCallback[] = config.callbacks.map((c, i) => atConfigPath(`callbacks[${i}]`, () => this.registry.create('callback', c, { runDir: folder.path })));
    const createRegularizer = (r: ComponentConfig, path: string): Regularizer => atConfigPath(path, () => this.registry.create('regularizer', r, { name: path }));
    const shared = config.regularizers.map((r, i) => createRegularizer(r, `regularizers[${i}]`));
    // Each set-up trains with the shared regularizers plus its own.
    const regularizers = config.fusions.map((f, i) => [...shared, ...(f.regularizers ?? []).map((r, j) => createRegularizer(r, `fusions[${i}].regularizers[${j}]`))]);
    reporter.runStarted?.({
      runDir: folder.path,
      setups: config.fusions.map(setupLabel),
      trials: config.training.trials,
      epochs: config.training.epochs,
      backend: backend.name,
      workers: parallel.workers,
      ...(parallel.convolutionThreads ? { convolutionThreads: parallel.convolutionThreads } : {}),
      trainSamples: data.train.size,
      testSamples: data.test.size,
    });
    // Trials left by workers or an interruption continue from their checkpoints.
    const resuming = mode.resuming || mode.dispatch !== undefined;
    const pluginDirectories = prepared.plugins.map((p) => p.directory);
    return { registry: this.registry, folder, config, data, backend, pluginDirectories, reporter, callbacks, regularizers, parallel, resuming, pruneRows: resuming && !worker };
  }
}

/** Every trial of every set-up, trials outermost: an interrupted run still has every fusion for the trials it finished. */
export function planTrials(config: ExperimentConfig): PlannedTrial[] {
  const labels = config.fusions.map(setupLabel);
  const jobs: PlannedTrial[] = [];
  for (let trial = 0; trial < config.training.trials; trial++) {
    const seed = deriveSeed(config.seed, 'trial', trial);
    labels.forEach((setup, fusion) => jobs.push({ setup, trial, fusion, seed }));
  }
  return jobs;
}

/**
 * Hands the trials without an outcome file to the dispatcher (other processes) and waits for
 * them; returns the ones it reports as failed for good, by `setup#trial`.
 */
async function dispatchUnfinished(context: RunContext, jobs: readonly PlannedTrial[], dispatch: TrialExecutor): Promise<Map<string, string>> {
  const { folder } = context;
  const unfinished: TrialJob[] = [];
  for (const { setup, trial } of jobs) {
    if (existsSync(folder.outcomeFile(setup, trial))) continue;
    // Rows an interrupted attempt wrote after its checkpoint go before any worker appends.
    pruneRows(folder.path, setup, trial, readCheckpoint(folder.checkpointFile(setup, trial))?.epoch ?? 0);
    unfinished.push({ setup, trial });
  }
  const failed = new Map<string, string>();
  if (unfinished.length > 0) for (const f of (await dispatch(unfinished, folder.path)) ?? []) failed.set(`${f.setup}#${f.trial}`, f.error);
  return failed;
}

/** The run's summary from every trial's result: mean ± std per set-up over the trials that finished. */
function summarizeRun(context: RunContext, config: ExperimentConfig, results: readonly TrialResult[], started: Date): RunSummary {
  const finished = new Date();
  const summary: RunSummary = {
    name: config.name,
    runDir: context.folder.path,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    seconds: (finished.getTime() - started.getTime()) / 1000,
    seed: config.seed,
    backend: context.backend,
    parallel: context.parallel,
    modalities: config.modalities.map((m) => m.name),
    trials: config.training.trials,
    epochs: config.training.epochs,
    setups: Object.fromEntries(
      config.fusions.map((fusionConfig) => {
        const label = setupLabel(fusionConfig);
        const { label: _l, ...fusion } = fusionConfig;
        const mine = results.filter((r) => r.outcome.setup === label);
        // The parameter count of the set-up's last trial that built a model.
        const parameters = [...mine].reverse().find((r) => r.parameters > 0)?.parameters ?? 0;
        return [label, summarizeSetup(mine.map((r) => r.outcome), fusion, parameters)];
      }),
    ),
    callbacks: {},
  };
  for (const c of context.callbacks) {
    const reported = c.summarize?.();
    if (reported) summary.callbacks[reported.name] = reported;
  }
  return summary;
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
