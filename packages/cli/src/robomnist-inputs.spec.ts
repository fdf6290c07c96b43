import { spawnSync } from 'child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { writeRoboMnistSample } from '@mmfuse/testing';

const BIN = join(__dirname, '..', 'bin', 'mmfuse.js');

/** Four recordings in the published layout (kinematics, CSI, audio; no video needed here). */
const pristine = mkdtempSync(join(tmpdir(), 'mmfuse-robomnist-inputs-'));
const recordings = writeRoboMnistSample(join(pristine, 'data'), { recordings: 4, frames: 40, incomplete: 0, cameras: 1, manifest: true });
const fileOf = (r: number, suffix: string) => join(recordings[r].folder, `${recordings[r].stem}_${suffix}`);

type Sniffer = { module_number: number; time_stamp_ns: number[]; complex_csi: string[][]; RSS: number[] };

/** A copy of the dataset with one file changed; returns the changed file's path. */
function broken(change: (data: string) => string): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mmfuse-robomnist-broken-'));
  cpSync(pristine, dir, { recursive: true });
  const file = change(join(dir, 'data'));
  writeFileSync(
    join(dir, 'run.json'),
    JSON.stringify({
      name: 'broken',
      backend: 'cpu',
      data: { type: 'robomnist', directory: 'data', modalities: ['kinematics', 'csi'], window: 8, windowStep: 8, cacheDirectory: 'cache' },
      modalities: [
        { name: 'kinematics', encoder: { type: 'mlp', units: [8], latentSize: 4 }, decoder: { type: 'mlp' } },
        { name: 'csi', encoder: { type: 'mlp', units: [8], latentSize: 4 }, decoder: { type: 'mlp' } },
      ],
      fusions: [{ type: 'concat' }],
      training: { epochs: 1, trials: 1 },
    }),
  );
  return { dir, file };
}

function editCsi(data: string, r: number, edit: (sniffers: Sniffer[]) => void): string {
  const file = join(data, fileOf(r, 'Rxall_csi.json'));
  const sniffers = JSON.parse(readFileSync(file, 'utf8')) as Sniffer[];
  edit(sniffers);
  writeFileSync(file, JSON.stringify(sniffers));
  return file;
}

const cases: Array<[string, (data: string) => string, RegExp]> = [
  ['CSI that ends a second before the kinematics', (data) => editCsi(data, 2, (s) => s.forEach((x) => ((x.time_stamp_ns = x.time_stamp_ns.slice(0, 30)), (x.complex_csi = x.complex_csi.slice(0, 30)), (x.RSS = x.RSS.slice(0, 30))))), /: sniffer module_number 1: CSI ends 1\.\d{3} s before the kinematics .*set data\.csiAlignment to "warn"/],
  ['CSI rows out of time order', (data) => editCsi(data, 1, (s) => ([s[0].time_stamp_ns[5], s[0].time_stamp_ns[6]] = [s[0].time_stamp_ns[6], s[0].time_stamp_ns[5]])), /: sniffer module_number 1: time_stamp_ns goes back at row 6/],
  ['CSI stamped in seconds', (data) => editCsi(data, 3, (s) => s.forEach((x) => (x.time_stamp_ns = x.time_stamp_ns.map((t) => t / 1e9)))), /: sniffer module_number 1: its rows .* do not overlap the kinematics .*: another clock or unit\?/],
  [
    "Python's NaN in the kinematics",
    (data) => {
      const file = join(data, fileOf(0, 'Rxall_pos.json'));
      writeFileSync(file, readFileSync(file, 'utf8').replace(/"joint_positions":\[\[[^,]+,/, '"joint_positions":[[NaN,'));
      return file;
    },
    / line 1, column \d+: NaN is not a JSON number \(Python's json module writes it for a non-finite value\); expected a finite number$/,
  ],
  [
    'a kinematics file cut short',
    (data) => {
      const file = join(data, fileOf(1, 'Rxall_pos.json'));
      const text = readFileSync(file, 'utf8');
      writeFileSync(file, text.slice(0, text.length / 2));
      return file;
    },
    / line 1: the file ends early \(truncated\?\)$/,
  ],
  [
    'a symbolic link out of the data folder',
    (data) => {
      const outside = join(data, '..', 'elsewhere.json');
      const file = join(data, fileOf(2, 'Rxall_csi.json'));
      cpSync(file, outside);
      rmSync(file);
      symlinkSync(outside, file);
      return file;
    },
    /: leads to .*elsewhere\.json, outside the data folder .*; copy the data in, or set data\.followLinksOutside: true to follow links out of it$/,
  ],
];

describe('bad RoboMNIST input', () => {
  it.each(cases)('%s: one line naming the file, exit code 2, no run folder', (_what, change, message) => {
    const { dir, file } = broken(change);
    const r = spawnSync(process.execPath, [BIN, 'run', join(dir, 'run.json'), '--out', join(dir, 'runs'), '--quiet'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0].startsWith('error: ')).toBe(true);
    expect(lines[0]).toContain(file.split('/').pop() as string);
    expect(lines[0]).toMatch(message);
    expect(existsSync(join(dir, 'runs'))).toBe(false);
    // Only complete entries of recordings that decoded are in the cache: none of the broken one.
    const cache = join(dir, 'cache');
    const entries = existsSync(cache) ? readdirSync(cache) : [];
    expect(entries.every((e) => existsSync(join(cache, e, 'entry.json')))).toBe(true);
    expect(entries.filter((e) => e.includes('.partial-'))).toEqual([]);
  });
});
