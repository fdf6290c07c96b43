import { readFileSync } from 'fs';
import { availableParallelism } from 'os';
import { join, resolve } from 'path';
import { ExperimentConfig } from '@mmfuse/config';
import { outcomeName } from '@mmfuse/runs';
import { TrialJob } from '@mmfuse/trainer';
import { trialJob } from './child-job';
import { failure, runChildPool } from './process-pool';

/** How many worker processes run trials at once for this config (1: none, train in this process). */
export function trialProcesses(config: ExperimentConfig): number {
  const wanted = config.training.processes ?? 1;
  const jobs = config.training.trials * config.fusions.length;
  return Math.max(1, Math.min(jobs, wanted === 'auto' ? availableParallelism() : wanted));
}

/**
 * Runs trials in a pool of worker processes, each handed one trial of the run as a typed job
 * (its config.json, folder and trial) and writing into the run folder. A worker that fails leaves its trial without
 * an outcome file; the dispatching run then trains it itself (from its checkpoint, if any).
 */
export function trialPool(processes: number, configDir: string, threads: number | undefined, quiet: boolean | undefined) {
  return async (jobs: TrialJob[], runDir: string): Promise<void> => {
    if (!quiet) process.stderr.write(`  ${jobs.length} trials in ${Math.min(processes, jobs.length)} worker processes\n`);
    let done = 0;
    const jobOf = (job: TrialJob) => trialJob(resolve(runDir), resolve(configDir), job, threads);
    await runChildPool(jobs, processes, jobOf, (job, result) => {
      done++;
      if (quiet) return;
      const status = result.code === 0 ? finalTest(runDir, job) : `failed (${failure(result)}); trained here instead`;
      process.stderr.write(`  [${done}/${jobs.length}] ${job.setup} trial ${job.trial}: ${status} (${result.seconds.toFixed(1)} s)\n`);
    });
  };
}

/** The trial's last test loss from the outcome file its worker wrote, for the progress line. */
function finalTest(runDir: string, job: TrialJob): string {
  try {
    const outcome = JSON.parse(readFileSync(join(runDir, outcomeName(job.setup, job.trial)), 'utf8')) as { epochs?: Array<{ test?: { total?: unknown } }> };
    const total = outcome.epochs?.at(-1)?.test?.total;
    return typeof total === 'number' ? `test total ${total.toPrecision(4)}` : 'done';
  } catch {
    // The dispatching run reads and checks the file itself; here it only decorates a line.
    return 'done';
  }
}
