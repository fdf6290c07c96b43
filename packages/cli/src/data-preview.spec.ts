import { spawnSync } from 'child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { PNG } from 'pngjs';
import { FAILURES } from '@mmfuse/failures';

const BIN = join(__dirname, '..', 'bin', 'mmfuse.js');

const CONFIG = {
  name: 'arm',
  seed: 5,
  data: { type: 'synthetic-arm', episodes: 4, framesPerEpisode: 12, imageSize: 16, window: 4, windowStep: 2 },
  modalities: [
    { name: 'camera', encoder: { type: 'conv2d', channels: [4, 4] }, decoder: { type: 'conv2d-transpose' } },
    { name: 'joints', encoder: { type: 'mlp', units: [8], latentSize: 36 }, decoder: { type: 'mlp' } },
  ],
  fusions: [{ type: 'sum' }],
  training: { epochs: 1, batchSize: 8, trials: 1 },
};

/** A fresh folder holding `arm.json`, used as the working directory. */
function workspace(): string {
  const folder = mkdtempSync(join(tmpdir(), 'mmfuse-preview-'));
  writeFileSync(join(folder, 'arm.json'), JSON.stringify(CONFIG));
  return folder;
}

function mmfuse(cwd: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd, env: { ...process.env, MMFUSE_DEBUG: '' } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const REPORT = /^(\S+): (\d+)×(\d+) px, (\d+) rows: (.*)\n$/;

describe('mmfuse data preview', () => {
  it('writes <config>-preview.png with the rows it reports, at the size it reports', () => {
    const folder = workspace();
    const { code, stdout, stderr } = mmfuse(folder, 'data', 'preview', 'arm.json', '--samples', '3', '--failures', 'pixel-constant,time-warp', '--severity', '1');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const [, file, width, height, rowCount, rows] = REPORT.exec(stdout)!;
    expect(file).toBe('arm-preview.png');
    expect(rows.split('; ')).toEqual(['clean', 'failure: pixel-constant (severity 1)', 'failure: time-warp (severity 1)']);
    expect(Number(rowCount)).toBe(3);
    const png = PNG.sync.read(readFileSync(join(folder, file)));
    expect([png.width, png.height]).toEqual([Number(width), Number(height)]);
    expect(readdirSync(folder).sort()).toEqual(['arm-preview.png', 'arm.json']);
  }, 30000);

  it('shows every library failure by default, none with --no-failures, and the same pixels for the same config', () => {
    const folder = workspace();
    const all = mmfuse(folder, 'data', 'preview', 'arm.json', '-o', 'all.png');
    expect(all.code).toBe(0);
    expect(REPORT.exec(all.stdout)![4]).toBe(String(1 + FAILURES.length));
    mmfuse(folder, 'data', 'preview', 'arm.json', '--out', 'again.png');
    expect(readFileSync(join(folder, 'again.png')).equals(readFileSync(join(folder, 'all.png')))).toBe(true);
    const clean = mmfuse(folder, 'data', 'preview', 'arm.json', '--no-failures', '--split', 'train', '-o', 'clean.png');
    expect(clean.code).toBe(0);
    expect(REPORT.exec(clean.stdout)![5]).toBe('clean');
  }, 30000);

  it('refuses bad input with one line naming the problem, exit code 2 and no PNG', () => {
    const folder = workspace();
    const refusals: Array<[string[], RegExp]> = [
      [['--failures', 'gausian-blur'], /^error: failures: unknown failure type "gausian-blur"\. Did you mean "gaussian-blur"\?/],
      [['--severity', '1.5'], /^error: severity: expected a number from 0 to 1, got 1\.5$/],
      [['--severity', 'strong'], /^error: option '--severity <s>' argument 'strong' is invalid\. expected a number, got "strong"$/],
      [['--split', 'validation'], /^error: option '--split <split>' argument 'validation' is invalid\. Allowed choices are train, test\.$/],
    ];
    for (const [options, message] of refusals) {
      const { code, stdout, stderr } = mmfuse(folder, 'data', 'preview', 'arm.json', ...options);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(stderr.trimEnd()).toMatch(message);
    }
    const missing = mmfuse(folder, 'data', 'preview', 'nope.json');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('error: nope.json: cannot read the config (ENOENT)\n');
    const unwritable = mmfuse(folder, 'data', 'preview', 'arm.json', '--no-failures', '-o', join('no-such-folder', 'x.png'));
    expect(unwritable.code).toBe(2);
    expect(unwritable.stderr).toMatch(/^error: no-such-folder\/x\.png: cannot write the preview \(ENOENT\)\n$/);
    expect(readdirSync(folder)).toEqual(['arm.json']);
  }, 30000);
});
