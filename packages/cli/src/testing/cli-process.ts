import { spawn, spawnSync } from 'child_process';
import { existsSync, readdirSync, readFileSync } from 'fs';
import { join } from 'path';

export const BIN = join(__dirname, '..', '..', 'bin', 'mmfuse.js');

/** Runs the built CLI in `cwd` and waits for it. */
export function mmfuse(cwd: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, MMFUSE_DEBUG: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export type MetricsRow = { setup: string; trial: number; epoch: number; train: { total: number }; test: { total: number } };

export const rowsOf = (runDir: string): MetricsRow[] =>
  readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));

/** Lines of `metrics.jsonl` in the first run folder under `cwd/out` (0 while there is none). */
function metricsLines(cwd: string, out: string): number {
  const dirs = existsSync(join(cwd, out)) ? readdirSync(join(cwd, out)) : [];
  const metrics = dirs.length > 0 ? join(cwd, out, dirs[0], 'metrics.jsonl') : '';
  return metrics && existsSync(metrics) ? readFileSync(metrics, 'utf8').split('\n').filter((l) => l.trim()).length : 0;
}

/**
 * Starts `mmfuse run config.json --out <out>` in `cwd`, sends `signal` once its metrics hold
 * `minRows` rows, and resolves with the run folder, the exit code or signal, and stderr.
 */
export async function runUntilSignalled(cwd: string, out: string, minRows: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<{ runDir: string; code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const child = spawn(process.execPath, [BIN, 'run', 'config.json', '--out', out, '-q'], { cwd, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, MMFUSE_DEBUG: '' } });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, sig) => resolve({ code, signal: sig })));
  for (let waited = 0; waited < 60000 && metricsLines(cwd, out) < minRows; waited += 50) await new Promise((r) => setTimeout(r, 50));
  child.kill(signal);
  const end = await exited;
  return { runDir: join(cwd, out, readdirSync(join(cwd, out))[0]), ...end, stderr };
}
