import { ChildProcess, fork } from 'child_process';
import { join } from 'path';
import { ChildJob, isJobFinished } from './child-job';

const CLI = join(__dirname, '..', 'bin', 'mmfuse.js');

export interface ChildResult {
  /** 0 when the child succeeded. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The last line the child wrote to stderr (its one-line error, if it failed). */
  readonly lastLine: string;
  readonly seconds: number;
  /** The process that ran the job. */
  readonly pid: number | undefined;
}

/** `failed (…)`-style text of a child that did not succeed. */
export function failure(result: ChildResult): string {
  return result.signal ? `killed by ${result.signal}` : `exit code ${result.code}: ${result.lastLine}`;
}

/**
 * Runs the job of every item in up to `processes` child processes at once; `finished` hears of
 * each as it ends. A child that finishes a job well is handed the next one, so its start (Node,
 * the backend, about a second and a half) and its code's first, unoptimised calls are paid once,
 * not per job; a child that fails exits and the next job gets a fresh process, so a crash takes
 * no other job down.
 */
export async function runChildPool<T>(items: readonly T[], processes: number, jobOf: (item: T) => ChildJob, finished: (item: T, result: ChildResult) => void): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(processes, items.length) }, async () => {
      let child: JobChild | undefined;
      try {
        while (next < items.length) {
          const item = items[next++];
          if (!child?.alive) child = new JobChild();
          finished(item, await child.run(jobOf(item)));
        }
      } finally {
        await child?.close();
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
 * Runs one job in a child mmfuse process of its own (`mmfuse child` takes no arguments: it reads
 * the job from its IPC channel, checks it, and exits with 0, 2 (bad input, one line on stderr) or 1).
 */
export async function runChild(job: ChildJob): Promise<ChildResult> {
  const child = new JobChild();
  const result = await child.run(job);
  await child.close();
  return result;
}

/**
 * A `mmfuse child` process that runs the jobs it is handed one after another. It answers each
 * job it finishes well with `JOB_FINISHED` and exits on any error (its exit code and last stderr
 * line then tell how the job ended), or when its parent closes the channel.
 */
class JobChild {
  private readonly process: ChildProcess;
  private readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private exited = false;
  private stderr = '';

  constructor() {
    this.process = fork(CLI, ['child'], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv: [] });
    running.add(this.process);
    this.process.stderr!.on('data', (chunk) => (this.stderr = (this.stderr + String(chunk)).slice(-4000)));
    // 'exit', then the rest of stderr (its last line names the error): a child whose channel its
    // parent closed emits no 'close'.
    const stderrDone = new Promise<void>((resolve) => this.process.stderr!.once('close', resolve));
    this.closed = new Promise((resolve) =>
      this.process.once('exit', (code, signal) => {
        this.exited = true;
        running.delete(this.process);
        const timer = setTimeout(() => resolve({ code, signal }), 1000);
        void stderrDone.then(() => {
          clearTimeout(timer);
          resolve({ code, signal });
        });
      }),
    );
  }

  get alive(): boolean {
    return !this.exited && this.process.connected;
  }

  /** Runs `job`: resolved when the child says it finished, or with its exit status when it exits first. */
  run(job: ChildJob): Promise<ChildResult> {
    const started = Date.now();
    this.stderr = '';
    const result = (code: number | null, signal: NodeJS.Signals | null): ChildResult => ({
      code,
      signal,
      lastLine: this.stderr.trim().split('\n').pop() ?? '',
      seconds: (Date.now() - started) / 1000,
      pid: this.process.pid,
    });
    return new Promise((resolve) => {
      const onMessage = (message: unknown) => {
        if (!isJobFinished(message)) return;
        this.process.off('message', onMessage);
        resolve(result(0, null));
      };
      this.process.on('message', onMessage);
      void this.closed.then(({ code, signal }) => {
        this.process.off('message', onMessage);
        // A child that exits 0 without saying it finished did not run its job to the end.
        if (code === 0) resolve({ ...result(1, null), lastLine: 'the child exited before finishing its job' });
        else resolve(result(code, signal));
      });
      // A child that died before reading its job fails like any other: its exit status says so.
      this.process.send(job, (error) => error && this.process.kill('SIGTERM'));
    });
  }

  /** Closes the channel, which ends a waiting child, and waits for it to exit. */
  async close(): Promise<void> {
    if (this.process.connected) this.process.disconnect();
    await this.closed;
  }
}
