import { fork, Serializable, spawn, spawnSync } from 'child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { TINY_EXPERIMENT } from './testing/tiny-experiment';

const BIN = join(__dirname, '..', 'bin', 'mmfuse.js');

const CONFIG = {
  name: 'pool',
  seed: 9,
  ...TINY_EXPERIMENT,
  training: { epochs: 3, batchSize: 8, trials: 3, workers: 1, processes: 1 },
  callbacks: [{ type: 'lipschitz', every: 1 }, { type: 'robustness', samples: 16 }],
};

function mmfuse(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function runIn(processes: number): string {
  const cwd = mkdtempSync(join(tmpdir(), 'mmfuse-pool-'));
  writeFileSync(join(cwd, 'config.json'), JSON.stringify({ ...CONFIG, training: { ...CONFIG.training, processes } }));
  const run = mmfuse(cwd, 'run', 'config.json', '-q', '--no-report');
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return join(cwd, 'runs', readdirSync(join(cwd, 'runs'))[0]);
}

const json = (file: string) => JSON.parse(readFileSync(file, 'utf8'));
/** Metrics rows without what differs between processes (time, memory), in a fixed order. */
const rows = (dir: string) =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const { memory: _m, seconds: _s, ...rest } = JSON.parse(l);
      return JSON.stringify(rest);
    })
    .sort();

describe('trials in worker processes', () => {
  it('gives the same run folder as training the trials one after another', () => {
    const alone = runIn(1);
    const pooled = runIn(2);
    const finals = (dir: string) => Object.fromEntries(Object.entries(json(join(dir, 'summary.json')).setups as Record<string, { final: unknown }>).map(([k, v]) => [k, v.final]));
    expect(finals(pooled)).toEqual(finals(alone));
    // The Lipschitz summary of trials other processes trained comes back from lipschitz.jsonl.
    expect(json(join(pooled, 'summary.json')).callbacks.lipschitz.data.final).toEqual(json(join(alone, 'summary.json')).callbacks.lipschitz.data.final);
    expect(json(join(pooled, 'analysis', 'robustness.json'))).toEqual(json(join(alone, 'analysis', 'robustness.json')));
    expect(rows(pooled)).toEqual(rows(alone));
    expect(readdirSync(join(pooled, 'trials')).sort()).toEqual(readdirSync(join(alone, 'trials')).sort());
  }, 180000);

  it('trains to the same losses whichever Lipschitz evaluations the time budget skips', () => {
    // The attention fusion's spectral normalisation keeps power-iteration vectors that every
    // forward pass advances, the tracker's included; it puts them back after each evaluation.
    const lossesWith = (budget: number) => {
      const cwd = mkdtempSync(join(tmpdir(), 'mmfuse-budget-'));
      const config = { ...CONFIG, fusions: [{ type: 'attention' }], training: { ...CONFIG.training, trials: 1 }, callbacks: [{ type: 'lipschitz', every: 1, budget, estimators: [{ type: 'jacobian-spectral' }] }] };
      writeFileSync(join(cwd, 'config.json'), JSON.stringify(config));
      expect(mmfuse(cwd, 'run', 'config.json', '-q', '--no-report')).toMatchObject({ code: 0, stderr: '' });
      const dir = join(cwd, 'runs', readdirSync(join(cwd, 'runs'))[0]);
      const evaluated = new Set(readFileSync(join(dir, 'lipschitz.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).epoch));
      return { rows: rows(dir), evaluated: [...evaluated] };
    };
    const every = lossesWith(0);
    const few = lossesWith(1e-6);
    expect(every.evaluated).toEqual([0, 1, 2, 3]);
    expect(few.evaluated).toEqual([0, 3]);
    expect(few.rows).toEqual(every.rows);
  }, 180000);

  it('finishes after the run and its workers are killed, without redoing finished trials', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'mmfuse-pool-'));
    writeFileSync(join(cwd, 'config.json'), JSON.stringify({ ...CONFIG, training: { ...CONFIG.training, epochs: 6, processes: 2 } }));
    const child = spawn(process.execPath, [BIN, 'run', 'config.json', '-q', '--no-report'], { cwd, stdio: 'ignore', detached: true });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    let finished: string[] = [];
    for (let waited = 0; waited < 120000 && finished.length < 2; waited += 100) {
      await new Promise((r) => setTimeout(r, 100));
      // runs/ appears a moment before the run's own folder inside it.
      const [run] = existsSync(join(cwd, 'runs')) ? readdirSync(join(cwd, 'runs')) : [];
      if (!run) continue;
      const trials = join(cwd, 'runs', run, 'trials');
      finished = existsSync(trials) ? readdirSync(trials).filter((f) => f.endsWith('.json')) : [];
    }
    process.kill(-child.pid!, 'SIGKILL');
    await exited;
    const dir = join(cwd, 'runs', readdirSync(join(cwd, 'runs'))[0]);
    expect(existsSync(join(dir, 'summary.json'))).toBe(false);
    const kept = Object.fromEntries(finished.map((f) => [f, readFileSync(join(dir, 'trials', f), 'utf8')]));
    const resumed = mmfuse(cwd, 'run', '--resume', dir, '-q', '--no-report');
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(readdirSync(join(dir, 'trials'))).toHaveLength(6);
    for (const [f, text] of Object.entries(kept)) expect(readFileSync(join(dir, 'trials', f), 'utf8')).toBe(text);
    // Every epoch of every trial is in the metrics exactly once.
    const keys = rows(dir).map((r) => {
      const { setup, trial, epoch } = JSON.parse(r);
      return `${setup}/${trial}/${epoch}`;
    });
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toHaveLength(2 * 3 * 6);
  }, 180000);

  it('hands a child its job over IPC, and the child refuses a malformed one in one line, exit code 2, writing nothing', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'mmfuse-pool-'));
    writeFileSync(join(cwd, 'config.json'), JSON.stringify(CONFIG));
    const child = (job: unknown) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const forked = fork(BIN, ['child'], { cwd, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv: [] });
        let stderr = '';
        forked.stderr!.on('data', (chunk) => (stderr += String(chunk)));
        forked.send(job as Serializable);
        forked.on('close', (code) => resolve({ code, stderr }));
      });
    const relative = await child({ kind: 'trials', config: 'config.json', baseDir: cwd, runDir: join(cwd, 'x'), trials: [{ setup: 'concat', trial: 0 }] });
    expect(relative).toEqual({ code: 2, stderr: 'error: child job: config must be an absolute path, got "config.json"\n' });
    const argv = await child({ kind: 'trials', config: join(cwd, 'config.json'), baseDir: cwd, runDir: join(cwd, 'x'), trials: ['concat:0'] });
    expect(argv.code).toBe(2);
    expect(argv.stderr).toMatch(/^error: child job: not a job this version sends \(.*\)\n$/);
    expect(readdirSync(cwd)).toEqual(['config.json']);
    // Without a parent there is no job to read.
    expect(mmfuse(cwd, 'child')).toEqual({ code: 2, stdout: '', stderr: 'error: child: runs only as a child of another mmfuse process, which sends it its job\n' });
  }, 180000);
});
