import { existsSync } from 'fs';
import { availableParallelism } from 'os';
import { isAbsolute, join } from 'path';
import { BackendUnavailableError } from '@mmfuse/backend';
import { readJsonFile, UserInputError } from '@mmfuse/core';
import { isQueuedFolder, readQueueRecord, readSweepRecord, RUN_FILES, SWEEP_FILES } from '@mmfuse/runs';
import { ExperimentRunner, PreparedExperiment } from '@mmfuse/trainer';
import { ExperimentConfig } from '@mmfuse/config';
import { announcePlugins, LoadedExperiment, loadExperiment, rethrowInConfigFile } from '../load-experiment';
import { runOnQueue } from '../queue-runner';
import { stopCleanlyOnSignals } from '../stop-signals';
import { summaryTable } from '../summary-table';
import { runSweep, sweepFolder, sweepPointConfig } from '../sweep-runner';
import { dataProgress, TerminalReporter } from '../terminal-reporter';
import { trialPool, trialProcesses } from '../trial-pool';
import type { ChildJob } from '../child-job';
import { finishSweep, writeReport } from './run-results';

export interface RunOptions {
  out?: string;
  resume?: string;
  epochs?: number;
  trials?: number;
  workers?: number;
  quiet?: boolean;
  /** Run only this point of the config's sweep. */
  point?: number;
  /** Run in exactly this folder (continuing it when it holds an interrupted run). */
  runDir?: string;
  /** Resolve the config's relative paths against this folder instead of the config's own. */
  baseDir?: string;
  /** Write the report when the run (or sweep) ends; `--no-report` turns it off. */
  report?: boolean;
  /** Coordinate the run through this Redis queue (`redis://…`): workers train, this process merges and summarises. */
  queue?: string;
  queueName?: string;
  /** Tries per queued job. */
  attempts?: number;
}

function overrides(options: RunOptions) {
  return (raw: Record<string, unknown>) => {
    if (options.epochs === undefined && options.trials === undefined && options.workers === undefined) return;
    const training = typeof raw.training === 'object' && raw.training !== null ? { ...(raw.training as object) } : {};
    if (options.epochs !== undefined) Object.assign(training, { epochs: options.epochs });
    if (options.trials !== undefined) Object.assign(training, { trials: options.trials });
    if (options.workers !== undefined) Object.assign(training, { workers: options.workers });
    raw.training = training;
  };
}

/** The folder a run's config was resolved against, as run.json recorded it. */
function configDirOfRun(runDir: string): string | undefined {
  try {
    const configDir = readJsonFile<{ configDir?: unknown } | null>(join(runDir, RUN_FILES.run), '')?.configDir;
    return typeof configDir === 'string' && isAbsolute(configDir) ? configDir : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `mmfuse run <config>`: validate, prepare (backend, data, model check), then train and report.
 * `mmfuse run --resume <run folder>`: continue an interrupted run with the config it recorded.
 */
export async function runCommand(configFile: string | undefined, options: RunOptions): Promise<void> {
  if (configFile && options.resume) throw new UserInputError('run: give either a config or --resume <run folder>, not both');
  if (!configFile && !options.resume) throw new UserInputError('run: missing the config file (or --resume <run folder>)');
  if (options.resume && (options.epochs !== undefined || options.trials !== undefined)) throw new UserInputError('run: --epochs and --trials cannot change a run being resumed');
  if (options.queue) return queuedRunCommand(configFile, options);
  if (options.queueName !== undefined || options.attempts !== undefined) throw new UserInputError('run: --queue-name and --attempts go with --queue <redis URL>');
  if (options.resume && sweepFolder(options.resume)) return resumeSweep(options.resume, options);
  if (options.resume) {
    for (const required of [RUN_FILES.config, RUN_FILES.run]) {
      if (!existsSync(join(options.resume, required))) throw new UserInputError(`${options.resume}: not a run folder (no ${required}); give the folder a run wrote, e.g. runs/<name>-<timestamp>`);
    }
  }
  const file = configFile ?? join(options.resume!, RUN_FILES.config);
  // A resumed run loads exactly the plugins its config.json lists, resolved against the folder the
  // original config was in (run.json says which), as the first run did.
  const experiment = loadExperiment(file, overrides(options), options.baseDir ?? (options.resume ? configDirOfRun(options.resume) : undefined));
  if (options.point === undefined) announcePlugins(experiment.plugins, (line) => process.stderr.write(line));
  if (experiment.config.sweep && options.point === undefined) {
    const { dir, outcomes } = await sweepStoppingCleanly((onFolder) => runSweep(file, experiment.config, experiment.baseDir, { out: options.out, quiet: options.quiet, onFolder }));
    await finishSweep(dir, outcomes, options.report);
    return;
  }
  let config = experiment.config;
  if (options.point !== undefined) {
    try {
      config = sweepPointConfig(config, options.point, (raw) => experiment.validator.validate(raw));
    } catch (error) {
      rethrowInConfigFile(file, error);
    }
  }
  const runner = experiment.container.get(ExperimentRunner);
  const prepared = await prepareIn(file, runner, config, experiment, options.quiet);
  if (!options.quiet) process.stderr.write(`backend: ${prepared.backend.name} (${prepared.backend.reason})\n`);
  // Stated even with -q: the run goes on, but its results may not mean what the user thinks.
  if (options.point === undefined) for (const w of prepared.warnings ?? []) process.stderr.write(`warning: ${w}\n`);
  await trainAndReport(runner, prepared, experiment.baseDir, options);
}

/** `mmfuse run --resume <sweep folder>`: the points not finished yet, with the sweep's own config copy. */
async function resumeSweep(folder: string, options: RunOptions): Promise<void> {
  const record = readSweepRecord(folder);
  const experiment = loadExperiment(join(folder, SWEEP_FILES.config), undefined, record.configDir);
  const { dir, outcomes } = await sweepStoppingCleanly((onFolder) => runSweep(experiment.file, experiment.config, experiment.baseDir, { resume: folder, quiet: options.quiet, onFolder }));
  await finishSweep(dir, outcomes, options.report);
}

/** Starts the backend and loads the data; a problem is named in the config file it comes from. */
async function prepareIn(file: string, runner: ExperimentRunner, config: ExperimentConfig, experiment: LoadedExperiment, quiet: boolean | undefined): Promise<PreparedExperiment> {
  try {
    return await runner.prepare(config, { baseDir: experiment.baseDir, plugins: experiment.plugins, dataProgress: dataProgress(process.stderr, quiet) });
  } catch (error) {
    if (error instanceof BackendUnavailableError) throw new UserInputError(`${file}: backend: ${error.message}`);
    rethrowInConfigFile(file, error);
  }
}

/**
 * A child process's job: trains the given trials of a run in its folder (a process pool's share,
 * or a queue worker's attempt), with the run's own config; no summary, no report.
 */
export async function runTrialsJob(job: Extract<ChildJob, { kind: 'trials' }>): Promise<void> {
  exitWhenOrphaned();
  const experiment = loadExperiment(job.config, overrides({ workers: job.workers }), job.baseDir);
  const runner = experiment.container.get(ExperimentRunner);
  const prepared = await prepareIn(job.config, runner, experiment.config, experiment, true);
  await runner.runJobs(prepared, job.runDir, job.trials);
}

/** A child process's job: one point of a sweep, run in its own folder as `mmfuse run --point` would. */
export async function runPointJob(job: Extract<ChildJob, { kind: 'point' }>): Promise<void> {
  exitWhenOrphaned();
  await runCommand(job.config, { baseDir: job.baseDir, point: job.point, runDir: job.runDir, workers: job.workers, quiet: true });
}

/** Trains a prepared run here (its trials in a process pool when the config asks), then prints its table and writes its report. */
async function trainAndReport(runner: ExperimentRunner, prepared: PreparedExperiment, baseDir: string, options: RunOptions): Promise<void> {
  const { config } = prepared;
  const processes = trialProcesses(config);
  // Threads per worker process: the cores each has to itself, unless the config fixes them.
  const threads = config.training.workers === 'auto' ? Math.max(1, Math.floor(availableParallelism() / processes)) : undefined;
  const dispatch = processes > 1 ? trialPool(processes, baseDir, threads, options.quiet) : undefined;
  const reporter = new TerminalReporter(process.stderr, options.quiet);
  let runDir: string | undefined;
  const started = reporter.runStarted.bind(reporter);
  reporter.runStarted = (info) => {
    runDir = info.runDir;
    // Pooled trials run with `threads` each, not with what this process would have used.
    // (A pooled trial's thread count is given, never 'auto', so its convolutions stay on one.)
    started(dispatch ? { ...info, workers: threads ?? info.workers, convolutionThreads: undefined } : info);
  };
  // A point of a sweep is stopped by its sweep, which says how to continue.
  const release = options.point === undefined ? stopCleanlyOnSignals(() => runDir && `mmfuse run --resume ${runDir}`) : () => undefined;
  let summary;
  try {
    summary = await runner.run(prepared, { reporter, outputDir: options.out, resumeDir: options.resume, runDir: options.runDir, dispatch });
  } finally {
    release();
  }
  process.stdout.write(`${summaryTable(summary)}\nresults: ${summary.runDir}\n`);
  if (options.report !== false && options.point === undefined) await writeReport(summary.runDir);
}

/** Runs a sweep with SIGINT/SIGTERM stopping it cleanly, naming its folder to continue. */
async function sweepStoppingCleanly<T>(run: (onFolder: (dir: string) => void) => Promise<T>): Promise<T> {
  let folder: string | undefined;
  const release = stopCleanlyOnSignals(() => folder && `mmfuse run --resume ${folder}`);
  try {
    return await run((dir) => (folder = dir));
  } finally {
    release();
  }
}

let watchingParent = false;

/**
 * A process training jobs for another (a trial pool, a queue worker) stops when that one is gone,
 * so a killed worker leaves no training behind; whoever retries the job continues from its checkpoint.
 */
function exitWhenOrphaned(): void {
  // A child runs several jobs; one watch is enough.
  if (watchingParent) return;
  watchingParent = true;
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.exit(1);
  }, 1000).unref();
}

/** `mmfuse run <config> --queue <url>` and `mmfuse run --resume <folder> --queue <url>`: the coordinator of a queued run. */
async function queuedRunCommand(configFile: string | undefined, options: RunOptions): Promise<void> {
  for (const [flag, given] of [['--point', options.point !== undefined], ['--run-dir', options.runDir !== undefined], ['--base-dir', options.baseDir !== undefined]] as const) {
    if (given) throw new UserInputError(`run: ${flag} cannot be combined with --queue`);
  }
  let experiment;
  if (options.resume) {
    if (!isQueuedFolder(options.resume)) throw new UserInputError(`${options.resume}: not a queued run or sweep folder (no ${RUN_FILES.queue}); resume it without --queue`);
    const record = readQueueRecord(options.resume);
    experiment = loadExperiment(join(options.resume, RUN_FILES.config), undefined, record.configDir);
  } else experiment = loadExperiment(configFile!, overrides(options));
  announcePlugins(experiment.plugins, (line) => process.stderr.write(line));
  const result = await runOnQueue(experiment, { queue: options.queue!, queueName: options.queueName, attempts: options.attempts, resume: options.resume, out: options.out, quiet: options.quiet });
  if (result.sweep) await finishSweep(result.dir, result.outcomes!, options.report);
  else {
    process.stdout.write(`${summaryTable(result.summary!)}\nresults: ${result.dir}\n`);
    if (options.report !== false) await writeReport(result.dir);
  }
  if (result.failed > 0) {
    process.stderr.write(`${result.failed} job(s) failed on every try; retry them with: mmfuse run --resume ${result.dir} --queue <url>\n`);
    process.exitCode = 1;
  }
}
