import { spawnSync } from 'child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

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
