import { existsSync } from 'fs';
import { hostname } from 'os';
import { join, relative } from 'path';
import { randomBytes } from 'crypto';
import { UnrecoverableError, Worker } from 'bullmq';
import { outcomeName } from '@mmfuse/runs';
import { prepareAttempt } from './attempts';
import { connectRedis } from './redis-connection';
import { CheckedJob, checkJobData, InvalidJobError, TrialJobData, TrialJobResult } from './trial-job';
import { DEFAULT_QUEUE_NAME } from './trial-queue';

/** How one attempt ended, as told by whatever trained it (a child process, in the CLI). */
export interface AttemptRun {
  /** 0: trained; 2: the run's input is bad (retrying cannot help); anything else: retried. */
  code: number | null;
  /** One line saying what went wrong. */
  message?: string;
}

/** Trains one trial in `attemptDir` (laid out as a run folder) and says how it ended. */
export type TrainAttempt = (job: CheckedJob, attemptDir: string) => Promise<AttemptRun>;

export interface TrialWorkerOptions {
  url: string;
  name?: string;
  /** Jobs trained at once (default 1). */
  concurrency?: number;
  /** Only run folders under these (absolute) folders are served (at least one). */
  roots: readonly string[];
  /**
   * Seconds a job stays locked without a sign of life from its worker before another worker may
   * take it over (default 30); also how often this worker looks for such jobs.
   */
  lockSeconds?: number;
  /** Times a job may be orphaned by a dying worker before it fails for good (default 3). */
  maxStalled?: number;
  train: TrainAttempt;
  log?: (line: string) => void;
}

/**
 * A worker: takes trial jobs from the queue, trains each in a fresh attempt folder continuing from
 * the furthest checkpoint any earlier attempt left, and returns that folder for the coordinator to
 * merge. A job whose payload or config is bad fails at once, without retries.
 */
export async function startTrialWorker(options: TrialWorkerOptions): Promise<Worker<TrialJobData, TrialJobResult>> {
  if (options.roots.length === 0) throw new Error('startTrialWorker: give at least one folder of run folders to serve (roots)');
  const connection = await connectRedis(options.url);
  const log = options.log ?? (() => undefined);
  const lockMs = Math.round((options.lockSeconds ?? 30) * 1000);
  const worker = new Worker<TrialJobData, TrialJobResult>(
    options.name ?? DEFAULT_QUEUE_NAME,
    async (job) => {
      let data: CheckedJob;
      try {
        data = checkJobData(job.data, options.roots);
      } catch (error) {
        if (error instanceof InvalidJobError) throw new UnrecoverableError(error.message);
        throw error;
      }
      const started = Date.now();
      const attemptId = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
      const attempt = prepareAttempt(data.runDir, data.setup, data.trial, attemptId);
      const what = `${data.runName}${data.point !== undefined ? ` point ${data.point}` : ''} ${data.setup} trial ${data.trial}`;
      log(`${what}: started${attempt.startEpoch > 0 ? ` from epoch ${attempt.startEpoch}` : ''} (attempt ${attemptId})`);
      const ran = await options.train(data, attempt.dir);
      if (ran.code === 2) throw new UnrecoverableError(ran.message ?? 'bad input');
      if (ran.code !== 0) throw new Error(ran.message ?? `training stopped with exit code ${ran.code}`);
      const outcome = join(attempt.dir, outcomeName(data.setup, data.trial));
      if (!existsSync(outcome)) throw new UnrecoverableError(`${what}: training ended without writing ${relative(data.runDir, outcome)}; is "${data.setup}" a set-up of the run's config?`);
      const seconds = (Date.now() - started) / 1000;
      log(`${what}: done in ${seconds.toFixed(1)} s`);
      return { attempt: relative(data.runDir, attempt.dir), host: hostname(), pid: process.pid, seconds, startEpoch: attempt.startEpoch };
    },
    {
      connection,
      concurrency: options.concurrency ?? 1,
      lockDuration: lockMs,
      stalledInterval: lockMs,
      maxStalledCount: options.maxStalled ?? 3,
    },
  );
  worker.on('failed', (job, error) => {
    // The payload may be anything a client put on the queue: only short excerpts reach the log.
    const field = (v: unknown) => String(v).slice(0, 80);
    if (job) log(`${field(job.data?.runName)} ${field(job.data?.setup)} trial ${field(job.data?.trial)}: failed (${error.message.split('\n')[0].slice(0, 300)}); try ${job.attemptsMade} of ${job.opts.attempts ?? 1}`);
  });
  // The worker does not close a connection it was given.
  worker.on('closed', () => connection.disconnect());
  worker.on('error', (error) => log(`queue error: ${error.message.split('\n')[0]}`));
  return worker;
}
