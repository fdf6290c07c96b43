import { ChildProcess, fork } from 'child_process';
import { join } from 'path';
import type { ChildJob } from './child-job';

const CLI = join(__dirname, '..', 'bin', 'mmfuse.js');

export interface ChildResult {
  /** 0 when the child succeeded. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The last line the child wrote to stderr (its one-line error, if it failed). */
  readonly lastLine: string;
  readonly seconds: number;
}

/** `failed (…)`-style text of a child that did not succeed. */
export function failure(result: ChildResult): string {
  return result.signal ? `killed by ${result.signal}` : `exit code ${result.code}: ${result.lastLine}`;
}

/**
 * Runs the job of every item in up to `processes` child processes at once (each with its own
 * memory, so one that crashes takes no other down); `finished` hears of each as it ends.
 */
export async function runChildPool<T>(items: readonly T[], processes: number, jobOf: (item: T) => ChildJob, finished: (item: T, result: ChildResult) => void): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(processes, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next++];
        finished(item, await runChild(jobOf(item)));
      }
    }),
  );
}

/** Child processes running now, so a stopping parent can stop them too. */
const running = new Set<ChildProcess>();

/** Sends `signal` to every child process `runCli` started that still runs. */
export function stopChildren(signal: NodeJS.Signals = 'SIGTERM'): void {
  for (const child of running) child.kill(signal);
}

/**
 * Runs one job in a child mmfuse process: the child reads it from its IPC channel (`mmfuse child`
 * takes no arguments), checks it, and exits with 0, 2 (bad input, one line on stderr) or 1.
 */
export function runChild(job: ChildJob): Promise<ChildResult> {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = fork(CLI, ['child'], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv: [] });
    running.add(child);
    child.on('close', () => running.delete(child));
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr = (stderr + String(chunk)).slice(-4000)));
    // A child that died before reading its job fails like any other: its exit code says so.
    child.send(job, (error) => error && child.kill('SIGTERM'));
    child.on('close', (code, signal) => resolve({ code, signal, lastLine: stderr.trim().split('\n').pop() ?? '', seconds: (Date.now() - started) / 1000 }));
  });
}
