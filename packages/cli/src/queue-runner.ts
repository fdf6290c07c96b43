import { existsSync, mkdirSync, rmSync } from 'fs';
import { randomBytes } from 'crypto';
import { join, resolve } from 'path';
import { UserInputError, writeFileAtomic } from '@mmfuse/core';
import { ExperimentConfig } from '@mmfuse/config';
import { DEFAULT_QUEUE_NAME, maskRedisUrl, mergeAttempt, SettledJob, TrialJobData, TrialQueue } from '@mmfuse/queue';
import { attemptsFolder, isQueuedFolder, outcomeName, PointOutcome, QueueRecord, readQueueRecord, readRunSummary, readSweepRecord, RunFolder, RunSummary, RUN_FILES, RUN_FOLDERS, SweepRecord } from '@mmfuse/runs';
import { ExperimentRunner, FailedTrialJob, planTrials, TrialJob } from '@mmfuse/trainer';
import { LoadedExperiment, rethrowInConfigFile } from './load-experiment';
import { createSweepFolder, outcomeOf, sweepPointConfig, writeSweepSummary } from './sweep-runner';
import { dataProgress } from './terminal-reporter';

export interface QueueRunOptions {
  queue: string;
  queueName?: string;
  /** Tries per job (a dying worker counts as one). */
  attempts?: number;
  resume?: string;
  out?: string;
  quiet?: boolean;
}

interface QueuedPoint {
  index?: number;
  dir: string;
  config: ExperimentConfig;
  record?: SweepRecord['points'][number];
}

export interface QueueRunResult {
  dir: string;
  sweep: boolean;
  /** Summary of a plain run; outcomes of a sweep's points. */
  summary?: RunSummary;
  outcomes?: PointOutcome[];
  failed: number;
}

/** A point is finished once its summary exists and lists no trial that failed on the workers. */
function pointFinished(dir: string): boolean {
  const summary = readRunSummary(dir, 'delete it to summarise the point again');
  return summary !== undefined && Object.values(summary.setups).every((s) => (s.failed ?? []).length === 0);
}

/** The job of one trial of a point. */
function trialJob(point: QueuedPoint, record: QueueRecord, job: TrialJob): TrialJobData {
  return { runId: record.runId, runName: point.config.name, runDir: point.dir, ...(point.index !== undefined ? { point: point.index } : {}), setup: job.setup, trial: job.trial };
}

/** The jobs of a point's trials that have no outcome file yet. */
function trialJobsOf(point: QueuedPoint, record: QueueRecord): TrialJobData[] {
  return planTrials(point.config)
    .filter(({ setup, trial }) => !existsSync(join(point.dir, outcomeName(setup, trial))))
    .map((job) => trialJob(point, record, job));
}

/** The folder's queue record: the one a resumed run wrote, else a new run id on this queue. */
function queueRecordOf(folder: string, config: ExperimentConfig, queueName: string, configDir: string): QueueRecord {
  const record: QueueRecord = isQueuedFolder(folder)
    ? readQueueRecord(folder)
    : { runId: `${config.name.replace(/[^A-Za-z0-9_-]/g, '_')}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`, queueName, configDir, createdAt: new Date().toISOString() };
  if (record.queueName !== queueName) throw new UserInputError(`${folder}: its jobs are on queue "${record.queueName}", not "${queueName}"; resume with --queue-name ${record.queueName}`);
  writeFileAtomic(join(folder, RUN_FILES.queue), `${JSON.stringify(record, null, 2)}\n`);
  return record;
}

/** The points a queued run trains: its sweep's, each with its validated config, or the run itself. */
function queuedPoints(experiment: LoadedExperiment, folder: string, sweepRecord: SweepRecord | undefined): QueuedPoint[] {
  if (!sweepRecord) return [{ dir: folder, config: experiment.config }];
  return sweepRecord.points.map((p) => {
    let pointConfig: ExperimentConfig;
    try {
      pointConfig = sweepPointConfig(experiment.config, p.index, (raw) => experiment.validator.validate(raw));
    } catch (error) {
      rethrowInConfigFile(experiment.file, error);
    }
    return { index: p.index, dir: join(folder, p.runDir), config: pointConfig, record: p };
  });
}

/** What following one queued point shares with the others: the queue, every job, and the log. */
interface Coordination {
  readonly queue: TrialQueue;
  readonly record: QueueRecord;
  readonly jobsOf: Map<QueuedPoint, TrialJobData[]>;
  readonly total: number;
  settled: number;
  failed: number;
  log(line: string): void;
}

/**
 * The dispatcher the runner hands a point's unfinished trials to: it waits for their jobs, merges
 * each completed attempt into the run folder, and returns the jobs that failed on every try.
 */
function queueDispatcher(point: QueuedPoint, c: Coordination) {
  const where = point.index !== undefined ? `point ${point.index} ` : '';
  return async (jobs: TrialJob[], runDir: string): Promise<FailedTrialJob[]> => {
    const wanted = new Set(jobs.map((j) => `${j.setup}#${j.trial}`));
    const data = (c.jobsOf.get(point) ?? []).filter((d) => wanted.has(`${d.setup}#${d.trial}`));
    // Every trial the run needs was enqueued up front (enqueueing again would retry one that already failed for good);
    // one that was not, should there be any, is enqueued now.
    const missing = jobs.filter((job) => !data.some((d) => d.setup === job.setup && d.trial === job.trial)).map((job) => trialJob(point, c.record, job));
    if (missing.length > 0) await c.queue.enqueue(missing);
    data.push(...missing);
    const failures: FailedTrialJob[] = [];
    await c.queue.follow(data, (settled: SettledJob) => {
      c.settled++;
      const what = `[${c.settled}/${c.total}] ${where}${settled.data.setup} trial ${settled.data.trial}`;
      if (settled.state === 'completed') {
        mergeAttempt(runDir, settled.result.attempt, settled.data.setup, settled.data.trial);
        // Merged: the attempts of this trial are no longer needed (a failed trial keeps its checkpoints).
        rmSync(attemptsFolder(runDir, settled.data.setup, settled.data.trial), { recursive: true, force: true });
        c.log(`  ${what}: done on ${settled.result.host} in ${settled.result.seconds.toFixed(1)} s${settled.result.startEpoch > 0 ? ` (continued from epoch ${settled.result.startEpoch})` : ''}`);
      } else {
        failures.push({ setup: settled.data.setup, trial: settled.data.trial, error: settled.error });
        c.log(`  ${what}: FAILED after ${settled.attempts} tries: ${settled.error}`);
      }
    });
    c.failed += failures.length;
    return failures;
  };
}

/**
 * `mmfuse run <config> --queue redis://…`: the coordinator. It writes the run (or sweep) folder,
 * enqueues one job per trial and sweep point, and, point by point, waits for the workers' results,
 * merges the attempt each job's completion names into the run folder and writes the summary as a
 * local run would. It trains nothing itself; a job failing on every try is listed with its error.
 */
export async function runOnQueue(experiment: LoadedExperiment, options: QueueRunOptions): Promise<QueueRunResult> {
  const log = (line: string) => {
    if (!options.quiet) process.stderr.write(`${line}\n`);
  };
  // Reaching Redis comes first: a wrong URL or password writes nothing.
  const queue = await TrialQueue.open(options.queue, { name: options.queueName, attempts: options.attempts });
  try {
    const { config, baseDir } = experiment;
    const sweep = Boolean(config.sweep);
    const folder = options.resume
      ? resolve(options.resume)
      : sweep
        ? createSweepFolder(config, baseDir, options.out)
        : RunFolder.create(options.out ?? config.output.dir, config.name, new Date()).path;
    const record = queueRecordOf(folder, config, queue.queue.name, baseDir);
    const sweepRecord = sweep ? readSweepRecord(folder) : undefined;
    const points = queuedPoints(experiment, folder, sweepRecord);

    // Every job is on the queue before the first point is waited for, so workers start at once.
    const open = points.filter((p) => !pointFinished(p.dir));
    const jobsOf = new Map<QueuedPoint, TrialJobData[]>();
    for (const point of open) {
      mkdirSync(point.dir, { recursive: true });
      if (!existsSync(join(point.dir, RUN_FILES.config))) writeFileAtomic(join(point.dir, RUN_FILES.config), `${JSON.stringify(point.config, null, 2)}\n`);
      jobsOf.set(point, trialJobsOf(point, record));
    }
    const allJobs = [...jobsOf.values()].flat();
    await queue.enqueue(allJobs);
    log(`mmfuse: ${allJobs.length} jobs on queue "${queue.queue.name}" at ${maskRedisUrl(options.queue)} (run ${record.runId})\n  results: ${folder}\n  workers: mmfuse worker --queue ${maskRedisUrl(options.queue)}${queue.queue.name !== DEFAULT_QUEUE_NAME ? ` --queue-name ${queue.queue.name}` : ''}`);

    const coordination: Coordination = { queue, record, jobsOf, total: allJobs.length, settled: 0, failed: 0, log };
    const runner = experiment.container.get(ExperimentRunner);
    let summary: RunSummary | undefined;
    for (const point of open) {
      let prepared;
      try {
        prepared = await runner.prepare(point.config, { baseDir, plugins: experiment.plugins, dataProgress: dataProgress(process.stderr, options.quiet) });
      } catch (error) {
        rethrowInConfigFile(experiment.file, error);
      }
      summary = await runner.run(prepared, { runDir: point.dir, dispatch: queueDispatcher(point, coordination), reporter: { trialFailed: () => undefined } });
      if (Object.values(summary.setups).every((s) => (s.failed ?? []).length === 0)) rmSync(join(point.dir, RUN_FOLDERS.attempts), { recursive: true, force: true });
    }

    if (!sweep) {
      // A finished run resumed again: its summary as it stands.
      summary ??= readRunSummary(folder);
      if (!summary) throw new UserInputError(`${folder}: the run has no ${RUN_FILES.summary}`);
      return { dir: folder, sweep, summary, failed: coordination.failed };
    }
    const outcomes = points.map((p) => outcomeOf(folder, p.record!, 'done'));
    writeSweepSummary(folder, sweepRecord!.name, sweepRecord!.parameters, outcomes);
    return { dir: folder, sweep, outcomes, failed: coordination.failed };
  } finally {
    await queue.close();
  }
}
