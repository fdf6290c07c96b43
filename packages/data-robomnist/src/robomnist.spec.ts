import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { UserInputError } from '@mmfuse/core';
import { channelStatistics } from '@mmfuse/data';
import { CSI_UNUSED_SUBCARRIERS, CSI_USED_SUBCARRIERS, parseComplex, readCsi } from './robomnist-csi';
import { readKinematics } from './robomnist-kinematics';
import { indexRoboMnist } from './robomnist-index';
import { parseFileName, parseStem } from './robomnist-names';
import { RoboMnistOptions } from './robomnist-options';
import { RoboMnistSource } from './robomnist-source';

// A real file of the published dataset, kept beside the tests (see fixtures/README.md).
const REAL = join(__dirname, 'fixtures', 'Rp01_Ac6_Vhigh_Ar1_UNC187_Rxall_pos.json');

/** Kinematics of two robots over `frames` frames at 30 Hz; values encode (robot, frame, channel). */
function kinematics(frames: number, offset = 0): unknown {
  return [1, 2].map((robot) => ({
    robot_number: robot,
    time_stamp_ns: Array.from({ length: frames }, (_, f) => Math.round((f * 1e9) / 30)),
    joint_positions: Array.from({ length: frames }, (_, f) => Array.from({ length: 7 }, (_, j) => offset + robot * 100 + f + j / 10)),
    EE_positions: Array.from({ length: frames }, (_, f) => [robot, f / 100, offset]),
  }));
}

/** CSI of two sniffers at ~47 Hz (not the kinematics rate); amplitude of used subcarrier u in row r is r + u/1000 (+module·1000). */
function csi(rows: number): unknown {
  return [1, 2].map((module) => ({
    module_number: module,
    time_stamp_ns: Array.from({ length: rows }, (_, r) => Math.round((r * 1e9) / 47)),
    complex_csi: Array.from({ length: rows }, (_, r) => {
      let u = 0;
      return Array.from({ length: 256 }, (_, k) => {
        if (CSI_UNUSED_SUBCARRIERS.includes(k)) return '0j';
        const amplitude = module * 1000 + r + u++ / 1000;
        // Alternate the syntaxes Python's complex() writes.
        return k % 2 ? `(${amplitude * 0.6}+${amplitude * 0.8}j)` : `${amplitude * 0.6}-${amplitude * 0.8}j`;
      });
    }),
    RSS: Array.from({ length: rows }, () => -40),
  }));
}

function writeRepetitions(dir: string, stems: string[], frames = 40): void {
  stems.forEach((stem, i) => {
    writeFileSync(join(dir, `${stem}_Rxall_pos.json`), JSON.stringify(kinematics(frames, i)));
    writeFileSync(join(dir, `${stem}_Rxall_csi.json`), JSON.stringify(csi(Math.ceil((frames * 47) / 30) + 2)));
  });
  writeFileSync(join(dir, 'README.txt'), 'not a data file');
}

const options = (directory: string, extra: Partial<RoboMnistOptions> = {}): RoboMnistOptions => ({
  directory,
  modalities: ['kinematics', 'csi'],
  digits: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  speeds: ['high', 'medium', 'low'],
  arms: [1, 2],
  robots: [1, 2],
  sniffers: [1, 2],
  window: 8,
  windowStep: 4,
  testFraction: 0.25,
  ...extra,
});

describe('RoboMNIST file names', () => {
  it('carry the labels', () => {
    expect(parseStem('Rp01_Ac6_Vhigh_Ar1_UNC187')).toEqual({ stem: 'Rp01_Ac6_Vhigh_Ar1_UNC187', repetition: 1, digit: 6, speed: 'high', arm: 1, uncertainty: 1.87 });
    expect(parseFileName('Rp12_Ac0_Vlow_Ar2_UNC050_Rx3_cam.mp4')).toMatchObject({ repetition: 12, digit: 0, speed: 'low', arm: 2, receiver: 3, kind: 'cam' });
    expect(parseFileName('Rp01_Ac6_Vhigh_Ar1_UNC187_Rxall_csi.json')).toMatchObject({ receiver: 'all', kind: 'csi' });
    expect(parseFileName('Rp01_Ac6_Vhigh_Ar1_UNC187_Rx1_mic.json')).toBeUndefined();
    expect(parseFileName('notes.txt')).toBeUndefined();
    expect(() => parseStem('Rp01_Ac6_Vfast_Ar1_UNC187')).toThrow(UserInputError);
  });
});

describe('CSI', () => {
  it('parses Python complex() text', () => {
    expect(parseComplex('(12+3j)')).toEqual([12, 3]);
    expect(parseComplex('-4-7j')).toEqual([-4, -7]);
    expect(parseComplex('3j')).toEqual([0, 3]);
    expect(parseComplex('(1e-3-2.5e+1j)')).toEqual([0.001, -25]);
    expect(parseComplex('5')).toEqual([5, 0]);
    expect(parseComplex('(1+j)')).toEqual([1, 1]);
    // Python's complex() takes an upper-case J too.
    expect(parseComplex('(1+2J)')).toEqual([1, 2]);
    expect(parseComplex('-3J')).toEqual([0, -3]);
    expect(parseComplex('twelve')).toBeUndefined();
  });

  it('keeps the amplitudes of the 232 used subcarriers', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mmfuse-csi-'));
    const file = join(dir, 'x_csi.json');
    writeFileSync(file, JSON.stringify(csi(3)));
    const [first, second] = readCsi(file);
    expect(CSI_USED_SUBCARRIERS).toBe(232);
    expect(first.amplitudes.length).toBe(3 * 232);
    expect(first.amplitudes[232 + 5]).toBeCloseTo(1000 + 1 + 5 / 1000, 3);
    expect(second.amplitudes[0]).toBeCloseTo(2000, 3);
  });

  it('names the file, sniffer, row and subcarrier of a bad value or length', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mmfuse-csi-'));
    const data = csi(2) as Array<{ complex_csi: string[][]; RSS: number[] }>;
    data[1].complex_csi[1][7] = 'NaN+1j';
    const file = join(dir, 'bad_csi.json');
    writeFileSync(file, JSON.stringify(data));
    expect(() => readCsi(file)).toThrow(`${file}: [1].complex_csi[1][7]: expected a complex number like "(12+3j)", got "NaN+1j"`);
    data[1].complex_csi[1][7] = '1j';
    data[0].RSS.pop();
    writeFileSync(file, JSON.stringify(data));
    expect(() => readCsi(file)).toThrow(`${file}: [0]: 2 timestamps, 2 CSI rows and 1 RSS values; they must match`);
  });
});

describe('kinematics', () => {
  it('reads the real repetition shipped with the project (two robots, 450 frames at 30 Hz)', () => {
    if (!existsSync(REAL)) throw new Error(`the project's sample file is missing: ${REAL}`);
    const robots = readKinematics(REAL);
    expect(robots.map((r) => r.robot)).toEqual([1, 2]);
    expect(robots[0].timestampsNs.length).toBe(450);
    expect(robots[0].joints.length).toBe(450 * 7);
    const seconds = (robots[0].timestampsNs[449] - robots[0].timestampsNs[0]) / 1e9;
    expect(seconds).toBeGreaterThan(14);
    expect(seconds).toBeLessThan(16);
  });

  it('names the file and the index of a truncated file, a missing field, a NaN or a short row', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mmfuse-pos-'));
    const file = join(dir, 'x_pos.json');
    const good = JSON.stringify(kinematics(3));
    writeFileSync(file, good.slice(0, good.length / 2));
    expect(() => readKinematics(file)).toThrow(`${file} line 1: the file ends early (truncated?)`);
    // Python's json module writes NaN for a missing value: named, with where it is.
    writeFileSync(file, `[{"robot_number": 1,\n  "time_stamp_ns": [0, NaN]}]`);
    expect(() => readKinematics(file)).toThrow(`${file} line 2, column 24: NaN is not a JSON number (Python's json module writes it for a non-finite value); expected a finite number`);
    writeFileSync(file, '[{"robot_number": 1 "x": 2}]');
    expect(() => readKinematics(file)).toThrow(`${file} line 1, column 21: comma expected, found '"x": 2}]'`);
    const data = kinematics(3) as Array<Record<string, unknown>>;
    delete data[1].EE_positions;
    writeFileSync(file, JSON.stringify(data));
    expect(() => readKinematics(file)).toThrow(`${file}: [1]: missing "EE_positions"`);
    const nan = kinematics(3) as Array<{ joint_positions: Array<Array<number | null>> }>;
    nan[0].joint_positions[2][4] = null;
    writeFileSync(file, JSON.stringify(nan));
    expect(() => readKinematics(file)).toThrow(`${file}: [0].joint_positions[2][4]: expected a finite number, got null`);
    const short = kinematics(3) as Array<{ joint_positions: number[][] }>;
    short[1].joint_positions.pop();
    writeFileSync(file, JSON.stringify(short));
    expect(() => readKinematics(file)).toThrow(`${file}: [1].joint_positions: 2 rows, but time_stamp_ns has 3`);
    expect(() => readKinematics(join(dir, 'missing_pos.json'))).toThrow(`${join(dir, 'missing_pos.json')}: missing`);
  });
});

describe('the robomnist data source', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mmfuse-robomnist-'));
  const stems = ['Rp01_Ac6_Vhigh_Ar1_UNC187', 'Rp02_Ac6_Vhigh_Ar1_UNC150', 'Rp01_Ac3_Vlow_Ar2_UNC100', 'Rp02_Ac3_Vlow_Ar2_UNC120'];
  writeRepetitions(dir, stems);

  it('splits by repetition and aligns CSI to the kinematics frames by timestamp', async () => {
    const source = new RoboMnistSource(options(dir), 5, '/');
    const data = await source.load();
    const perRepetition = Math.floor((40 - 8) / 4) + 1;
    expect(data.train.size).toBe(3 * perRepetition);
    expect(data.test.size).toBe(perRepetition);
    expect(data.modalities).toEqual([
      { name: 'kinematics', kind: 'series', shape: [8, 20] },
      { name: 'csi', kind: 'series', shape: [8, 464] },
    ]);
    const d = data.description as { trainRepetitions: string[]; testRepetitions: string[]; standardisation: Record<string, { mean: number[]; std: number[] }> };
    expect([...d.trainRepetitions, ...d.testRepetitions].sort()).toEqual([...stems].sort());
    // Undo the standardisation of the CSI of the first training window: frame f of the window
    // must hold the CSI row recorded at or just before that frame's time.
    const { mean, std } = d.standardisation.csi;
    const csiValues = data.train.arrays.csi as Float32Array;
    const firstRowAmplitude = csiValues[0] * std[0] + mean[0];
    expect(firstRowAmplitude).toBeCloseTo(1000, 2);
    const frame5 = csiValues[5 * 464] * std[0] + mean[0];
    expect(frame5).toBeCloseTo(1000 + Math.floor(((5 / 30) * 47) + 1e-9), 2);
    const stats = channelStatistics(data.train.arrays.kinematics as Float32Array, 20);
    stats.mean.forEach((m) => expect(Math.abs(m)).toBeLessThan(1e-3));
  });

  it('stops on CSI that ends well before the kinematics, or trains on it with a stated warning when asked to', async () => {
    const short = mkdtempSync(join(tmpdir(), 'mmfuse-robomnist-'));
    writeRepetitions(short, stems.slice(0, 2));
    const file = join(short, `${stems[1]}_Rxall_csi.json`);
    // 30 rows at 47 Hz end 0.62 s into the 1.3 s of kinematics.
    writeFileSync(file, JSON.stringify(csi(30)));
    const message = `${file}: sniffer module_number 1: CSI ends 0.683 s before the kinematics (more than data.csiMaxGapSeconds, 0.5 s)`;
    await expect(new RoboMnistSource(options(short), 5, '/').load()).rejects.toThrow(`${message}; set data.csiAlignment to "warn" to train on it anyway`);
    const warned = await new RoboMnistSource(options(short, { csiAlignment: 'warn' }), 5, '/').load();
    expect(warned.warnings).toEqual([`${message}; the frames after it hold its last row`, `${message.replace('module_number 1', 'module_number 2')}; the frames after it hold its last row`]);
    expect((await new RoboMnistSource(options(short, { csiMaxGapSeconds: 1 }), 5, '/').load()).warnings).toBeUndefined();
  });

  it('filters repetitions by the labels in their names', async () => {
    const source = new RoboMnistSource(options(dir, { digits: [3], modalities: ['kinematics'] }), 5, '/');
    const d = (await source.load()).description as { labels: Array<{ digit: number }> };
    expect(d.labels.map((l) => l.digit)).toEqual([3, 3]);
  });

  it('says what is missing', async () => {
    const lonely = mkdtempSync(join(tmpdir(), 'mmfuse-robomnist-'));
    writeRepetitions(lonely, ['Rp01_Ac6_Vhigh_Ar1_UNC187']);
    await expect(new RoboMnistSource(options(lonely), 1, '/').load()).rejects.toThrow('holds 1 usable repetition(s) for these filters; at least 2 are needed');
    const partial = mkdtempSync(join(tmpdir(), 'mmfuse-robomnist-'));
    writeRepetitions(partial, stems.slice(0, 2));
    mkdirSync(join(partial, 'sub'));
    writeFileSync(join(partial, 'Rp03_Ac1_Vmedium_Ar1_UNC100_Rxall_pos.json'), JSON.stringify(kinematics(40)));
    await expect(new RoboMnistSource(options(partial), 1, '/').load()).rejects.toThrow(/Rp03_Ac1_Vmedium_Ar1_UNC100_Rxall_csi\.json: missing/);
    await expect(new RoboMnistSource(options(dir, { sniffers: [1, 3] }), 1, '/').load()).rejects.toThrow(/no module_number 3 \(it has 1, 2\); check data\.sniffers/);
    await expect(new RoboMnistSource(options(join(dir, 'nope')), 1, '/').load()).rejects.toThrow(/is not a folder/);
  });
});

describe('a RoboMNIST folder in the published layout', () => {
  /** Empty files with the published names: the index reads names only. */
  const touch = (dir: string, files: string[]) => files.forEach((f) => (mkdirSync(join(dir, f, '..'), { recursive: true }), writeFileSync(join(dir, f), '')));
  const recording = (folder: string, stem: string, skip: string[] = []) =>
    ['Rxall_pos.json', 'Rxall_csi.json', 'Rx1_cam.mp4', 'Rx1_mic.wav', 'Rx2_cam.mp4', 'Rx2_mic.wav', 'Rx3_cam.mp4', 'Rx3_mic.wav']
      .filter((suffix) => !skip.includes(suffix))
      .map((suffix) => `${folder}/${stem}_${suffix}`);

  it('finds recordings in condition folders, reads Vmed as medium, and names every file it does not use', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mmfuse-robomnist-layout-'));
    touch(dir, [
      ...recording('00_Ar1_Vhigh_Ac0', 'Rp01_Ac0_Vhigh_Ar1_UNC062'),
      ...recording('25_Ar1_Vmed_Ac2', 'Rp21_Ac2_Vmed_Ar1_UNC292'),
      ...recording('25_Ar1_Vmed_Ac2', 'Rp22_Ac2_Vmed_Ar1_UNC100', ['Rx2_cam.mp4']),
      'stray/Rp09_Ac1_Vfast_Ar1_UNC100_Rx1_cam.mp4',
      'stray/Rp09_Ac1_Vhigh_Ar1_UNC100_Rx1_cam.mov',
      'copies/Rp01_Ac0_Vhigh_Ar1_UNC062_Rxall_pos.json',
      'README.md',
    ]);
    const index = indexRoboMnist(dir);
    expect(index.manifest).toBeUndefined();
    expect(index.recordings.map((r) => [r.stem, r.speed, r.complete, r.missing])).toEqual([
      ['Rp01_Ac0_Vhigh_Ar1_UNC062', 'high', true, []],
      ['Rp21_Ac2_Vmed_Ar1_UNC292', 'medium', true, []],
      ['Rp22_Ac2_Vmed_Ar1_UNC100', 'medium', true, ['cam2']],
    ]);
    expect(index.skipped).toEqual([
      { file: join('copies', 'Rp01_Ac0_Vhigh_Ar1_UNC062_Rxall_pos.json'), reason: `the same recording file as ${join('00_Ar1_Vhigh_Ac0', 'Rp01_Ac0_Vhigh_Ar1_UNC062_Rxall_pos.json')}` },
      { file: join('stray', 'Rp09_Ac1_Vfast_Ar1_UNC100_Rx1_cam.mp4'), reason: 'speed "Vfast" is not one of Vhigh, Vmed, Vmedium, Vlow' },
      { file: join('stray', 'Rp09_Ac1_Vhigh_Ar1_UNC100_Rx1_cam.mov'), reason: 'a cam file is .mp4, not .mov' },
    ]);
  });

  it('follows manifest.csv when there is one: its complete column, and files it does not list are reported', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mmfuse-robomnist-manifest-'));
    const rows = [
      ['00_Ar1_Vhigh_Ac0', 'Rp01_Ac0_Vhigh_Ar1_UNC062', 'True'],
      ['00_Ar1_Vhigh_Ac0', 'Rp02_Ac0_Vhigh_Ar1_UNC207', 'False'],
      ['25_Ar1_Vmed_Ac2', 'Rp21_Ac2_Vmed_Ar1_UNC292', 'True'],
    ];
    touch(dir, [...rows.flatMap(([folder, stem]) => recording(folder, stem)), '25_Ar1_Vmed_Ac2/Rp30_Ac2_Vmed_Ar1_UNC111_Rxall_pos.json']);
    const cells = (folder: string, stem: string) => recording(folder, stem);
    const header = 'id,digit,arm,speed,repetition,unc_code,unc_u,complete,position,csi,camera_1,audio_1,camera_2,audio_2,camera_3,audio_3';
    writeFileSync(join(dir, 'manifest.csv'), [header, ...rows.map(([folder, stem, complete]) => [`${folder}/${stem}`, 0, 1, 'high', 1, 62, 0.62, complete, ...cells(folder, stem)].join(','))].join('\n') + '\n');
    const index = indexRoboMnist(dir);
    expect(index.manifest).toBe(join(dir, 'manifest.csv'));
    expect(index.recordings.map((r) => [r.stem, r.complete, r.missing.length])).toEqual([
      ['Rp01_Ac0_Vhigh_Ar1_UNC062', true, 0],
      ['Rp02_Ac0_Vhigh_Ar1_UNC207', false, 0],
      ['Rp21_Ac2_Vmed_Ar1_UNC292', true, 0],
    ]);
    expect(index.skipped).toEqual([{ file: join('25_Ar1_Vmed_Ac2', 'Rp30_Ac2_Vmed_Ar1_UNC111_Rxall_pos.json'), reason: 'not listed in manifest.csv' }]);
    writeFileSync(join(dir, 'manifest.csv'), `${header}\n00_Ar1_Vhigh_Ac0/Rp01_Ac0_Vhigh_Ar1_UNC062,0,1,high,1,62,0.62,True,../../etc/passwd,,,,,,,\n`);
    expect(() => indexRoboMnist(dir)).toThrow(`${join(dir, 'manifest.csv')} line 2: position "../../etc/passwd" leaves the data folder`);
  });

  it('trains on the complete recordings of nested condition folders, leaving out the trials the manifest marks incomplete', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mmfuse-robomnist-nested-'));
    const layout: Array<[string, string]> = [
      ['06_Ar1_Vhigh_Ac6', 'Rp01_Ac6_Vhigh_Ar1_UNC187'],
      ['06_Ar1_Vhigh_Ac6', 'Rp02_Ac6_Vhigh_Ar1_UNC150'],
      ['17_Ar2_Vmed_Ac3', 'Rp01_Ac3_Vmed_Ar2_UNC100'],
      ['17_Ar2_Vmed_Ac3', 'Rp02_Ac3_Vmed_Ar2_UNC120'],
    ];
    for (const [folder, stem] of layout) {
      mkdirSync(join(dir, folder), { recursive: true });
      writeRepetitions(join(dir, folder), [stem]);
    }
    const source = new RoboMnistSource(options(dir), 5, '/');
    const d = (await source.load()).description as { labels: Array<{ stem: string; speed: string }> };
    expect(d.labels.map((l) => [l.stem, l.speed]).sort()).toEqual(layout.map(([, stem]) => [stem, stem.includes('Vmed') ? 'medium' : 'high']).sort());

    const header = 'id,digit,arm,speed,repetition,unc_code,unc_u,complete,position,csi,camera_1,audio_1,camera_2,audio_2,camera_3,audio_3';
    const row = ([folder, stem]: [string, string], complete: string) => [`${folder}/${stem}`, 0, 1, 'high', 1, 1, 0.01, complete, `${folder}/${stem}_Rxall_pos.json`, `${folder}/${stem}_Rxall_csi.json`, '', '', '', '', '', ''].join(',');
    writeFileSync(join(dir, 'manifest.csv'), [header, row(layout[0], 'True'), row(layout[1], 'True'), row(layout[2], 'True'), row(layout[3], 'False')].join('\n') + '\n');
    const listed = (await new RoboMnistSource(options(dir), 5, '/').load()).description as { labels: Array<{ stem: string }>; incompleteTrials: string[] };
    expect(listed.labels.map((l) => l.stem).sort()).toEqual(layout.slice(0, 3).map(([, stem]) => stem).sort());
    expect(listed.incompleteTrials).toEqual([layout[3][1]]);
  });
});
