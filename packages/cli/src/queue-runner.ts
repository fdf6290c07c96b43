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
    let folder: string;
    if (options.resume) folder = resolve(options.resume);
    else folder = sweep ? createSweepFolder(config, baseDir, options.out) : RunFolder.create(options.out ?? config.output.dir, config.name, new Date()).path;

    const recordFile = join(folder, RUN_FILES.queue);
    const record: QueueRecord = isQueuedFolder(folder)
      ? readQueueRecord(folder)
      : { runId: `${config.name.replace(/[^A-Za-z0-9_-]/g, '_')}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`, queueName: queue.queue.name, configDir: baseDir, createdAt: new Date().toISOString() };
    if (record.queueName !== queue.queue.name) throw new UserInputError(`${folder}: its jobs are on queue "${record.queueName}", not "${queue.queue.name}"; resume with --queue-name ${record.queueName}`);
    writeFileAtomic(recordFile, `${JSON.stringify(record, null, 2)}\n`);

    let points: QueuedPoint[];
    let sweepRecord: SweepRecord | undefined;
    if (sweep) {
      sweepRecord = readSweepRecord(folder);
      points = sweepRecord.points.map((p) => {
        let pointConfig: ExperimentConfig;
        try {
          pointConfig = sweepPointConfig(config, p.index, (raw) => experiment.validator.validate(raw));
        } catch (error) {
          rethrowInConfigFile(experiment.file, error);
        }
        return { index: p.index, dir: join(folder, p.runDir), config: pointConfig, record: p };
      });
    } else points = [{ dir: folder, config }];

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

    const runner = experiment.container.get(ExperimentRunner);
    let settledCount = 0;
    let failed = 0;
    let summary: RunSummary | undefined;
    for (const point of open) {
      const where = point.index !== undefined ? `point ${point.index} ` : '';
      let prepared;
      try {
        prepared = await runner.prepare(point.config, { baseDir, plugins: experiment.plugins, dataProgress: dataProgress(process.stderr, options.quiet) });
      } catch (error) {
        rethrowInConfigFile(experiment.file, error);
      }
      const dispatch = async (jobs: TrialJob[], runDir: string): Promise<FailedTrialJob[]> => {
        const wanted = new Set(jobs.map((j) => `${j.setup}#${j.trial}`));
        const data = (jobsOf.get(point) ?? []).filter((d) => wanted.has(`${d.setup}#${d.trial}`));
        // Every trial the run needs was enqueued above (enqueueing again would retry one that already failed for good);
        // one that was not, should there be any, is enqueued now.
        const missing = jobs.filter((job) => !data.some((d) => d.setup === job.setup && d.trial === job.trial)).map((job) => trialJob(point, record, job));
        if (missing.length > 0) await queue.enqueue(missing);
        data.push(...missing);
        const failures: FailedTrialJob[] = [];
        await queue.follow(data, (settled: SettledJob) => {
          settledCount++;
          const what = `[${settledCount}/${allJobs.length}] ${where}${settled.data.setup} trial ${settled.data.trial}`;
          if (settled.state === 'completed') {
            mergeAttempt(runDir, settled.result.attempt, settled.data.setup, settled.data.trial);
            // Merged: the attempts of this trial are no longer needed (a failed trial keeps its checkpoints).
            rmSync(attemptsFolder(runDir, settled.data.setup, settled.data.trial), { recursive: true, force: true });
            log(`  ${what}: done on ${settled.result.host} in ${settled.result.seconds.toFixed(1)} s${settled.result.startEpoch > 0 ? ` (continued from epoch ${settled.result.startEpoch})` : ''}`);
          } else {
            failures.push({ setup: settled.data.setup, trial: settled.data.trial, error: settled.error });
            log(`  ${what}: FAILED after ${settled.attempts} tries: ${settled.error}`);
          }
        });
        failed += failures.length;
        return failures;
      };
      summary = await runner.run(prepared, { runDir: point.dir, dispatch, reporter: { trialFailed: () => undefined } });
      if (Object.values(summary.setups).every((s) => (s.failed ?? []).length === 0)) rmSync(join(point.dir, RUN_FOLDERS.attempts), { recursive: true, force: true });
    }

    if (!sweep) {
      // A finished run resumed again: its summary as it stands.
      summary ??= readRunSummary(folder);
      if (!summary) throw new UserInputError(`${folder}: the run has no ${RUN_FILES.summary}`);
      return { dir: folder, sweep, summary, failed };
    }
    const outcomes = points.map((p) => outcomeOf(folder, p.record!, 'done'));
    writeSweepSummary(folder, sweepRecord!.name, sweepRecord!.parameters, outcomes);
    return { dir: folder, sweep, outcomes, failed };
  } finally {
    await queue.close();
  }
}
