import { UserInputError } from '@mmfuse/core';
import { checkChildJob, JOB_FINISHED } from '../child-job';
import { runPointJob, runTrialsJob } from './run';

/** How long a child waits for its first job before giving up: its parent sends it at once. */
const JOB_TIMEOUT_MS = 30000;

/**
 * `mmfuse child`: the entry of a child process started by another mmfuse process (a trial pool, a
 * sweep, a queue worker). It takes no arguments: it reads jobs from its IPC channel, checks and
 * runs each, answers `JOB_FINISHED` for each it finished, and exits when its parent closes the
 * channel. Any error ends the process (exit code 2 for bad input, 1 otherwise), so a job that
 * failed leaves nothing behind for the next one.
 */
export async function childCommand(): Promise<void> {
  if (!process.send) throw new UserInputError('child: runs only as a child of another mmfuse process, which sends it its job');
  const jobs = jobChannel();
  try {
    for (let first = true; ; first = false) {
      const message = await jobs.next(first ? JOB_TIMEOUT_MS : undefined);
      if (message === undefined) return;
      const job = checkChildJob(message);
      if (job.kind === 'trials') await runTrialsJob(job);
      else await runPointJob(job);
      await new Promise<void>((resolve, reject) => process.send!(JOB_FINISHED, (error: Error | null) => (error ? reject(error) : resolve())));
    }
  } finally {
    jobs.close();
    if (process.connected) process.disconnect();
  }
}

/**
 * The messages of the IPC channel, queued as they arrive (one may come while a job runs): `next`
 * gives the next one, or undefined once the parent has closed the channel.
 */
function jobChannel() {
  const queue: unknown[] = [];
  let waiting: (() => void) | undefined;
  let disconnected = false;
  const onMessage = (message: unknown) => {
    queue.push(message);
    waiting?.();
  };
  const onDisconnect = () => {
    disconnected = true;
    waiting?.();
  };
  process.on('message', onMessage);
  process.once('disconnect', onDisconnect);
  return {
    async next(timeoutMs?: number): Promise<unknown> {
      while (queue.length === 0 && !disconnected) {
        await new Promise<void>((resolve, reject) => {
          const timer = timeoutMs === undefined ? undefined : setTimeout(() => reject(new UserInputError(`child: no job arrived within ${timeoutMs / 1000} s`)), timeoutMs);
          waiting = () => {
            clearTimeout(timer);
            waiting = undefined;
            resolve();
          };
        });
      }
      if (queue.length > 0) return queue.shift();
      if (timeoutMs !== undefined) throw new UserInputError('child: the parent went away before sending a job');
      return undefined;
    },
    close(): void {
      process.off('message', onMessage);
      process.off('disconnect', onDisconnect);
    },
  };
}
