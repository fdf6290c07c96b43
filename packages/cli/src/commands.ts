import { existsSync } from 'fs';
import { availableParallelism, hostname } from 'os';
import Table from 'cli-table3';
import { basename, extname, isAbsolute, join, resolve } from 'path';
import { BackendUnavailableError, initBackend } from '@mmfuse/backend';
import { COMPONENT_KINDS, ComponentKind, ComponentRegistry, deriveSeed, MultimodalDataset, readJsonFile, UserInputError } from '@mmfuse/core';
import { ContactSheetOptions, renderContactSheet, resolveContactSheetOptions, writeContactSheetPng } from '@mmfuse/data';
import { experimentSchema, setupLabel } from '@mmfuse/config';
import { checkClaims, formatClaims } from '@mmfuse/analysis';
import { buildReport } from '@mmfuse/report';
import { ExperimentRunner, writeFileAtomic } from '@mmfuse/trainer';
import { stopCleanlyOnSignals, STOP_EXIT_CODES } from './stop-signals';
import { announcePlugins, createContainer, loadExperiment, rethrowInConfigFile } from './load-experiment';
import { DEFAULT_QUEUE_NAME, maskRedisUrl, startTrialWorker, TrialQueue } from '@mmfuse/queue';
import { failure, runCli, stopChildren } from './process-pool';
import { QueueRecord, runOnQueue } from './queue-runner';
import { summaryTable } from './summary-table';
import { PointOutcome, readSweepRecord, runSweep, sweepFolder, sweepPointConfig, sweepTable } from './sweep-runner';
import { dataProgress, TerminalReporter } from './terminal-reporter';
import { trialPool, trialProcesses } from './trial-pool';

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
  /** Worker of a run that dispatched its trials: train only these (`setup:trial`) in `runDir`. */
  job?: string[];
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
    const configDir = readJsonFile<{ configDir?: unknown } | null>(join(runDir, 'run.json'), '')?.configDir;
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
  if (options.resume && sweepFolder(options.resume)) {
    const record = readSweepRecord(options.resume);
    const experiment = loadExperiment(join(options.resume, 'config.json'), undefined, record.configDir);
    const { dir, outcomes } = await sweepStoppingCleanly((onFolder) => runSweep(experiment.file, experiment.config, experiment.baseDir, { resume: options.resume, quiet: options.quiet, pointArguments: [], onFolder }));
    await finishSweep(dir, outcomes, options.report);
    return;
  }
  if (options.resume) {
    for (const required of ['config.json', 'run.json']) {
      if (!existsSync(join(options.resume, required))) throw new UserInputError(`${options.resume}: not a run folder (no ${required}); give the folder a run wrote, e.g. runs/<name>-<timestamp>`);
    }
  }
  const file = configFile ?? join(options.resume!, 'config.json');
  // A resumed run loads exactly the plugins its config.json lists, resolved against the folder the
  // original config was in (run.json says which), as the first run did.
  const experiment = loadExperiment(file, overrides(options), options.baseDir ?? (options.resume ? configDirOfRun(options.resume) : undefined));
  if (!options.job && options.point === undefined) announcePlugins(experiment.plugins, (line) => process.stderr.write(line));
  if (experiment.config.sweep && options.point === undefined) {
    const { dir, outcomes } = await sweepStoppingCleanly((onFolder) => runSweep(file, experiment.config, experiment.baseDir, { out: options.out, quiet: options.quiet, pointArguments: [], onFolder }));
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
  let prepared;
  try {
    prepared = await runner.prepare(config, { baseDir: experiment.baseDir, plugins: experiment.plugins, dataProgress: dataProgress(process.stderr, options.quiet) });
  } catch (error) {
    if (error instanceof BackendUnavailableError) throw new UserInputError(`${file}: backend: ${error.message}`);
    rethrowInConfigFile(file, error);
  }
  if (options.job) {
    exitWhenOrphaned();
    if (!options.runDir) throw new UserInputError('run: --job needs --run-dir, the folder of the run that dispatched it');
    const jobs = options.job.map((j) => {
      const match = /^(.+):(\d+)$/.exec(j);
      if (!match) throw new UserInputError(`--job ${j}: expected <set-up>:<trial>, e.g. concat:2`);
      return { setup: match[1], trial: Number(match[2]) };
    });
    await runner.runJobs(prepared, options.runDir, jobs);
    return;
  }
  if (!options.quiet) process.stderr.write(`backend: ${prepared.backend.name} (${prepared.backend.reason})\n`);
  // Stated even with -q: the run goes on, but its results may not mean what the user thinks.
  if (!options.job && options.point === undefined) for (const w of prepared.warnings ?? []) process.stderr.write(`warning: ${w}\n`);
  const processes = trialProcesses(config);
  // Threads per worker process: the cores each has to itself, unless the config fixes them.
  const threads = config.training.workers === 'auto' ? Math.max(1, Math.floor(availableParallelism() / processes)) : undefined;
  const dispatch = processes > 1 ? trialPool(processes, experiment.baseDir, threads, options.quiet) : undefined;
  const reporter = new TerminalReporter(process.stderr, options.quiet);
  let runDir: string | undefined;
  const started = reporter.runStarted.bind(reporter);
  reporter.runStarted = (info) => {
    runDir = info.runDir;
    started(info);
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

/**
 * A process training jobs for another (a trial pool, a queue worker) stops when that one is gone,
 * so a killed worker leaves no training behind; whoever retries the job continues from its checkpoint.
 */
function exitWhenOrphaned(): void {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.exit(1);
  }, 1000).unref();
}

/** `mmfuse run <config> --queue <url>` and `mmfuse run --resume <folder> --queue <url>`: the coordinator of a queued run. */
async function queuedRunCommand(configFile: string | undefined, options: RunOptions): Promise<void> {
  for (const [flag, given] of [['--point', options.point !== undefined], ['--run-dir', options.runDir !== undefined], ['--job', options.job !== undefined], ['--base-dir', options.baseDir !== undefined]] as const) {
    if (given) throw new UserInputError(`run: ${flag} cannot be combined with --queue`);
  }
  let experiment;
  if (options.resume) {
    const recordFile = join(options.resume, 'queue.json');
    if (!existsSync(recordFile)) throw new UserInputError(`${options.resume}: not a queued run or sweep folder (no queue.json); resume it without --queue`);
    const record = readJsonFile<QueueRecord>(recordFile, 'it is the queued run\'s record, written when the run started; resume the run without --queue, or start it again');
    experiment = loadExperiment(join(options.resume, 'config.json'), undefined, record.configDir);
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

export interface WorkerCommandOptions {
  queue: string;
  queueName?: string;
  concurrency?: number;
  runs: string[];
  allowPlugins?: boolean;
  lockSeconds?: number;
  workers?: number;
  quiet?: boolean;
}

/**
 * `mmfuse worker --queue <url>`: trains queued trials, each in a child `mmfuse run --job` process
 * in a fresh attempt folder, until stopped (SIGINT or SIGTERM: within seconds, whatever Redis is
 * doing; the jobs in hand go back to the queue).
 */
export async function workerCommand(options: WorkerCommandOptions): Promise<void> {
  const concurrency = options.concurrency ?? 1;
  const threads = options.workers ?? Math.max(1, Math.floor(availableParallelism() / concurrency));
  const log = (line: string) => {
    if (!options.quiet) process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
  };
  const roots = options.runs.map((r) => resolve(r));
  for (const root of roots) if (!existsSync(root)) throw new UserInputError(`--runs ${root}: no such folder`);
  const worker = await startTrialWorker({
    url: options.queue,
    name: options.queueName,
    concurrency,
    roots,
    lockSeconds: options.lockSeconds,
    log,
    train: async (job, attemptDir) => {
      const { plugins, workers } = attemptConfig(join(attemptDir, 'config.json'));
      if (plugins.length > 0 && !options.allowPlugins) {
        return { code: 2, message: `the run's config lists plugins (${plugins.join(', ')}), which are code; this worker runs none (start it with --allow-plugins to run them)` };
      }
      if (plugins.length > 0) log(`${job.runName} ${job.setup} trial ${job.trial}: runs the plugins its config lists: ${plugins.join(', ')} (from ${job.configDir})`);
      const args = ['run', join(attemptDir, 'config.json'), '--base-dir', job.configDir, '--run-dir', attemptDir, '--job', `${job.setup}:${job.trial}`, '-q'];
      // Threads: what the run's config fixes, else the cores each job has to itself here.
      if (options.workers !== undefined || workers === 'auto') args.push('--workers', String(threads));
      const result = await runCli(args);
      return { code: result.code, message: result.code === 0 ? undefined : failure(result) };
    },
  });
  log(`worker ${hostname()}:${process.pid} on queue "${options.queueName ?? DEFAULT_QUEUE_NAME}" at ${maskRedisUrl(options.queue)}: ${concurrency} job(s) at once, ${threads} thread(s) each; run folders under ${roots.join(', ')}; plugins ${options.allowPlugins ? 'allowed (a run whose config lists plugins runs their code here)' : 'refused'}`);
  await new Promise<void>(() => {
    // Stopping never waits on Redis: jobs in hand are abandoned (their attempt folders hold only
    // whole files), and the queue gives them to another worker once their lock lapses, which
    // continues from the last checkpoint.
    const stop = (signal: NodeJS.Signals) => {
      log(`${signal}: stopping; jobs in hand go back to the queue and continue from their checkpoints`);
      stopChildren('SIGTERM');
      const exit = () => process.exit(STOP_EXIT_CODES[signal] ?? 1);
      setTimeout(exit, 3000).unref();
      void worker.close(true).then(exit, exit);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/**
 * What a worker needs from an attempt's config before starting it: the plugins it lists (any entry
 * at all counts: each is code) and the threads it fixes. A config that cannot be read lists none
 * and fixes none; the child run that reads it then names the problem.
 */
function attemptConfig(configFile: string): { plugins: string[]; workers: unknown } {
  let config: { plugins?: unknown; training?: { workers?: unknown } } = {};
  try {
    config = readJsonFile(configFile, '') ?? {};
  } catch {
    // see above
  }
  const plugins = config.plugins;
  return {
    plugins: Array.isArray(plugins) ? plugins.map((p) => JSON.stringify(p).slice(0, 120)) : plugins === undefined ? [] : [JSON.stringify(plugins).slice(0, 120)],
    workers: config.training?.workers ?? 'auto',
  };
}

/** `mmfuse queue status --queue <url>`: jobs waiting, active, done and failed, per run. */
export async function queueStatusCommand(options: { queue: string; queueName?: string; run?: string; json?: boolean }): Promise<void> {
  let runId: string | undefined;
  if (options.run) {
    const recordFile = join(options.run, 'queue.json');
    if (!existsSync(recordFile)) throw new UserInputError(`--run ${options.run}: not a queued run or sweep folder (no queue.json)`);
    runId = readJsonFile<QueueRecord>(recordFile, 'give the folder of a queued run').runId;
  }
  const queue = await TrialQueue.open(options.queue, { name: options.queueName });
  try {
    const counts = await queue.countsByRun(runId);
    if (options.json) {
      process.stdout.write(`${JSON.stringify(counts, null, 2)}\n`);
      return;
    }
    const table = new Table({ head: ['run', 'waiting', 'active', 'done', 'failed'], style: { head: [], border: [] } });
    for (const c of counts) table.push([`${c.runName} (${c.runId})`, c.waiting, c.active, c.done, c.failed]);
    process.stdout.write(counts.length > 0 ? `${table.toString()}\n` : `no jobs on queue "${options.queueName ?? DEFAULT_QUEUE_NAME}"${runId ? ` for run ${runId}` : ''}\n`);
  } finally {
    await queue.close();
  }
}

/** The report of a finished run or sweep; a problem with it never fails the run that produced the results. */
async function writeReport(dir: string): Promise<void> {
  try {
    const report = await buildReport(dir);
    process.stdout.write(`report: ${report.html} (${report.figures.length} figures${report.notes.length ? `; ${report.notes.join('; ')}` : ''})\n`);
  } catch (error) {
    process.stderr.write(`report: not written (${(error as Error).message.split('\n')[0]}); retry with: mmfuse report ${dir}\n`);
  }
}

/** `mmfuse claims <dir>`: the paper's ordering claims tested on a finished run, with the statistics behind each; writes claims.json and claims.txt. */
export function claimsCommand(dir: string, options: { json?: boolean; alpha?: number; estimator?: string; attention?: string; margin?: number }): void {
  if (!existsSync(dir)) throw new UserInputError(`${dir}: no such run folder`);
  const report = checkClaims(dir, { alpha: options.alpha ?? 0.05, estimator: options.estimator, attention: options.attention, margin: options.margin });
  const table = formatClaims(report);
  writeFileAtomic(join(dir, 'claims.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileAtomic(join(dir, 'claims.txt'), `${table}\n`);
  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${table}\n`);
}

/** `mmfuse report <dir>`: the HTML page and figures of a run or sweep folder. */
export async function reportCommand(dir: string, options: { out?: string }): Promise<void> {
  if (!existsSync(dir)) throw new UserInputError(`${dir}: no such run or sweep folder`);
  const report = await buildReport(dir, { out: options.out });
  process.stdout.write(`${report.html}: ${report.figures.length} figures (${report.figures.map((f) => f.name).join(', ')})\n`);
  for (const note of report.notes) process.stdout.write(`note: ${note}\n`);
}

/** Prints a sweep's table and writes its report; a failed point makes the exit code 1 once every other point has run. */
async function finishSweep(dir: string, outcomes: PointOutcome[], report: boolean | undefined): Promise<void> {
  process.stdout.write(`${sweepTable(dir, outcomes)}\n`);
  if (report !== false) await writeReport(dir);
  const failed = outcomes.filter((o) => o.status === 'failed');
  if (failed.length > 0) {
    process.stderr.write(`${failed.length} of ${outcomes.length} points failed; continue with: mmfuse run --resume ${dir}\n`);
    process.exitCode = 1;
  }
}

/** `mmfuse validate <config>`: schema, cross-field and model-size checks; writes nothing. */
export async function validateCommand(file: string): Promise<void> {
  const experiment = loadExperiment(file);
  announcePlugins(experiment.plugins, (line) => process.stderr.write(line));
  const modalities = experiment.validator.declaredModalities(experiment.config);
  if (modalities) {
    // Building each set-up once on the pure-JS backend checks sizes without a GPU or data.
    await initBackend('cpu');
    try {
      experiment.container.get(ExperimentRunner).checkModels(experiment.config, modalities);
    } catch (error) {
      rethrowInConfigFile(file, error);
    }
  }
  const setups = experiment.config.fusions.map(setupLabel).join(', ');
  process.stdout.write(`${file}: valid (${experiment.config.modalities.length} modalities; set-ups ${setups}; ${experiment.config.training.trials} trials × ${experiment.config.training.epochs} epochs)\n`);
}

export interface DataPreviewOptions {
  out?: string;
  samples?: number;
  severity?: number;
  /** false with --no-failures, the named types with --failures a,b; absent: every failure. */
  failures?: boolean | string[];
  split?: 'train' | 'test';
}

/**
 * `mmfuse data preview <config>`: a PNG contact sheet of the config's data (clean samples, the
 * process failures its labels mark, and each library failure applied), made from exactly the data
 * a run of that config would train on.
 */
export async function dataPreviewCommand(file: string, options: DataPreviewOptions): Promise<void> {
  const sheetOptions: ContactSheetOptions = { samples: options.samples, severity: options.severity, failures: options.failures, split: options.split };
  // Bad options fail before the data load, which can take minutes for simulated scenes.
  resolveContactSheetOptions(sheetOptions);
  const experiment = loadExperiment(file);
  const { config } = experiment;
  let data: MultimodalDataset;
  try {
    // The source a run creates, so the preview shows the samples a run trains on.
    data = await experiment.container.get(ExperimentRunner).dataSource(config, resolve(file, '..'), dataProgress(process.stderr)).load();
  } catch (error) {
    rethrowInConfigFile(file, error);
  }
  const sheet = renderContactSheet(data, { ...sheetOptions, seed: deriveSeed(config.seed, 'preview') });
  const out = options.out ?? `${basename(file, extname(file))}-preview.png`;
  writeContactSheetPng(out, sheet);
  process.stdout.write(`${out}: ${sheet.width}×${sheet.height} px, ${sheet.rows.length} rows: ${sheet.rows.join('; ')}\n`);
}

function describeOptions(schema: Record<string, unknown>): string[] {
  const properties = (schema.properties ?? {}) as Record<string, { description?: string; default?: unknown }>;
  const required = (schema.required ?? []) as string[];
  return Object.entries(properties).map(([name, p]) => {
    const note = required.includes(name) ? 'required' : p.default !== undefined ? `default ${JSON.stringify(p.default)}` : 'optional';
    return `      ${name} (${note}): ${p.description ?? ''}`;
  });
}

/** `mmfuse list [kind]`: registered component types and their options. */
export function listCommand(kind: string | undefined, options: { json?: boolean; plugin?: string[] }): void {
  if (kind !== undefined && !COMPONENT_KINDS.includes(kind as ComponentKind)) {
    throw new UserInputError(`list: unknown kind "${kind}"; expected one of ${COMPONENT_KINDS.join(', ')}`);
  }
  const registry = createContainer(options.plugin ?? []).container.get<ComponentRegistry>(ComponentRegistry);
  const registrations = registry.list(kind as ComponentKind | undefined);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(registrations.map((r) => ({ kind: r.kind, type: r.type, description: r.description, source: r.source, options: r.optionsSchema })), null, 2)}\n`);
    return;
  }
  const lines: string[] = [];
  for (const k of COMPONENT_KINDS) {
    const ofKind = registrations.filter((r) => r.kind === k);
    if (ofKind.length === 0) continue;
    lines.push(`${k}:`);
    for (const r of ofKind) {
      lines.push(`  ${r.type} — ${r.description}${r.source ? ` [${r.source}]` : ''}`);
      lines.push(...describeOptions(r.optionsSchema));
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** `mmfuse schema`: the experiment JSON Schema of the registered components. */
export function schemaCommand(options: { out?: string; plugin?: string[] }): void {
  const registry = createContainer(options.plugin ?? []).container.get<ComponentRegistry>(ComponentRegistry);
  const text = `${JSON.stringify(experimentSchema(registry), null, 2)}\n`;
  if (options.out) writeFileAtomic(options.out, text);
  else process.stdout.write(text);
}

/** `mmfuse doctor`: which backend runs and why, and the facts about it. */
export async function doctorCommand(backend: string): Promise<void> {
  try {
    const info = await initBackend(backend as never);
    const lines = [
      `backend:      ${info.name} (requested ${info.requested})`,
      `reason:       ${info.reason}`,
      `version:      ${info.version} (tfjs-core ${info.tfjsVersion})`,
      `threads:      ${info.threads ?? 'n/a'}`,
      `simd:         ${info.simd ?? 'n/a'}`,
      `gpu:          ${info.gpu ?? 'n/a'}`,
      `node:         ${process.version} on ${process.platform}-${process.arch}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } catch (error) {
    if (error instanceof BackendUnavailableError) throw new UserInputError(`doctor: ${error.message}`);
    throw error;
  }
}
