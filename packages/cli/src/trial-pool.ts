import { availableParallelism } from 'os';
import { join, resolve } from 'path';
import { ExperimentConfig } from '@mmfuse/config';
import { readJsonFile } from '@mmfuse/core';
import { outcomeName, TrialOutcome } from '@mmfuse/runs';
import { TrialJob } from '@mmfuse/trainer';
import { trialJob } from './child-job';
import { failure, runChildPool } from './process-pool';

/** How many worker processes run trials at once for this config (1: none, train in this process). */
export function trialProcesses(config: ExperimentConfig): number {
  const wanted = config.training.processes ?? 1;
  const jobs = config.training.trials * config.fusions.length;
  return Math.max(1, Math.min(jobs, wanted === 'auto' ? availableParallelism() : wanted));
}

/** Child jobs per process: enough to even out trials of unequal cost, few enough to start rarely. */
const CHUNKS_PER_PROCESS = 2;

/**
 * Runs trials in a pool of worker processes, each handed a few trials of the run at a time as a
 * typed job (its config.json, folder and trials) and writing into the run folder. One child trains
 * the chunks it is handed one after another: its start (Node, the backend, plugins and data, about
 * a second and a half) and its code's first, unoptimised calls are paid once, not per trial. A worker that fails
 * leaves its unfinished trials without an outcome file; the dispatching run then trains them itself
 * (from their checkpoints, if any).
 */
export function trialPool(processes: number, configDir: string, threads: number | undefined, quiet: boolean | undefined) {
  return async (jobs: TrialJob[], runDir: string): Promise<void> => {
    const children = Math.min(processes, jobs.length);
    if (!quiet) process.stderr.write(`  ${jobs.length} trials in ${children} worker processes\n`);
    const size = Math.max(1, Math.ceil(jobs.length / (children * CHUNKS_PER_PROCESS)));
    const chunks = Array.from({ length: Math.ceil(jobs.length / size) }, (_, i) => jobs.slice(i * size, (i + 1) * size));
    let done = 0;
    const jobOf = (chunk: TrialJob[]) => trialJob(resolve(runDir), resolve(configDir), chunk, threads);
    await runChildPool(chunks, processes, jobOf, (chunk, result) => {
      for (const job of chunk) {
        done++;
        if (quiet) continue;
        const outcome = readOutcome(runDir, job);
        const status = outcome ? `${outcome.test} (${outcome.seconds})` : `failed (${result.code === 0 ? 'no outcome file' : failure(result)}); trained here instead`;
        process.stderr.write(`  [${done}/${jobs.length}] ${job.setup} trial ${job.trial}: ${status}\n`);
      }
    });
  };
}

/** The trial's last test loss and time from the outcome file its worker wrote, for the progress line. */
function readOutcome(runDir: string, job: TrialJob): { test: string; seconds: string } | undefined {
  try {
    const outcome = readJsonFile<Partial<TrialOutcome>>(join(runDir, outcomeName(job.setup, job.trial)), 'the run trains the trial again');
    const total = outcome.epochs?.at(-1)?.test?.total;
    return {
      test: typeof total === 'number' ? `test total ${total.toPrecision(4)}` : 'no epoch finished',
      seconds: typeof outcome.seconds === 'number' ? `${outcome.seconds.toFixed(1)} s` : 'time unknown',
    };
  } catch {
    // Missing or unreadable: the dispatching run reads and checks the file itself and trains the trial again.
    return undefined;
  }
}
