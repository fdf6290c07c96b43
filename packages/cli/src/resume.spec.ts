import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'fs';
import { hostname, tmpdir } from 'os';
import { join } from 'path';
import { MetricsRow as Row, mmfuse, rowsOf, runUntilSignalled } from './testing/cli-process';

// Long enough that a kill lands mid-trial: 2 set-ups × 2 trials × 8 epochs.
const CONFIG = {
  name: 'resume',
  seed: 11,
  backend: 'wasm',
  data: { type: 'synthetic-arm', episodes: 8, framesPerEpisode: 24, imageSize: 24, window: 4, windowStep: 1 },
  modalities: [
    { name: 'camera', encoder: { type: 'conv2d', channels: [6, 8] }, decoder: { type: 'conv2d-transpose' } },
    { name: 'joints', encoder: { type: 'mlp', units: [16], latentSize: 200 }, decoder: { type: 'mlp' } },
  ],
  fusions: [{ type: 'sum' }, { type: 'concat' }],
  training: { epochs: 8, batchSize: 8, trials: 2, workers: 1, checkpointEvery: 1 },
};

describe('mmfuse run --resume after SIGKILL', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'mmfuse-resume-'));
  writeFileSync(join(cwd, 'config.json'), JSON.stringify(CONFIG));
  let reference: Row[];

  beforeAll(() => {
    const full = mmfuse(cwd, 'run', 'config.json', '--out', 'full', '-q');
    expect(full.code).toBe(0);
    reference = rowsOf(join(cwd, 'full', readdirSync(join(cwd, 'full'))[0]));
    expect(reference).toHaveLength(2 * 2 * 8);
  }, 120000);

  // Killed in the first trial, in the middle of the second (sum's trial 0 done: 8 rows), and in the third.
  it.each([3, 11, 21])('continues a run killed after %i rows to exactly the metrics of an uninterrupted one, each row once, finished trials never redone', async (killAt) => {
    const { runDir, signal } = await runUntilSignalled(cwd, `part-${killAt}`, killAt);
    expect(signal).toBe('SIGKILL');
    expect(existsSync(join(runDir, 'summary.json'))).toBe(false);
    const finished = join(runDir, 'trials', 'sum.trial0.json');
    const finishedAt = existsSync(finished) ? statSync(finished).mtimeMs : undefined;
    if (killAt > 8) expect(finishedAt).toBeDefined();

    const resumed = mmfuse(cwd, 'run', '--resume', runDir, '-q');
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    if (finishedAt !== undefined) expect(statSync(finished).mtimeMs).toBe(finishedAt);

    const rows = rowsOf(runDir);
    const key = (r: Row) => `${r.setup}/${r.trial}/${r.epoch}`;
    expect(rows.map(key).sort()).toEqual(reference.map(key).sort());
    // Bit-identical: weights, Adam's moments and its running βᵗ, and the generators all continue exactly.
    const expected = new Map(reference.map((r) => [key(r), [r.train.total, r.test.total]]));
    expect(rows.map((r) => [key(r), r.train.total, r.test.total])).toEqual(rows.map((r) => [key(r), ...expected.get(key(r))!]));
    const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8'));
    expect(summary.setups.concat.final.test.total.values).toHaveLength(2);
    expect(existsSync(join(runDir, 'run.lock'))).toBe(false);
  }, 180000);

  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('stops on %s with exit code %i, the resume command and no lock, and the resumed run is exact', async (signal, code) => {
    const stopped = await runUntilSignalled(cwd, `stopped-${signal}`, 5, signal);
    expect({ code: stopped.code, signal: stopped.signal }).toEqual({ code, signal: null });
    expect(stopped.stderr).toBe(`\n${signal}: stopped; every file written so far is complete; continue with: mmfuse run --resume ${stopped.runDir}\n`);
    expect(existsSync(join(stopped.runDir, 'run.lock'))).toBe(false);
    expect(readdirSync(stopped.runDir, { recursive: true }).filter((n) => String(n).endsWith('.tmp'))).toEqual([]);
    const resumed = mmfuse(cwd, 'run', '--resume', stopped.runDir, '-q', '--no-report');
    expect({ code: resumed.code, stderr: resumed.stderr }).toEqual({ code: 0, stderr: '' });
    const key = (r: Row) => `${r.setup}/${r.trial}/${r.epoch}`;
    const expected = new Map(reference.map((r) => [key(r), r.test.total]));
    const rows = rowsOf(stopped.runDir);
    expect(rows.map(key).sort()).toEqual(reference.map(key).sort());
    expect(rows.map((r) => r.test.total)).toEqual(rows.map((r) => expected.get(key(r))));
  }, 120000);

  it('refuses a second writer, and takes over a lock left by a dead process', () => {
    const runDir = join(cwd, 'full', readdirSync(join(cwd, 'full'))[0]);
    // Held by a live process on this host (the test runner itself).
    writeFileSync(join(runDir, 'run.lock'), JSON.stringify({ pid: process.pid, host: hostname(), since: 'now' }));
    const refused = mmfuse(cwd, 'run', '--resume', runDir, '-q');
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim()).toBe(`error: ${runDir}: the run is being written by process ${process.pid} (since now); wait for it to finish or stop it first`);
    // Left by a process that is gone: taken over; every trial is already done, so nothing is redone.
    writeFileSync(join(runDir, 'run.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), since: 'then' }));
    const taken = mmfuse(cwd, 'run', '--resume', runDir, '-q');
    expect(taken.code).toBe(0);
    expect(rowsOf(runDir)).toHaveLength(2 * 2 * 8);
    expect(existsSync(join(runDir, 'run.lock'))).toBe(false);
  }, 60000);

  it('loads exactly the plugins config.json lists: a plugin only run.json names never runs, and a listed one is announced', () => {
    const runDir = join(cwd, 'full', readdirSync(join(cwd, 'full'))[0]);
    const copy = join(cwd, 'handed-over');
    cpSync(runDir, copy, { recursive: true });
    rmSync(join(copy, 'trials', 'sum.trial1.json'));
    // A plugin whose loading leaves a mark: were it imported, the mark would exist.
    const pluginDir = join(cwd, 'stranger-plugin');
    const marker = join(cwd, 'stranger-ran');
    mkdirSync(pluginDir);
    writeFileSync(join(pluginDir, 'package.json'), JSON.stringify({ name: 'stranger', version: '6.6.6', mmfuse: { module: './module.js' } }));
    writeFileSync(join(pluginDir, 'module.js'), `require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran');\nmodule.exports = { default: new (require(${JSON.stringify(require.resolve('inversify'))}).ContainerModule)(() => undefined) };\n`);
    const runJson = JSON.parse(readFileSync(join(copy, 'run.json'), 'utf8'));
    writeFileSync(join(copy, 'run.json'), JSON.stringify({ ...runJson, plugins: [...runJson.plugins, { name: 'stranger', version: '6.6.6', directory: pluginDir }] }));
    const resumed = mmfuse(cwd, 'run', '--resume', copy, '-q', '--no-report');
    expect({ code: resumed.code, stderr: resumed.stderr }).toEqual({ code: 0, stderr: '' });
    expect(existsSync(marker)).toBe(false);

    // Listed in the config, it runs, and both validate and run say so first.
    writeFileSync(join(cwd, 'with-plugin.json'), JSON.stringify({ ...CONFIG, plugins: ['./stranger-plugin'], training: { ...CONFIG.training, epochs: 1, trials: 1 } }));
    const validated = mmfuse(cwd, 'validate', 'with-plugin.json');
    expect(validated.code).toBe(0);
    expect(validated.stderr).toBe(`plugin: stranger 6.6.6 from ${pluginDir} (listed in the config; plugins are code and run with your rights)\n`);
    expect(readFileSync(marker, 'utf8')).toBe('ran');
  }, 60000);

  it('says what is wrong with a folder that is not a run, and with a damaged checkpoint', () => {
    const notRun = mmfuse(cwd, 'run', '--resume', cwd, '-q');
    expect(notRun.code).toBe(2);
    expect(notRun.stderr.trim()).toBe(`error: ${cwd}: not a run folder (no run.json); give the folder a run wrote, e.g. runs/<name>-<timestamp>`);

    const runDir = join(cwd, 'full', readdirSync(join(cwd, 'full'))[0]);
    const copy = join(cwd, 'damaged');
    cpSync(runDir, copy, { recursive: true });
    rmSync(join(copy, 'trials', 'concat.trial1.json'));
    // The right magic, a header said to be 1,000 bytes long, and then the file ends.
    writeFileSync(join(copy, 'checkpoints', 'concat.trial1.ckpt'), Buffer.concat([Buffer.from('MMFCKPT1', 'latin1'), Buffer.from([0xe8, 0x03, 0, 0]), Buffer.from('{"epoch"')]));
    const damaged = mmfuse(cwd, 'run', '--resume', copy, '-q');
    expect(damaged.code).toBe(2);
    expect(damaged.stderr.trim()).toMatch(/concat\.trial1\.ckpt: damaged checkpoint \(truncated header\); delete it to restart this trial from the beginning$/);
    expect(damaged.stderr).not.toMatch(/\s+at .*\.js:\d+/);

    // A finished trial's outcome cut short: named, with what to do.
    const truncated = join(cwd, 'truncated-outcome');
    cpSync(runDir, truncated, { recursive: true });
    const outcome = join(truncated, 'trials', 'sum.trial0.json');
    writeFileSync(outcome, readFileSync(outcome, 'utf8').slice(0, 40));
    const cut = mmfuse(cwd, 'run', '--resume', truncated, '-q');
    expect(cut.code).toBe(2);
    expect(cut.stderr).toMatch(new RegExp(`^error: ${outcome.replace(/[.*+?^$\{\}()|[\]\\/]/g, '\\$&')}: damaged \\(.+\\); delete it to train this trial again \\(from its checkpoint, when there is one\\)\n$`));
  }, 60000);
});
