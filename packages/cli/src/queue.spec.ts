import { ChildProcess, spawn, spawnSync } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { randomBytes } from 'crypto';
import { startTestRedis, TestRedis } from '@mmfuse/testing';
import { TINY_EXPERIMENT } from './testing/tiny-experiment';

const BIN = join(__dirname, '..', 'bin', 'mmfuse.js');

// 2 points × 2 set-ups × 2 trials: 8 jobs.
const CONFIG = {
  name: 'queued',
  seed: 11,
  ...TINY_EXPERIMENT,
  regularizers: [{ type: 'l2', lambda: 0.0001 }],
  callbacks: [{ type: 'lipschitz', every: 4, budget: 0 }],
  training: { epochs: 8, batchSize: 8, trials: 2, workers: 1, checkpointEvery: 1 },
  sweep: { grid: { 'regularizers[0].lambda': [1e-6, 0.1] } },
};

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
}, 30000);
afterAll(async () => {
  await redis?.stop();
});

function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mmfuse-queue-cli-'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(CONFIG));
  return dir;
}

function start(cwd: string, args: string[]): { child: ChildProcess; exited: Promise<number | null>; output: () => string } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c) => (output += String(c)));
  child.stderr!.on('data', (c) => (output += String(c)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A deadline that does not keep the test process alive once everything else is done. */
const deadline = (ms: number) => new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms).unref());
const rowsOf = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));

/** Attempt folders under a run tree whose name says which worker process made them. */
function attemptsOf(root: string, pid: number): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > 6 || !existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const path = join(dir, entry.name);
      if (entry.name.includes(`-${pid}-`) && dir.includes(`${join('attempts')}`)) found.push(path);
      else walk(path, depth + 1);
    }
  };
  walk(root, 0);
  return found;
}

function finals(pointDir: string) {
  const summary = JSON.parse(readFileSync(join(pointDir, 'summary.json'), 'utf8'));
  return Object.fromEntries(Object.entries(summary.setups as Record<string, { final: { test: Record<string, { values: number[] }> } }>).map(([setup, s]) => [setup, s.final.test.total.values]));
}

describe('mmfuse run --queue with mmfuse worker', () => {
  it('runs a sweep over two workers, one SIGKILLed mid-job, every job exactly once and the summaries equal to a local run', async () => {
    const cwd = workspace();
    const name = `cli-${randomBytes(4).toString('hex')}`;
    const queue = ['--queue', redis.url, '--queue-name', name];
    const coordinator = start(cwd, ['run', 'config.json', ...queue, '--no-report']);
    const workers = [start(cwd, ['worker', ...queue, '--runs', cwd, '--lock-seconds', '2']), start(cwd, ['worker', ...queue, '--runs', cwd, '--lock-seconds', '2'])];
    const [doomed, survivor] = workers;
    try {
      // SIGKILL the first worker once one of its attempts is a few epochs in.
      let killedIn: string | undefined;
      for (let waited = 0; !killedIn; waited += 100) {
        if (waited > 120000) throw new Error(`no attempt of worker ${doomed.child.pid} got going:\n${doomed.output()}\n${coordinator.output()}`);
        await sleep(100);
        killedIn = attemptsOf(join(cwd, 'runs'), doomed.child.pid!).find((dir) => {
          const metrics = join(dir, 'metrics.jsonl');
          return !existsSync(join(dir, 'trials')) || (readdirSync(join(dir, 'trials')).length === 0 && existsSync(metrics) && rowsOf(metrics).length >= 2 && readdirSync(join(dir, 'checkpoints')).length > 0);
        });
        if (killedIn && !existsSync(join(killedIn, 'metrics.jsonl'))) killedIn = undefined;
      }
      doomed.child.kill('SIGKILL');
      const code = await Promise.race([coordinator.exited, deadline(240000)]);
      expect({ code, output: coordinator.output() }).toEqual({ code: 0, output: expect.stringContaining('[8/8]') });
      // The killed job went back to the queue and continued from the dead attempt's checkpoint.
      expect(coordinator.output()).toMatch(/continued from epoch [1-8]\)/);
    } finally {
      for (const w of workers) w.child.kill('SIGKILL');
      coordinator.child.kill('SIGKILL');
    }
    await survivor.exited;

    const sweepDir = join(cwd, 'runs', readdirSync(join(cwd, 'runs'))[0]);
    const record = JSON.parse(readFileSync(join(sweepDir, 'sweep.json'), 'utf8'));
    for (const point of record.points as Array<{ runDir: string }>) {
      const dir = join(sweepDir, point.runDir);
      // Every epoch row of every trial exactly once, and the merged run folder laid out as a local one.
      const metrics = rowsOf(join(dir, 'metrics.jsonl'));
      for (const setup of ['sum', 'concat']) {
        for (const trial of [0, 1]) {
          expect(metrics.filter((r) => r.setup === setup && r.trial === trial).map((r) => r.epoch).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
        }
      }
      expect(metrics).toHaveLength(32);
      const lipschitz = rowsOf(join(dir, 'lipschitz.jsonl'));
      const keys = lipschitz.map((r) => `${r.setup}/${r.trial}/${r.epoch}/${r.subModel}/${r.estimator}`);
      expect(new Set(keys).size).toBe(keys.length);
      expect(readdirSync(join(dir, 'trials')).sort()).toEqual(['concat.trial0.json', 'concat.trial1.json', 'sum.trial0.json', 'sum.trial1.json']);
      expect(existsSync(join(dir, 'attempts'))).toBe(false);
    }
    const status = spawnSync(process.execPath, [BIN, 'queue', 'status', '--queue', redis.url, '--queue-name', name, '--run', sweepDir, '--json'], { encoding: 'utf8' });
    expect(status.status).toBe(0);
    expect(JSON.parse(status.stdout)).toEqual([expect.objectContaining({ waiting: 0, active: 0, done: 8, failed: 0 })]);

    // The same sweep run locally, with the same seeds.
    const local = spawnSync(process.execPath, [BIN, 'run', 'config.json', '-q', '--no-report', '--out', 'local'], { cwd, encoding: 'utf8' });
    expect(local.status).toBe(0);
    const localDir = join(cwd, 'local', readdirSync(join(cwd, 'local'))[0]);
    for (const point of record.points as Array<{ runDir: string }>) {
      const queued = finals(join(sweepDir, point.runDir));
      const alone = finals(join(localDir, point.runDir));
      for (const setup of Object.keys(alone)) {
        expect(queued[setup]).toHaveLength(2);
        queued[setup].forEach((v, i) => expect(Math.abs(v - alone[setup][i]) / alone[setup][i]).toBeLessThan(1e-5));
      }
    }
  }, 420000);

  it('continues after the coordinator is killed, without losing or redoing finished jobs', async () => {
    const cwd = workspace();
    const { sweep: _sweep, ...single } = CONFIG;
    writeFileSync(join(cwd, 'config.json'), JSON.stringify({ ...single, training: { ...single.training, epochs: 3, trials: 3 } }));
    const name = `cli-${randomBytes(4).toString('hex')}`;
    const queue = ['--queue', redis.url, '--queue-name', name];
    const coordinator = start(cwd, ['run', 'config.json', ...queue, '--no-report', '-q']);
    const worker = start(cwd, ['worker', ...queue, '--runs', cwd, '--lock-seconds', '2', '-q']);
    try {
      let merged: string[] = [];
      for (let waited = 0; merged.length < 2; waited += 100) {
        if (waited > 120000) throw new Error(`no job was merged:\n${coordinator.output()}\n${worker.output()}`);
        await sleep(100);
        const runs = join(cwd, 'runs');
        const trials = existsSync(runs) && readdirSync(runs).length > 0 ? join(runs, readdirSync(runs)[0], 'trials') : '';
        merged = trials && existsSync(trials) ? readdirSync(trials).filter((f) => f.endsWith('.json')) : [];
      }
      coordinator.child.kill('SIGKILL');
      await coordinator.exited;
      const runDir = join(cwd, 'runs', readdirSync(join(cwd, 'runs'))[0]);
      expect(existsSync(join(runDir, 'summary.json'))).toBe(false);
      const before = Object.fromEntries(readdirSync(join(runDir, 'trials')).map((f) => [f, readFileSync(join(runDir, 'trials', f), 'utf8')]));
      const resumed = spawnSync(process.execPath, [BIN, 'run', '--resume', runDir, ...queue, '--no-report', '-q'], { cwd, encoding: 'utf8', timeout: 180000 });
      expect({ code: resumed.status, stderr: resumed.stderr }).toEqual({ code: 0, stderr: '' });
      // Trials merged before the kill are untouched; every epoch row of every trial is there once.
      for (const [file, text] of Object.entries(before)) expect(readFileSync(join(runDir, 'trials', file), 'utf8')).toBe(text);
      const metrics = rowsOf(join(runDir, 'metrics.jsonl'));
      expect(metrics.map((r) => `${r.setup}/${r.trial}/${r.epoch}`).sort()).toEqual(['concat', 'sum'].flatMap((s) => [0, 1, 2].flatMap((t) => [1, 2, 3].map((e) => `${s}/${t}/${e}`))).sort());
      const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8'));
      expect(summary.setups.sum.trials).toBe(3);
      expect(summary.setups.concat.trials).toBe(3);
      const status = spawnSync(process.execPath, [BIN, 'queue', 'status', ...queue, '--run', runDir, '--json'], { encoding: 'utf8' });
      expect(JSON.parse(status.stdout)).toEqual([expect.objectContaining({ waiting: 0, active: 0, done: 6, failed: 0 })]);
    } finally {
      worker.child.kill('SIGKILL');
      coordinator.child.kill('SIGKILL');
    }
  }, 300000);

  it('reports jobs failing on every try with their error, exit code 1, and tries them again on --resume; plugins run on a worker only when it allows them', async () => {
    const cwd = workspace();
    const { sweep: _sweep, ...single } = CONFIG;
    // A plugin that registers nothing: listing it is enough to make the config's jobs run code.
    const pluginDir = join(cwd, 'noop-plugin');
    mkdirSync(pluginDir);
    writeFileSync(join(pluginDir, 'package.json'), JSON.stringify({ name: 'noop-plugin', version: '1.0.0', mmfuse: { module: './module.js' } }));
    writeFileSync(join(pluginDir, 'module.js'), `module.exports = { default: new (require(${JSON.stringify(require.resolve('inversify'))}).ContainerModule)(() => undefined) };\n`);
    writeFileSync(join(cwd, 'config.json'), JSON.stringify({ ...single, plugins: ['./noop-plugin'], fusions: [{ type: 'sum' }], training: { ...single.training, epochs: 2, trials: 2 } }));
    const announced = `plugin: noop-plugin 1.0.0 from ${pluginDir} (listed in the config; plugins are code and run with your rights)\n`;
    const name = `cli-${randomBytes(4).toString('hex')}`;
    const queue = ['--queue', redis.url, '--queue-name', name];
    // A worker serving other folders fails every job at once: bad input is not retried.
    mkdirSync(join(cwd, 'elsewhere'));
    const refusing = start(cwd, ['worker', ...queue, '--runs', join(cwd, 'elsewhere')]);
    let runDir: string;
    try {
      const failed = spawnSync(process.execPath, [BIN, 'run', 'config.json', ...queue, '--no-report', '--attempts', '3'], { cwd, encoding: 'utf8', timeout: 120000 });
      expect(failed.status).toBe(1);
      expect(failed.stderr.startsWith(announced)).toBe(true);
      runDir = join(cwd, 'runs', readdirSync(join(cwd, 'runs'))[0]);
      expect(failed.stderr).toContain(`2 job(s) failed on every try; retry them with: mmfuse run --resume ${runDir} --queue <url>`);
      expect(failed.stderr).toMatch(/\[2\/2\] sum trial 1: FAILED after 1 tries: job payload: run folder .* is outside the folders this worker serves/);
      expect(failed.stdout).toContain('sum: trial 0 failed (job payload: run folder');
      const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8'));
      expect(summary.setups.sum.trials).toBe(0);
      expect(summary.setups.sum.failed.map((f: { trial: number; error: string }) => f.trial)).toEqual([0, 1]);
      expect(summary.setups.sum.failed[0].error).toMatch(/outside the folders this worker serves/);
    } finally {
      refusing.child.kill('SIGKILL');
    }
    await refusing.exited;
    // Serving the folder, but running no plugin code unless told to.
    const careful = start(cwd, ['worker', ...queue, '--runs', cwd, '-q']);
    try {
      const refused = spawnSync(process.execPath, [BIN, 'run', '--resume', runDir, ...queue, '--no-report', '-q'], { cwd, encoding: 'utf8', timeout: 120000 });
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain('2 job(s) failed on every try');
      const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8'));
      expect(summary.setups.sum.failed[0].error).toBe(`the run's config lists plugins ("./noop-plugin"), which are code; this worker runs none (start it with --allow-plugins to run them)`);
    } finally {
      careful.child.kill('SIGKILL');
    }
    await careful.exited;
    const serving = start(cwd, ['worker', ...queue, '--runs', cwd, '--allow-plugins', '-q']);
    try {
      const resumed = spawnSync(process.execPath, [BIN, 'run', '--resume', runDir, ...queue, '--no-report', '-q'], { cwd, encoding: 'utf8', timeout: 120000 });
      expect({ code: resumed.status, stderr: resumed.stderr }).toEqual({ code: 0, stderr: announced });
      const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8'));
      expect(summary.setups.sum.trials).toBe(2);
      expect(summary.setups.sum.failed).toBeUndefined();
      expect(rowsOf(join(runDir, 'metrics.jsonl'))).toHaveLength(4);
    } finally {
      serving.child.kill('SIGKILL');
    }
  }, 300000);

  it('stops a worker within seconds on SIGTERM even when its Redis server is gone, with exit code 143', async () => {
    const cwd = workspace();
    const own = await startTestRedis({ own: true });
    const worker = start(cwd, ['worker', '--queue', own.url, '--runs', cwd]);
    try {
      for (let waited = 0; !/worker \S+ on queue/.test(worker.output()); waited += 50) {
        if (waited > 20000) throw new Error(`the worker did not start: ${worker.output()}`);
        await sleep(50);
      }
      await own.stop();
      await sleep(500);
      const signalled = Date.now();
      worker.child.kill('SIGTERM');
      const code = await Promise.race([worker.exited, deadline(10000)]);
      expect(code).toBe(143);
      expect(Date.now() - signalled).toBeLessThan(5000);
      expect(worker.output()).toContain('SIGTERM: stopping; jobs in hand go back to the queue and continue from their checkpoints');
    } finally {
      worker.child.kill('SIGKILL');
      await own.stop();
    }
  }, 60000);

  it('refuses a bad queue URL or an unreachable server in one line, exit code 2, writing nothing', () => {
    const cwd = workspace();
    for (const [url, message] of [
      ['http://127.0.0.1:6379', /^error: --queue http:\/\/127\.0\.0\.1:6379: expected a redis:\/\/ or rediss:\/\/ URL, got http:\/\/$/],
      ['redis://:secret@127.0.0.1:1', /^error: --queue redis:\/\/:\*\*\*@127\.0\.0\.1:1: cannot use this Redis server \(.+\)$/],
    ] as const) {
      const r = spawnSync(process.execPath, [BIN, 'run', 'config.json', '--queue', url], { cwd, encoding: 'utf8' });
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(message)]);
      expect(r.stderr).not.toContain('secret');
    }
    expect(existsSync(join(cwd, 'runs'))).toBe(false);
    const worker = spawnSync(process.execPath, [BIN, 'worker', '--queue', 'redis://127.0.0.1:1', '--runs', cwd], { encoding: 'utf8' });
    expect(worker.status).toBe(2);
    expect(worker.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^error: --queue redis:\/\/127\.0\.0\.1:1: cannot use this Redis server/)]);
    const mixed = spawnSync(process.execPath, [BIN, 'run', 'config.json', '--queue', redis.url, '--point', '0'], { cwd, encoding: 'utf8' });
    expect(mixed.status).toBe(2);
    expect(mixed.stderr.trim()).toBe('error: run: --point cannot be combined with --queue');
  }, 60000);
});
