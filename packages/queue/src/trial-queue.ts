import { Job, Queue } from 'bullmq';
import IORedis from 'ioredis';
import { connectRedis } from './redis-connection';
import { TrialJobData, trialJobId, TrialJobResult } from './trial-job';

/** Queue name used when none is given; coordinator and workers must agree on it. */
export const DEFAULT_QUEUE_NAME = 'mmfuse';

export interface TrialQueueOptions {
  /** Queue name (`--queue-name`), default `mmfuse`. */
  name?: string;
  /** Tries per job before it fails for good (default 3); a worker that dies counts as a try. */
  attempts?: number;
  /** Wait before the first retry, doubled for each further one (default 2000 ms). */
  backoffMs?: number;
}

export type SettledJob = { data: TrialJobData; id: string } & ({ state: 'completed'; result: TrialJobResult } | { state: 'failed'; error: string; attempts: number });

export interface QueueCounts {
  runId: string;
  runName: string;
  waiting: number;
  active: number;
  done: number;
  failed: number;
}

/**
 * The coordinator's side of the queue: enqueues a run's trials as jobs (idempotently, by id),
 * follows them until each has completed or failed for good, and counts jobs per run.
 */
export class TrialQueue {
  private constructor(
    readonly queue: Queue<TrialJobData, TrialJobResult>,
    private readonly connection: IORedis,
    private readonly attempts: number,
    private readonly backoffMs: number,
  ) {}

  static async open(url: string, options: TrialQueueOptions = {}): Promise<TrialQueue> {
    const connection = await connectRedis(url);
    const queue = new Queue<TrialJobData, TrialJobResult>(options.name ?? DEFAULT_QUEUE_NAME, { connection });
    queue.on('error', () => undefined);
    return new TrialQueue(queue, connection, options.attempts ?? 3, options.backoffMs ?? 2000);
  }

  /**
   * Adds each job unless one with its id is already there; a job that failed for good is tried
   * again (a resumed coordinator retries what failed). Returns the ids.
   */
  async enqueue(jobs: readonly TrialJobData[]): Promise<string[]> {
    const ids: string[] = [];
    for (const data of jobs) {
      const id = trialJobId(data);
      ids.push(id);
      const existing = await Job.fromId<TrialJobData, TrialJobResult>(this.queue, id);
      if (existing && (await existing.getState()) === 'failed') {
        await existing.retry('failed');
        continue;
      }
      if (existing) continue;
      await this.queue.add(`${data.runName}/${data.setup}#${data.trial}`, data, {
        jobId: id,
        attempts: this.attempts,
        backoff: { type: 'exponential', delay: this.backoffMs },
        // Kept: a restarted coordinator reads which attempt won from the completed job.
        removeOnComplete: false,
        removeOnFail: false,
      });
    }
    return ids;
  }

  /**
   * Resolves once every job has completed or failed for good, calling `settled` for each as it
   * does (in the order they settle). A job that vanished from Redis is added again.
   */
  async follow(jobs: readonly TrialJobData[], settled: (job: SettledJob) => void | Promise<void>, pollMs = 500): Promise<SettledJob[]> {
    const pending = new Map(jobs.map((data) => [trialJobId(data), data]));
    const results: SettledJob[] = [];
    while (pending.size > 0) {
      for (const [id, data] of [...pending]) {
        // The state first: a job read before it settles would lack its result or reason.
        const state = await this.queue.getJobState(id);
        if (state === 'unknown') {
          await this.enqueue([data]);
          continue;
        }
        if (state !== 'completed' && state !== 'failed') continue;
        const job = await Job.fromId<TrialJobData, TrialJobResult>(this.queue, id);
        if (!job) continue;
        const outcome: SettledJob =
          state === 'completed'
            ? { id, data, state, result: job.returnvalue }
            : { id, data, state, error: job.failedReason || 'failed without a reason', attempts: Math.max(job.attemptsMade, job.attemptsStarted ?? 0) };
        pending.delete(id);
        results.push(outcome);
        await settled(outcome);
      }
      if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
    return results;
  }

  /** Jobs waiting, active, done and failed, per run (newest runs last). */
  async countsByRun(runId?: string): Promise<QueueCounts[]> {
    const byRun = new Map<string, QueueCounts>();
    const groups: Array<[keyof Omit<QueueCounts, 'runId' | 'runName'>, Array<'waiting' | 'delayed' | 'prioritized' | 'waiting-children' | 'active' | 'completed' | 'failed'>]> = [
      ['waiting', ['waiting', 'delayed', 'prioritized', 'waiting-children']],
      ['active', ['active']],
      ['done', ['completed']],
      ['failed', ['failed']],
    ];
    for (const [field, states] of groups) {
      for (const job of await this.queue.getJobs(states, 0, -1)) {
        if (!job?.data || (runId && job.data.runId !== runId)) continue;
        const counts = byRun.get(job.data.runId) ?? { runId: job.data.runId, runName: job.data.runName, waiting: 0, active: 0, done: 0, failed: 0 };
        counts[field]++;
        byRun.set(job.data.runId, counts);
      }
    }
    return [...byRun.values()];
  }

  async close(): Promise<void> {
    await this.queue.close();
    this.connection.disconnect();
  }
}
