import { spawn, spawnSync } from 'child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { TINY_EXPERIMENT } from './testing/tiny-experiment';

const BIN = join(__dirname, '..', 'bin', 'mmfuse.js');

const CONFIG = {
  name: 'sweep',
  seed: 5,
  ...TINY_EXPERIMENT,
  regularizers: [{ type: 'l2', lambda: 0.0001 }],
  training: { epochs: 3, batchSize: 8, trials: 2, workers: 1 },
  sweep: { grid: { 'regularizers[0].lambda': [1e-6, 0.1], 'training.learningRate': [0.001, 0.01] }, workers: 2 },
};

function mmfuse(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function workspace(config: object = CONFIG): string {
  const dir = mkdtempSync(join(tmpdir(), 'mmfuse-sweep-'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

const sweepDirOf = (cwd: string) => join(cwd, 'runs', readdirSync(join(cwd, 'runs'))[0]);
const finalOf = (runDir: string) => {
  const setups = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')).setups as Record<string, { final: unknown; curves: unknown }>;
  return Object.fromEntries(Object.entries(setups).map(([name, s]) => [name, { final: s.final, curves: s.curves }]));
};

describe('mmfuse run with a sweep', () => {
  it('runs every point in its own run folder, each equal to running that point alone', () => {
    const cwd = workspace();
    const run = mmfuse(cwd, 'run', 'config.json', '-q');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const dir = sweepDirOf(cwd);
    const record = JSON.parse(readFileSync(join(dir, 'sweep.json'), 'utf8'));
    expect(record.points.map((p: { assignments: object }) => p.assignments)).toEqual([
      { 'regularizers[0].lambda': 1e-6, 'training.learningRate': 0.001 },
      { 'regularizers[0].lambda': 1e-6, 'training.learningRate': 0.01 },
      { 'regularizers[0].lambda': 0.1, 'training.learningRate': 0.001 },
      { 'regularizers[0].lambda': 0.1, 'training.learningRate': 0.01 },
    ]);
    const summary = JSON.parse(readFileSync(join(dir, 'sweep-summary.json'), 'utf8'));
    expect(summary.points.map((p: { status: string }) => p.status)).toEqual(['done', 'done', 'done', 'done']);
    for (const point of record.points) {
      const config = JSON.parse(readFileSync(join(dir, point.runDir, 'config.json'), 'utf8'));
      expect(config.sweep).toBeUndefined();
      expect(config.regularizers[0].lambda).toBe(point.assignments['regularizers[0].lambda']);
      expect(config.training.learningRate).toBe(point.assignments['training.learningRate']);
    }
    // A point run by hand gives the same results as in the sweep (same seeds, same data).
    const alone = mmfuse(cwd, 'run', 'config.json', '--point', '3', '--run-dir', 'alone', '-q');
    expect(alone.code).toBe(0);
    expect(finalOf(join(cwd, 'alone'))).toEqual(finalOf(join(dir, record.points[3].runDir)));
    // Different points really differ.
    expect(finalOf(join(dir, record.points[0].runDir))).not.toEqual(finalOf(join(dir, record.points[1].runDir)));
    expect(run.stdout).toMatch(/sweep: final test loss/);
  }, 180000);

  it('continues an interrupted sweep without redoing finished points', async () => {
    const cwd = workspace({ ...CONFIG, training: { ...CONFIG.training, epochs: 6 }, sweep: { ...CONFIG.sweep, workers: 1 } });
    // The coordinator and its point processes share a process group, so one kill stops them all.
    const child = spawn(process.execPath, [BIN, 'run', 'config.json', '-q'], { cwd, stdio: 'ignore', detached: true });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    let finished: string[] = [];
    for (let waited = 0; waited < 120000 && finished.length < 1; waited += 100) {
      await new Promise((r) => setTimeout(r, 100));
      if (!existsSync(join(cwd, 'runs'))) continue;
      const dir = sweepDirOf(cwd);
      const points = existsSync(join(dir, 'points')) ? readdirSync(join(dir, 'points')) : [];
      finished = points.filter((p) => existsSync(join(dir, 'points', p, 'summary.json')));
    }
    process.kill(-child.pid!, 'SIGKILL');
    await exited;
    const dir = sweepDirOf(cwd);
    expect(existsSync(join(dir, 'sweep-summary.json'))).toBe(false);
    const stamps = Object.fromEntries(finished.map((p) => [p, statSync(join(dir, 'points', p, 'summary.json')).mtimeMs]));
    const resumed = mmfuse(cwd, 'run', '--resume', dir, '-q');
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    const summary = JSON.parse(readFileSync(join(dir, 'sweep-summary.json'), 'utf8'));
    expect(summary.points.map((p: { status: string }) => p.status)).toEqual(['done', 'done', 'done', 'done']);
    for (const [p, stamp] of Object.entries(stamps)) expect(statSync(join(dir, 'points', p, 'summary.json')).mtimeMs).toBe(stamp);
  }, 180000);

  it('names the sweep entry and the point of a bad sweep, exit code 2, nothing written', () => {
    const cwd = workspace({ ...CONFIG, sweep: { grid: { 'regularizers[2].lambda': [1] } } });
    const bad = mmfuse(cwd, 'run', 'config.json');
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual([expect.stringMatching(/config\.json: sweep\.grid\["regularizers\[2\]\.lambda"\]: .*index 2 is outside regularizers, which has 1 entries/)]);
    expect(existsSync(join(cwd, 'runs'))).toBe(false);
    const badValue = mmfuse(cwd, 'run', 'config.json');
    expect(badValue.code).toBe(2);
    const cwd2 = workspace({ ...CONFIG, sweep: { points: [{ 'training.epochs': 2 }, { 'training.epochs': 0 }] } });
    const point = mmfuse(cwd2, 'run', 'config.json');
    expect(point.code).toBe(2);
    expect(point.stderr).toMatch(/sweep point 1 \(training\.epochs = 0\): training\.epochs/);
  }, 180000);
});
