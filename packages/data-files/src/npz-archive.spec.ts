import { mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { unzipSync, zipSync } from 'fflate';
import { dump } from 'npyjs';
import { MultimodalDataset } from '@mmfuse/core';
import { NpySource, NpySourceOptions } from './npy-source';
import { loadFailure } from './load-failure.spec-helper';

const SAMPLES = 12;
/** Episodes interleave (sample i belongs to episode 2 + 2·(i mod 4)), so a split by position would cut them. */
const episodeOfSample = (i: number) => 2 + 2 * (i % 4);
/** The first pixel of sample s holds 7s, so a row of a split can be traced back to its sample. */
const cameraValues = Uint8Array.from({ length: SAMPLES * 48 }, (_, i) => (Math.floor(i / 48) * 7 + (i % 48)) % 256);
const jointValues = Float64Array.from({ length: SAMPLES * 10 }, (_, i) => 3 * Math.sin(i) + 0.05 * i + (i % 2) * 10);
const episodeValues = Int32Array.from({ length: SAMPLES }, (_, i) => episodeOfSample(i));

const npy = (values: Uint8Array | Float64Array | Int32Array, shape: number[]) => new Uint8Array(dump(values, shape));

function standardEntries(): Record<string, Uint8Array> {
  return {
    'camera.npy': npy(cameraValues, [SAMPLES, 4, 4, 3]),
    'joints.npy': npy(jointValues, [SAMPLES, 5, 2]),
    'episodes.npy': npy(episodeValues, [SAMPLES]),
  };
}

/** An .npz as numpy writes it: a zip of `<name>.npy` entries, stored (level 0) or deflated. */
function writeNpz(entries: Record<string, Uint8Array>, level: 0 | 6 = 6): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mmfuse-npz-'));
  const path = join(dir, 'recording.npz');
  writeFileSync(path, zipSync(entries, { level }));
  return { dir, path };
}

const options = (directory: string, extra: Partial<NpySourceOptions> = {}): NpySourceOptions => ({
  directory,
  archive: 'recording.npz',
  modalities: [
    { name: 'camera', array: 'camera', kind: 'image' },
    { name: 'joints', array: 'joints', kind: 'series' },
  ],
  episodes: 'episodes',
  testFraction: 0.25,
  stream: 'auto',
  ...extra,
});

function samplesOf(data: MultimodalDataset, split: 'train' | 'test', pixels = 48, step = 7): number[] {
  const part = data[split];
  return Array.from({ length: part.size }, (_, r) => Math.floor(Math.round(inMemory(part.arrays.camera)[r * pixels] * 255) / step));
}

/** What standardising `raw` with the float64 mean and population std of the training samples gives. */
function standardised(raw: ArrayLike<number>, trainSamples: number[], samples: number[], size: number, channels: number): number[] {
  const rows = trainSamples.flatMap((s) => Array.from({ length: size / channels }, (_, r) => s * size + r * channels));
  const mean = Array.from({ length: channels }, (_, c) => rows.reduce((sum, at) => sum + Math.fround(raw[at + c]), 0) / rows.length);
  const std = mean.map((m, c) => Math.sqrt(rows.reduce((sum, at) => sum + (Math.fround(raw[at + c]) - m) ** 2, 0) / rows.length));
  return samples.flatMap((s) => Array.from({ length: size }, (_, k) => (Math.fround(raw[s * size + k]) - mean[k % channels]) / std[k % channels]));
}

function expectClose(actual: Float32Array, expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  expected.forEach((value, i) => expect(actual[i]).toBeCloseTo(value, 5));
}

/** The samples of one modality, which these sources keep in memory. */
function inMemory(samples: unknown): Float32Array {
  expect(samples).toBeInstanceOf(Float32Array);
  return samples as Float32Array;
}

describe('the npy data source reading an .npz archive', () => {
  it.each([
    ['stored (numpy.savez)', 0, 0],
    ['deflated (numpy.savez_compressed)', 6, 8],
  ] as const)('reads %s arrays exactly, standardises with training statistics and keeps episodes whole', async (_, level, method) => {
    const { dir, path } = writeNpz(standardEntries(), level);
    const methods = new Set<number>();
    unzipSync(readFileSync(path), { filter: (entry) => (methods.add(entry.compression), false) });
    expect([...methods]).toEqual([method]);

    const data = await new NpySource(options(dir), 5, '/').load();
    expect(data.modalities).toEqual([
      { name: 'camera', kind: 'image', shape: [4, 4, 3] },
      { name: 'joints', kind: 'series', shape: [5, 2] },
    ]);
    expect(data.description).toEqual({ source: 'npy', directory: dir, archive: path, samples: 12, episodes: 4 });
    const train = samplesOf(data, 'train');
    const test = samplesOf(data, 'test');
    expect([...train, ...test].sort((a, b) => a - b)).toEqual(Array.from({ length: SAMPLES }, (_, i) => i));
    const testEpisodes = new Set(test.map(episodeOfSample));
    expect(testEpisodes.size).toBe(1);
    expect(test).toHaveLength(3);
    expect(train.some((s) => testEpisodes.has(episodeOfSample(s)))).toBe(false);

    expect(Array.from(inMemory(data.test.arrays.camera))).toEqual(test.flatMap((s) => Array.from(cameraValues.subarray(s * 48, (s + 1) * 48), (v) => Math.fround(v / 255))));
    expectClose(inMemory(data.train.arrays.joints), standardised(jointValues, train, train, 10, 2));
    expectClose(inMemory(data.test.arrays.joints), standardised(jointValues, train, test, 10, 2));
    // Statistics over every sample would give other test values.
    expect(Math.abs(standardised(jointValues, [...train, ...test], test, 10, 2)[0] - inMemory(data.test.arrays.joints)[0])).toBeGreaterThan(1e-3);
  });

  it('reads an archive written by numpy.savez_compressed (zip64 local headers)', async () => {
    // np.savez_compressed(f, camera=(np.arange(16, dtype=np.uint8) * 16 + 3).reshape(4, 2, 2, 1),
    //   joints=<the float64 array below>.reshape(4, 3, 2), episodes=np.array([7, 7, 9, 9]))  (int64)
    const joints = [0.5, -1, 1.5, 2, 2.5, 4, 3, 0, 1, 1, -2, 3.5, 0.25, 8, 4, -3, 1, 1, 6, 2, 0, 0.5, 5, -1];
    const fixture =
      'UEsDBC0AAAAIAAAAIQDJTdUY//////////8KABQAY2FtZXJhLm5weQEAEACQAAAAAAAAAFoAAAAAAAAAm+wX6hsQychQxlCtnpJanFykbqWgXlNqqK6joJ6WX1RSlJgXn1+Ukgo' +
      'Sd0vMKU4FihdnJBakAvkaJjoKRmBkqKmjUKtABuBiFlY2dg5OLm6evHjz4cuPPwMAUEsDBC0AAAAIAAAAIQBFJTU3//////////8KABQAam9pbnRzLm5weQEAEABAAQAAAAAAAIMA' +
      'AAAAAAAAm+wX6hsQychQxlCtnpJanFykbqWgbpNmoa6joJ6WX1RSlJgXn1+UkgoSd0vMKU4FihdnJBakAvkaJjoKxjoKRpo6CrUK5AEuBjB4YA+hP+yH0D+gfAYHCMUCpQWgNAeUhoEP' +
      '9qg0wwEIxQNVdwEqroBuzgHs+iVg5qPZA3OniAPMvQBQSwMELQAAAAgAAAAhAHO0aRL//////////wwAFABlcGlzb2Rlcy5ucHkBABAAoAAAAAAAAABMAAAAAAAAAJvsF+obEMnIUMZQ' +
      'rZ6SWpxcpG6loG6TaaGuo6Cell9UUpSYF59flJIKEndLzClOBYoXZyQWpAL5GiY6mjoKtQoUAC52BgiA0ZxoNABQSwECLQMtAAAACAAAACEAyU3VGFoAAACQAAAACgAAAAAAAAAAAAAA' +
      'gAEAAAAAY2FtZXJhLm5weVBLAQItAy0AAAAIAAAAIQBFJTU3gwAAAEABAAAKAAAAAAAAAAAAAACAAZYAAABqb2ludHMubnB5UEsBAi0DLQAAAAgAAAAhAHO0aRJMAAAAoAAAAAwAAAAA' +
      'AAAAAAAAAIABVQEAAGVwaXNvZGVzLm5weVBLBQYAAAAAAwADAKoAAADfAQAAAAA=';
    const dir = mkdtempSync(join(tmpdir(), 'mmfuse-npz-'));
    writeFileSync(join(dir, 'recording.npz'), Buffer.from(fixture, 'base64'));
    const data = await new NpySource(options(dir, { testFraction: 0.5 }), 1, '/').load();
    expect(data.modalities).toEqual([
      { name: 'camera', kind: 'image', shape: [2, 2, 1] },
      { name: 'joints', kind: 'series', shape: [3, 2] },
    ]);
    const train = samplesOf(data, 'train', 4, 64);
    const test = samplesOf(data, 'test', 4, 64);
    // Episode 7 is samples 0 and 1, episode 9 samples 2 and 3: one of them is held out.
    expect([[0, 1], [2, 3]]).toContainEqual(test);
    expect([...train, ...test].sort()).toEqual([0, 1, 2, 3]);
    expect(Array.from(inMemory(data.train.arrays.camera))).toEqual(train.flatMap((s) => [0, 1, 2, 3].map((k) => Math.fround(((4 * s + k) * 16 + 3) / 255))));
    expectClose(inMemory(data.test.arrays.joints), standardised(joints, train, test, 6, 2));
  });

  it('names a missing or damaged archive', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mmfuse-npz-'));
    const path = join(dir, 'recording.npz');
    expect(await loadFailure(new NpySource(options(dir), 1, '/'))).toBe(`${path}: missing`);
    writeFileSync(path, 'camera,joints\n1,2\n');
    expect(await loadFailure(new NpySource(options(dir), 1, '/'))).toBe(`${path}: not a readable .npz archive (invalid zip data)`);
    const whole = zipSync(standardEntries());
    writeFileSync(path, whole.subarray(0, whole.length - 30));
    expect(await loadFailure(new NpySource(options(dir), 1, '/'))).toBe(`${path}: not a readable .npz archive (invalid zip data)`);
  });

  it('names the archive and array of a damaged entry or one that is not an .npy array', async () => {
    const { dir, path } = writeNpz({ ...standardEntries(), 'notes.npy': new TextEncoder().encode('not numpy') });
    const bytes = readFileSync(path);
    // The deflate stream of joints.npy starts after its local header; block type 3 does not exist.
    const name = bytes.indexOf('joints.npy');
    bytes[name + 'joints.npy'.length + bytes.readUInt16LE(name - 30 + 28)] = 0b111;
    writeFileSync(path, bytes);
    expect(await loadFailure(new NpySource(options(dir), 1, '/'))).toBe(`${path}:joints: damaged in the archive (invalid block type)`);
    const notes = options(dir, { modalities: [{ name: 'notes', array: 'notes', kind: 'vector' }] });
    expect(await loadFailure(new NpySource(notes, 1, '/'))).toMatch(new RegExp(`^${escape(path)}:notes: not a readable \\.npy array`));
  });

  it('refuses an entry whose bytes no longer match the CRC-32 the archive records, as numpy does', async () => {
    const { dir, path } = writeNpz(standardEntries(), 0);
    const bytes = readFileSync(path);
    // Stored (not deflated): 50 bytes in the middle of the joints values flipped still parse as an array.
    const values = bytes.indexOf('joints.npy') + 'joints.npy'.length + 200;
    for (let i = 0; i < 50; i++) bytes[values + i] ^= 0x55;
    writeFileSync(path, bytes);
    expect(await loadFailure(new NpySource(options(dir), 1, '/'))).toMatch(new RegExp(`^${escape(path)}:joints: damaged in the archive \\(CRC-32 [0-9a-f]{8}, the archive says [0-9a-f]{8}\\); write the \\.npz again$`));
  });

  it('lists the arrays of the archive when one is missing, and suggests the nearest', async () => {
    const { dir, path } = writeNpz(standardEntries());
    const joint = options(dir, { modalities: [{ name: 'joints', array: 'joint', kind: 'series' }] });
    expect(await loadFailure(new NpySource(joint, 1, '/'))).toBe(`${path}:joint: no such array in the archive; it holds camera, joints, episodes. Did you mean "joints"?`);
    expect(await loadFailure(new NpySource(options(dir, { episodes: 'labels' }), 1, '/'))).toBe(`${path}:labels: no such array in the archive; it holds camera, joints, episodes.`);
    // The entry's own name works too.
    const entry = options(dir, { modalities: [{ name: 'joints', array: 'joints.npy', kind: 'series' }] });
    expect((await new NpySource(entry, 1, '/').load()).modalities).toEqual([{ name: 'joints', kind: 'series', shape: [5, 2] }]);
  });

  it('names the archive, array and sample of a NaN, a count mismatch, a wrong rank and mismatched episode ids', async () => {
    const bad = Float64Array.from(jointValues);
    bad[7 * 10 + 3] = NaN;
    const nan = writeNpz({ ...standardEntries(), 'joints.npy': npy(bad, [SAMPLES, 5, 2]) });
    expect(await loadFailure(new NpySource(options(nan.dir), 1, '/'))).toBe(`${nan.path}:joints: sample 7 holds NaN (at flat index 73)`);
    const short = writeNpz({ ...standardEntries(), 'joints.npy': npy(jointValues.slice(0, 110), [11, 5, 2]) });
    expect(await loadFailure(new NpySource(options(short.dir), 1, '/'))).toBe(`${short.path}:joints: 11 samples, but ${short.path}:camera has 12`);
    const flat = writeNpz({ ...standardEntries(), 'joints.npy': npy(jointValues, [SAMPLES, 10]) });
    expect(await loadFailure(new NpySource(options(flat.dir), 1, '/'))).toBe(`${flat.path}:joints: a series modality needs shape [N, steps, channels], got [12, 10]`);
    const ids = writeNpz({ ...standardEntries(), 'episodes.npy': npy(episodeValues.slice(0, 9), [9]) });
    expect(await loadFailure(new NpySource(options(ids.dir), 1, '/'))).toBe(`${ids.path}:episodes: 9 episode ids for 12 samples`);
  });

  it('asks for "array" with an archive and "file" without one', async () => {
    const { dir } = writeNpz(standardEntries());
    const camera = { name: 'camera', kind: 'image' as const };
    expect(await loadFailure(new NpySource(options(dir, { modalities: [{ ...camera, file: 'camera.npy' }] }), 1, '/'))).toBe(
      'modalities[0] (camera): "file" is for separate .npy files; with "archive", name the array inside recording.npz with "array"',
    );
    expect(await loadFailure(new NpySource(options(dir, { modalities: [camera] }), 1, '/'))).toBe('modalities[0] (camera): "array" is missing: the name of this modality\'s array in recording.npz');
    expect(await loadFailure(new NpySource(options(dir, { archive: undefined, modalities: [{ ...camera, array: 'camera' }] }), 1, '/'))).toBe(
      'modalities[0] (camera): "array" names an array in an .npz archive; set "archive" too, or give the .npy with "file"',
    );
    expect(await loadFailure(new NpySource(options(dir, { archive: undefined, modalities: [{ ...camera, file: 'recording.npz:cam' }] }), 1, '/'))).toBe(
      'modalities[0] (camera): "file" is for .npy files; for an array of recording.npz, set "archive": "recording.npz" and give "array": "cam"',
    );
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
