import { existsSync } from 'fs';
import { availableParallelism, hostname } from 'os';
import { join, resolve } from 'path';
import { readJsonFile, UserInputError } from '@mmfuse/core';
import { DEFAULT_QUEUE_NAME, maskRedisUrl, startTrialWorker } from '@mmfuse/queue';
import { RUN_FILES } from '@mmfuse/runs';
import { trialJob } from '../child-job';
import { failure, runChild, stopChildren } from '../process-pool';
import { STOP_EXIT_CODES } from '../stop-signals';

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
 * `mmfuse worker --queue <url>`: trains queued trials, each handed as a typed job to a child
 * process that trains it in a fresh attempt folder, until stopped (SIGINT or SIGTERM: within seconds, whatever Redis is
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
      const { plugins, workers } = attemptConfig(join(attemptDir, RUN_FILES.config));
      if (plugins.length > 0 && !options.allowPlugins) {
        return { code: 2, message: `the run's config lists plugins (${plugins.join(', ')}), which are code; this worker runs none (start it with --allow-plugins to run them)` };
      }
      if (plugins.length > 0) log(`${job.runName} ${job.setup} trial ${job.trial}: runs the plugins its config lists: ${plugins.join(', ')} (from ${job.configDir})`);
      // Threads: what the run's config fixes, else the cores each job has to itself here.
      const result = await runChild(trialJob(attemptDir, job.configDir, [job], options.workers !== undefined || workers === 'auto' ? threads : undefined));
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
