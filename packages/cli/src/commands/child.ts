import { UserInputError } from '@mmfuse/core';
import { checkChildJob } from '../child-job';
import { runPointJob, runTrialsJob } from './run';

/** How long a child waits for its job before giving up: its parent sends it at once. */
const JOB_TIMEOUT_MS = 30000;

/**
 * `mmfuse child`: the entry of a child process started by another mmfuse process (a trial pool, a
 * sweep, a queue worker). It takes no arguments: it reads one job from its IPC channel, checks it,
 * runs it, and closes the channel so that it exits.
 */
export async function childCommand(): Promise<void> {
  if (!process.send) throw new UserInputError('child: runs only as a child of another mmfuse process, which sends it its job');
  try {
    const message = await new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => reject(new UserInputError(`child: no job arrived within ${JOB_TIMEOUT_MS / 1000} s`)), JOB_TIMEOUT_MS);
      process.once('message', (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      process.once('disconnect', () => {
        clearTimeout(timer);
        reject(new UserInputError('child: the parent went away before sending a job'));
      });
    });
    const job = checkChildJob(message);
    if (job.kind === 'trials') await runTrialsJob(job);
    else await runPointJob(job);
  } finally {
    if (process.connected) process.disconnect();
  }
}
