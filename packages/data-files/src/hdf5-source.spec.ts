import { mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { importEsm, MultimodalDataset } from '@mmfuse/core';
import { createHdf5Source, Hdf5Source, Hdf5SourceOptions } from './hdf5-source';
import { loadFailure } from './load-failure.spec-helper';

type H5wasm = typeof import('h5wasm');
// The spec compiles to CommonJS too; see hdf5-source.ts for why import() is built this way.

interface Written {
  path: string;
  data: Uint8Array | Float32Array | Float64Array | Int32Array | BigInt64Array | string[];
  shape?: number[];
  dtype?: string;
}

async function writeH5(file: string, datasets: Written[]): Promise<void> {
  const h5 = await importEsm<H5wasm>('h5wasm/node');
  await h5.ready;
  const out = new h5.File(file, 'w');
  try {
    for (const d of datasets) {
      const parent = d.path.split('/').slice(0, -1).join('/');
      if (parent && !out.get(parent)) out.create_group(parent);
      out.create_dataset({ name: d.path, data: d.data, shape: d.shape, dtype: d.dtype });
    }
  } finally {
    out.close();
  }
}

const SAMPLES = 12;
/** Episodes interleave (sample i belongs to episode 5 + 10·(i mod 4)), so a split by position would cut them. */
const episodeOfSample = (i: number) => 5 + 10 * (i % 4);
/** The first pixel of sample s holds 7s, so a row of a split can be traced back to its sample. */
const cameraValues = Uint8Array.from({ length: SAMPLES * 48 }, (_, i) => (Math.floor(i / 48) * 7 + (i % 48)) % 256);
const jointValues = Float64Array.from({ length: SAMPLES * 10 }, (_, i) => 3 * Math.sin(i) + 0.05 * i + (i % 2) * 10);
const forceValues = Int32Array.from({ length: SAMPLES * 3 }, (_, i) => ((i * 13) % 17) - 8);

function standardFile(): Written[] {
  return [
    { path: 'camera', data: cameraValues, shape: [SAMPLES, 4, 4, 3], dtype: '<B' },
    { path: 'robot/joints', data: jointValues, shape: [SAMPLES, 5, 2], dtype: '<d' },
    { path: 'robot/force', data: forceValues, shape: [SAMPLES, 3], dtype: '<i' },
    { path: 'meta/episode', data: BigInt64Array.from({ length: SAMPLES }, (_, i) => BigInt(episodeOfSample(i))), shape: [SAMPLES], dtype: '<q' },
  ];
}

async function folderWith(datasets: Written[]): Promise<{ dir: string; file: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'mmfuse-hdf5-'));
  const file = join(dir, 'recording.h5');
  await writeH5(file, datasets);
  return { dir, file };
}

const options = (extra: Partial<Hdf5SourceOptions> = {}): Hdf5SourceOptions => ({
  file: 'recording.h5',
  modalities: [
    { name: 'camera', dataset: '/camera', kind: 'image' },
    { name: 'joints', dataset: '/robot/joints', kind: 'series' },
    { name: 'force', dataset: 'robot/force', kind: 'vector' },
  ],
  episodes: '/meta/episode',
  testFraction: 0.25,
  ...extra,
});

/** Sample index of each row of a split, read back from the first camera pixel. */
function samplesOf(data: MultimodalDataset, split: 'train' | 'test'): number[] {
  const part = data[split];
  return Array.from({ length: part.size }, (_, r) => Math.round(inMemory(part.arrays.camera)[r * 48] * 255) / 7);
}

/** Per-channel mean and (population) standard deviation over the given samples, in float64. */
function statistics(values: ArrayLike<number>, samples: number[], size: number, channels: number): { mean: number[]; std: number[] } {
  const rows = samples.flatMap((s) => Array.from({ length: size / channels }, (_, r) => s * size + r * channels));
  const mean = Array.from({ length: channels }, (_, c) => rows.reduce((sum, at) => sum + Math.fround(values[at + c]), 0) / rows.length);
  const std = mean.map((m, c) => Math.sqrt(rows.reduce((sum, at) => sum + (Math.fround(values[at + c]) - m) ** 2, 0) / rows.length));
  return { mean, std };
}

function expectStandardised(actual: Float32Array, raw: ArrayLike<number>, samples: number[], size: number, stats: { mean: number[]; std: number[] }): void {
  const channels = stats.mean.length;
  samples.forEach((s, row) => {
    for (let k = 0; k < size; k++) {
      const c = k % channels;
      expect(actual[row * size + k]).toBeCloseTo((Math.fround(raw[s * size + k]) - stats.mean[c]) / stats.std[c], 5);
    }
  });
}

/** The samples of one modality, which these sources keep in memory. */
function inMemory(samples: unknown): Float32Array {
  expect(samples).toBeInstanceOf(Float32Array);
  return samples as Float32Array;
}

describe('the hdf5 data source', () => {
  it('reads datasets by path, scales uint8 images exactly, standardises with training statistics and keeps episodes whole', async () => {
    const { dir } = await folderWith(standardFile());
    const data = await createHdf5Source(options(), { seed: 3, baseDir: dir }).load();
    expect(data.modalities).toEqual([
      { name: 'camera', kind: 'image', shape: [4, 4, 3] },
      { name: 'joints', kind: 'series', shape: [5, 2] },
      { name: 'force', kind: 'vector', shape: [3] },
    ]);
    expect(data.description).toEqual({ source: 'hdf5', file: join(dir, 'recording.h5'), samples: 12, episodes: 4 });
    const train = samplesOf(data, 'train');
    const test = samplesOf(data, 'test');
    expect([...train, ...test].sort((a, b) => a - b)).toEqual(Array.from({ length: SAMPLES }, (_, i) => i));

    // One of the four episodes is held out, whole.
    const testEpisodes = new Set(test.map(episodeOfSample));
    expect(testEpisodes.size).toBe(1);
    expect(test).toHaveLength(3);
    expect(train.some((s) => testEpisodes.has(episodeOfSample(s)))).toBe(false);

    for (const [split, samples] of [['train', train], ['test', test]] as const) {
      const camera = inMemory(data[split].arrays.camera);
      samples.forEach((s, row) => {
        for (let k = 0; k < 48; k++) expect(camera[row * 48 + k]).toBe(Math.fround(cameraValues[s * 48 + k] / 255));
      });
    }

    const jointStats = statistics(jointValues, train, 10, 2);
    const forceStats = statistics(forceValues, train, 3, 3);
    expectStandardised(inMemory(data.train.arrays.joints), jointValues, train, 10, jointStats);
    expectStandardised(inMemory(data.test.arrays.joints), jointValues, test, 10, jointStats);
    expectStandardised(inMemory(data.train.arrays.force), forceValues, train, 3, forceStats);
    expectStandardised(inMemory(data.test.arrays.force), forceValues, test, 3, forceStats);
    // Statistics over all samples would give other test values: the check above tells them apart.
    const allStats = statistics(jointValues, [...train, ...test], 10, 2);
    expect(Math.abs(allStats.mean[0] - jointStats.mean[0])).toBeGreaterThan(1e-3);
  });

  it('reads float32 and gzip-compressed datasets, and without episodes treats each sample as one', async () => {
    const h5 = await importEsm<H5wasm>('h5wasm/node');
    await h5.ready;
    const dir = mkdtempSync(join(tmpdir(), 'mmfuse-hdf5-'));
    const file = new h5.File(join(dir, 'recording.h5'), 'w');
    file.create_dataset({ name: 'camera', data: cameraValues, shape: [SAMPLES, 4, 4, 3], dtype: '<B', chunks: [4, 4, 4, 3], compression: 'gzip' });
    file.create_dataset({ name: 'pose', data: Float32Array.from(jointValues), shape: [SAMPLES, 10], dtype: '<f' });
    file.close();
    const data = await new Hdf5Source(
      { file: join(dir, 'recording.h5'), modalities: [{ name: 'camera', dataset: '/camera', kind: 'image' }, { name: 'pose', dataset: '/pose', kind: 'vector' }], testFraction: 0.25 },
      1,
      '/elsewhere',
    ).load();
    expect(data.test.size).toBe(3);
    const test = samplesOf(data, 'test');
    test.forEach((s, row) => expect(inMemory(data.test.arrays.camera)[row * 48 + 5]).toBe(Math.fround(cameraValues[s * 48 + 5] / 255)));
    expectStandardised(inMemory(data.test.arrays.pose), jointValues, test, 10, statistics(jointValues, samplesOf(data, 'train'), 10, 10));
  });

  it('names a missing file and a file that is not HDF5', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mmfuse-hdf5-'));
    expect(await loadFailure(new Hdf5Source(options(), 1, dir))).toBe(`${join(dir, 'recording.h5')}: missing`);
    writeFileSync(join(dir, 'recording.h5'), 'camera,joints\n1,2\n');
    expect(await loadFailure(new Hdf5Source(options(), 1, dir))).toBe(`${join(dir, 'recording.h5')}: not an HDF5 file (no HDF5 signature)`);
  });

  it('lists what a group holds when a dataset path is wrong, and suggests the nearest name', async () => {
    const { dir, file } = await folderWith(standardFile());
    const withJoints = (dataset: string) => new Hdf5Source(options({ modalities: [{ name: 'joints', dataset, kind: 'series' }] }), 1, dir);
    expect(await loadFailure(withJoints('/robot/jionts'))).toBe(`${file}:/robot/jionts: no "jionts" in /robot, which holds force, joints. Did you mean "/robot/joints"?`);
    expect(await loadFailure(withJoints('/robto/joints'))).toBe(`${file}:/robto/joints: no "robto" in /, which holds camera, meta/, robot/. Did you mean "/robot/joints"?`);
    expect(await loadFailure(withJoints('/velocity'))).toBe(`${file}:/velocity: no "velocity" in /, which holds camera, meta/, robot/.`);
    expect(await loadFailure(withJoints('/robot'))).toBe(`${file}:/robot: a group, not a dataset; it holds force, joints`);
    expect(await loadFailure(withJoints('/camera/joints'))).toBe(`${file}:/camera/joints: /camera is not a group (Dataset)`);
    expect(await loadFailure(new Hdf5Source(options({ episodes: '/meta/episodes' }), 1, dir))).toBe(
      `${file}:/meta/episodes: no "episodes" in /meta, which holds episode. Did you mean "/meta/episode"?`,
    );
  });

  it('refuses a dataset of the wrong rank for its kind, or that does not hold numbers', async () => {
    const { dir, file } = await folderWith([...standardFile(), { path: 'notes', data: Array.from({ length: SAMPLES }, (_, i) => `sample ${i}`), shape: [SAMPLES, 1] }]);
    const one = (dataset: string, kind: 'image' | 'series' | 'vector') => new Hdf5Source(options({ modalities: [{ name: 'm', dataset, kind }] }), 1, dir);
    expect(await loadFailure(one('/robot/joints', 'image'))).toBe(`${file}:/robot/joints: an image modality needs shape [N, height, width, channels], got [12, 5, 2]`);
    expect(await loadFailure(one('/camera', 'series'))).toBe(`${file}:/camera: a series modality needs shape [N, steps, channels], got [12, 4, 4, 3]`);
    expect(await loadFailure(one('/robot/joints', 'vector'))).toBe(`${file}:/robot/joints: a vector modality needs shape [N, features], got [12, 5, 2]`);
    expect(await loadFailure(one('/notes', 'vector'))).toBe(`${file}:/notes: holds string values; only integers and float32/float64 are read`);
  });

  it('names both datasets and their counts when sample counts differ, and episode ids that do not match', async () => {
    const short: Written[] = standardFile().map((d) => (d.path === 'robot/force' ? { ...d, data: forceValues.slice(0, 11 * 3), shape: [11, 3] } : d));
    const { dir, file } = await folderWith(short);
    expect(await loadFailure(new Hdf5Source(options(), 1, dir))).toBe(`${file}:/robot/force: 11 samples, but ${file}:/camera has 12`);
    const fewIds: Written[] = standardFile().map((d) => (d.path === 'meta/episode' ? { ...d, data: (d.data as BigInt64Array).slice(0, 10), shape: [10] } : d));
    const second = await folderWith(fewIds);
    expect(await loadFailure(new Hdf5Source(options(), 1, second.dir))).toBe(`${second.file}:/meta/episode: 10 episode ids for 12 samples`);
  });

  it('names the dataset and the sample of a NaN', async () => {
    const bad = Float64Array.from(jointValues);
    bad[7 * 10 + 3] = NaN;
    const { dir, file } = await folderWith(standardFile().map((d) => (d.path === 'robot/joints' ? { ...d, data: bad } : d)));
    expect(await loadFailure(new Hdf5Source(options(), 1, dir))).toBe(`${file}:/robot/joints: sample 7 holds NaN (at flat index 73)`);
  });

  it('turns a truncated file into an input error', async () => {
    const { dir, file } = await folderWith(standardFile());
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 3)));
    expect(await loadFailure(new Hdf5Source(options(), 1, dir))).toMatch(new RegExp(`^${escape(file)}: not a readable HDF5 file \\(truncated file: eof = \\d+.*\\); is the file damaged or truncated\\?$`));
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
