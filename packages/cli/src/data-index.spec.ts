import { spawnSync } from 'child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { locateFfmpeg } from '@mmfuse/data-robomnist';
import { writeRoboMnistSample } from '@mmfuse/testing';

const BIN = join(__dirname, '..', 'bin', 'mmfuse.js');

function mmfuse(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const SUFFIXES = ['Rxall_pos.json', 'Rxall_csi.json', 'Rx1_cam.mp4', 'Rx1_mic.wav', 'Rx2_cam.mp4', 'Rx2_mic.wav', 'Rx3_cam.mp4', 'Rx3_mic.wav'];

/**
 * 36 recordings in the published layout (names only): digits 0–2 × arms 1–2 × speeds high, med,
 * low × repetitions 1–2, in condition folders; two of them lack a file, and two stray files do not
 * follow the naming.
 */
function publishedLayout(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mmfuse-data-index-'));
  let condition = 0;
  for (const digit of [0, 1, 2]) {
    for (const arm of [1, 2]) {
      for (const speed of ['high', 'med', 'low']) {
        const folder = `${String(condition++).padStart(2, '0')}_Ar${arm}_V${speed}_Ac${digit}`;
        mkdirSync(join(dir, folder));
        for (const rep of [1, 2]) {
          const stem = `Rp${String(rep).padStart(2, '0')}_Ac${digit}_V${speed}_Ar${arm}_UNC${100 + rep}`;
          const lacking = (digit === 1 && arm === 2 && speed === 'med' && rep === 2) || (digit === 2 && arm === 1 && speed === 'low' && rep === 1) ? 'Rx3_mic.wav' : '';
          for (const suffix of SUFFIXES) if (suffix !== lacking) writeFileSync(join(dir, folder, `${stem}_${suffix}`), '');
        }
      }
    }
  }
  writeFileSync(join(dir, '00_Ar1_Vhigh_Ac0', 'Rp03_Ac0_Vfast_Ar1_UNC100_Rx1_cam.mp4'), '');
  writeFileSync(join(dir, '00_Ar1_Vhigh_Ac0', 'Rp03_Ac0_Vhigh_Ar1_UNC100_Rx1_pos.json'), '');
  return dir;
}

describe('mmfuse data index', () => {
  const dir = publishedLayout();

  it('counts the recordings per digit, arm and speed, and lists the incomplete ones and the files it skips', () => {
    const result = mmfuse('data', 'index', dir);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe(`${dir}: 34 complete recording(s), 2 incomplete, 2 file(s) skipped`);
    expect(result.stdout).toContain('  Rp02_Ac1_Vmed_Ar2_UNC102: no mic3');
    expect(result.stdout).toContain('  Rp01_Ac2_Vlow_Ar1_UNC101: no mic3');
    expect(result.stdout).toContain(`  ${join('00_Ar1_Vhigh_Ac0', 'Rp03_Ac0_Vfast_Ar1_UNC100_Rx1_cam.mp4')}: speed "Vfast" is not one of Vhigh, Vmed, Vmedium, Vlow`);
    expect(result.stdout).toContain(`  ${join('00_Ar1_Vhigh_Ac0', 'Rp03_Ac0_Vhigh_Ar1_UNC100_Rx1_pos.json')}: a pos file covers all receivers (Rxall), not Rx1`);
  });

  it('gives the same index as JSON', () => {
    const result = mmfuse('data', 'index', dir, '--json');
    expect(result.code).toBe(0);
    const index = JSON.parse(result.stdout) as { complete: number; incomplete: number; recordings: Array<{ digit: number; arm: number; speed: string; complete: boolean }>; skipped: unknown[] };
    expect([index.complete, index.incomplete, index.recordings.length, index.skipped.length]).toEqual([34, 2, 36, 2]);
    // Six recordings per digit and speed (two arms × two repetitions … less the incomplete ones), medium included.
    const cell = (digit: number, speed: string) => index.recordings.filter((r) => r.digit === digit && r.speed === speed && r.complete).length;
    expect([cell(0, 'high'), cell(0, 'medium'), cell(1, 'medium'), cell(2, 'low')]).toEqual([4, 4, 3, 3]);
  });

  it('names a folder that is not there, exit code 2', () => {
    expect(mmfuse('data', 'index', join(dir, 'nope'))).toEqual({ code: 2, stdout: '', stderr: `error: data.directory: ${join(dir, 'nope')} is not a folder\n` });
  });
});

describe('a generated RoboMNIST download (32 recordings, H.264 video, manifest.csv, two incomplete)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mmfuse-robomnist-download-'));
  // Debian's ffmpeg encodes the clips as published (H.264, 2560×720).
  const written = writeRoboMnistSample(join(dir, 'robomnist'), { recordings: 32, frames: 40, incomplete: 2, ffmpeg: locateFfmpeg('ffmpeg'), cameras: 3, manifest: true });
  const complete = written.filter((r) => r.complete);

  it('is counted by `mmfuse data index` as written: per digit, arm and speed, Vmed included', () => {
    const result = mmfuse('data', 'index', join(dir, 'robomnist'), '--json');
    expect(result.code).toBe(0);
    const index = JSON.parse(result.stdout) as { complete: number; incomplete: number; recordings: Array<{ stem: string; digit: number; arm: number; speed: string; complete: boolean }>; skipped: unknown[] };
    expect([index.complete, index.incomplete, index.skipped.length]).toEqual([30, 2, 0]);
    const cells = (list: Array<{ digit: number; arm: number; speed: string }>) => {
      const counts: Record<string, number> = {};
      for (const r of list) counts[`${r.digit} ${r.arm} ${r.speed}`] = (counts[`${r.digit} ${r.arm} ${r.speed}`] ?? 0) + 1;
      return counts;
    };
    expect(cells(index.recordings.filter((r) => r.complete))).toEqual(cells(complete));
    expect(complete.some((r) => r.speed === 'medium')).toBe(true);
    expect(index.recordings.filter((r) => !r.complete).map((r) => r.stem).sort()).toEqual(written.filter((r) => !r.complete).map((r) => r.stem).sort());
  });

  // Kinematics and CSI: the clips' decoding is tested in the data package; here every recording counts.
  it('trains on every complete recording', () => {
    const config = {
      name: 'robomnist-download',
      seed: 1,
      backend: 'cpu',
      data: { type: 'robomnist', directory: 'robomnist', modalities: ['kinematics', 'csi'], window: 16, windowStep: 12, cacheDirectory: 'cache' },
      modalities: [
        { name: 'kinematics', encoder: { type: 'mlp', units: [16], latentSize: 8 }, decoder: { type: 'mlp' } },
        { name: 'csi', encoder: { type: 'mlp', units: [16], latentSize: 8 }, decoder: { type: 'mlp' } },
      ],
      fusions: [{ type: 'concat' }],
      training: { epochs: 1, batchSize: 16, trials: 1 },
    };
    writeFileSync(join(dir, 'run.json'), JSON.stringify(config));
    const result = mmfuse('run', join(dir, 'run.json'), '--out', join(dir, 'runs'), '--quiet', '--no-report');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const [folder] = readdirSync(join(dir, 'runs'));
    const record = JSON.parse(readFileSync(join(dir, 'runs', folder, 'run.json'), 'utf8')) as { data: { train: number; test: number; description: { labels: Array<{ stem: string }>; incompleteTrials: string[]; decoding: { decoded: number } } } };
    const d = record.data.description;
    expect(d.labels.map((l) => l.stem).sort()).toEqual(complete.map((r) => r.stem).sort());
    expect(d.incompleteTrials.sort()).toEqual(written.filter((r) => !r.complete).map((r) => r.stem).sort());
    expect(d.decoding.decoded).toBe(30);
    // 40 frames, windows of 16 every 12: 3 per recording.
    expect(record.data.train + record.data.test).toBe(30 * 3);
  });
});
