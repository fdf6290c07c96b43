import { execFileSync } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { readCheckpoint } from '@mmfuse/runs';
import { mmfuse, rowsOf, runUntilSignalled } from './testing/cli-process';
import { SmallDisk } from './testing/small-disk';

// 2 set-ups × 2 trials × 6 epochs, a checkpoint after every epoch.
const CONFIG = {
  name: 'faults',
  seed: 5,
  backend: 'wasm',
  data: { type: 'synthetic-arm', episodes: 6, framesPerEpisode: 16, imageSize: 16, window: 4, windowStep: 2 },
  modalities: [
    { name: 'camera', encoder: { type: 'conv2d', channels: [4, 8] }, decoder: { type: 'conv2d-transpose' } },
    { name: 'joints', encoder: { type: 'mlp', units: [16], latentSize: 72 }, decoder: { type: 'mlp' } },
  ],
  fusions: [{ type: 'sum' }, { type: 'concat' }],
  training: { epochs: 6, batchSize: 8, trials: 2, workers: 1, checkpointEvery: 1 },
};

/** The epoch of a checkpoint's bytes (read through a scratch file). */
function readCheckpointBytes(bytes: Buffer): { epoch: number } {
  const file = join(mkdtempSync(join(tmpdir(), 'mmfuse-ckpt-')), 'copy.ckpt');
  writeFileSync(file, bytes);
  return readCheckpoint(file)!;
}

const snapshot = (dir: string) => new Map(readdirSync(dir).map((n) => [n, readFileSync(join(dir, n))]));

describe('a full disk', () => {
  const disk = new SmallDisk(4);
  const cwd = disk.dir;
  writeFileSync(join(cwd, 'config.json'), JSON.stringify(CONFIG));
  afterAll(() => disk.unmount());

  it('stops a resumed run with one line naming the file, keeps every checkpoint whole, and the run continues once space is freed', async () => {
    const reference = mmfuse(cwd, 'run', 'config.json', '--out', 'reference', '-q', '--no-report');
    expect(reference.code).toBe(0);
    const referenceRows = rowsOf(join(cwd, 'reference', readdirSync(join(cwd, 'reference'))[0]));

    const { runDir, signal } = await runUntilSignalled(cwd, 'part', 8);
    expect(signal).toBe('SIGKILL');
    const checkpoints = join(runDir, 'checkpoints');
    const before = snapshot(checkpoints);
    const checkpointBytes = Math.max(...[...before.values()].map((b) => b.length));
    // Room for the small files, not for one more checkpoint.
    disk.leave(Math.floor(checkpointBytes / 2));
    const full = mmfuse(cwd, 'run', '--resume', runDir, '-q', '--no-report');
    expect(full.code).toBe(2);
    expect(full.stderr).toMatch(/^error: \/\S+: no space left on the device; free space there \(or write elsewhere with --out\) and run again — an interrupted run continues with --resume \(ENOSPC\)\n$/);
    // Each checkpoint is the one from before or a newer complete one (its checksum holds); nothing half-written is left.
    for (const [name, bytes] of snapshot(checkpoints)) {
      expect(name).toMatch(/\.ckpt$/);
      if (before.has(name) && bytes.equals(before.get(name)!)) continue;
      expect(readCheckpoint(join(checkpoints, name))!.epoch).toBeGreaterThan(before.has(name) ? readCheckpointBytes(before.get(name)!).epoch : 0);
    }
    expect(existsSync(join(runDir, 'run.lock'))).toBe(false);

    disk.release();
    const resumed = mmfuse(cwd, 'run', '--resume', runDir, '-q', '--no-report');
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    const key = (r: { setup: string; trial: number; epoch: number }) => `${r.setup}/${r.trial}/${r.epoch}`;
    const expected = new Map(referenceRows.map((r) => [key(r), r.test.total]));
    const rows = rowsOf(runDir);
    expect(rows.map(key).sort()).toEqual(referenceRows.map(key).sort());
    expect(rows.map((r) => r.test.total)).toEqual(rows.map((r) => expected.get(key(r))));
  }, 180000);

  it('refuses a fresh run on a full disk with one line, leaving no lock', () => {
    disk.leave(0);
    const full = mmfuse(cwd, 'run', 'config.json', '--out', 'fresh', '-q', '--no-report');
    disk.release();
    expect(full.code).toBe(2);
    expect(full.stderr).toMatch(/^error: \/\S+: no space left on the device; .* \(ENOSPC\)\n$/);
    const runs = existsSync(join(cwd, 'fresh')) ? readdirSync(join(cwd, 'fresh')) : [];
    for (const run of runs) expect(existsSync(join(cwd, 'fresh', run, 'run.lock'))).toBe(false);
  });

  it('names a read-only output folder as the environment\'s fault, not a defect', () => {
    const out = join(cwd, 'read-only');
    mkdirSync(out);
    execFileSync('mount', ['-o', 'remount,ro', cwd]);
    try {
      const refused = mmfuse(cwd, 'run', 'config.json', '--out', join(out, 'runs'), '-q', '--no-report');
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/^error: \/\S+read-only\/runs\S*: the file system is read-only; write somewhere writable \(--out\) \(EROFS\)\n$/);
    } finally {
      execFileSync('mount', ['-o', 'remount,rw', cwd]);
    }
    expect(readdirSync(out)).toEqual([]);
  });
});
