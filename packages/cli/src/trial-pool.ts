import { spawn } from 'child_process';
import { availableParallelism } from 'os';
import { join } from 'path';
import { ExperimentConfig } from '@mmfuse/config';
import { TrialJob } from '@mmfuse/trainer';

const CLI = join(__dirname, '..', 'bin', 'mmfuse.js');

/** How many worker processes run trials at once for this config (1: none, train in this process). */
export function trialProcesses(config: ExperimentConfig): number {
  const wanted = config.training.processes ?? 1;
  const jobs = config.training.trials * config.fusions.length;
  return Math.max(1, Math.min(jobs, wanted === 'auto' ? availableParallelism() : wanted));
}

/**
 * Runs trials in a pool of worker processes, each `mmfuse run <run>/config.json --run-dir <run>
 * --job <setup>:<trial>`, writing into the run folder. A worker that fails leaves its trial without
 * an outcome file; the dispatching run then trains it itself (from its checkpoint, if any).
 */
export function trialPool(processes: number, configDir: string, threads: number | undefined, quiet: boolean | undefined) {
  return async (jobs: TrialJob[], runDir: string): Promise<void> => {
    if (!quiet) process.stderr.write(`  ${jobs.length} trials in ${Math.min(processes, jobs.length)} worker processes\n`);
    let next = 0;
    let done = 0;
    const runOne = (job: TrialJob) =>
      new Promise<void>((resolve) => {
        const args = [CLI, 'run', join(runDir, 'config.json'), '--base-dir', configDir, '--run-dir', runDir, '--job', `${job.setup}:${job.trial}`, '-q'];
        if (threads !== undefined) args.push('--workers', String(threads));
        const started = Date.now();
        const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (chunk) => (stderr = (stderr + String(chunk)).slice(-2000)));
        child.on('close', (code) => {
          done++;
          if (!quiet) {
            const status = code === 0 ? 'done' : `failed (exit ${code}: ${stderr.trim().split('\n').pop() ?? ''}); trained here instead`;
            process.stderr.write(`  [${done}/${jobs.length}] ${job.setup} trial ${job.trial}: ${status} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
          }
          resolve();
        });
      });
    await Promise.all(
      Array.from({ length: Math.min(processes, jobs.length) }, async () => {
        while (next < jobs.length) await runOne(jobs[next++]);
      }),
    );
  };
}
