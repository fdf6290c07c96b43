import { mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { dump } from 'npyjs';
import { NpySource, NpySourceOptions } from './npy-source';

/** Writes an array with npyjs's writer (the same format numpy.save writes). */
function save(dir: string, name: string, values: ArrayLike<number>, shape: number[], type: 'f4' | 'u1' | 'i4' = 'f4'): void {
  const typed = type === 'u1' ? Uint8Array.from(values) : type === 'i4' ? Int32Array.from(values) : Float32Array.from(values);
  writeFileSync(join(dir, name), Buffer.from(dump(typed, shape)));
}

function folder(samples = 12): string {
  const dir = mkdtempSync(join(tmpdir(), 'mmfuse-npy-'));
  // Every pixel of sample s holds s, so a split can be traced back to samples.
  save(dir, 'camera.npy', Array.from({ length: samples * 4 * 4 * 3 }, (_, i) => Math.floor(i / 48)), [samples, 4, 4, 3], 'u1');
  save(dir, 'joints.npy', Array.from({ length: samples * 5 * 2 }, (_, i) => Math.sin(i)), [samples, 5, 2]);
  save(dir, 'episodes.npy', Array.from({ length: samples }, (_, i) => Math.floor(i / 3)), [samples], 'i4');
  return dir;
}

const options = (directory: string, extra: Partial<NpySourceOptions> = {}): NpySourceOptions => ({
  directory,
  modalities: [
    { name: 'camera', file: 'camera.npy', kind: 'image' },
    { name: 'joints', file: 'joints.npy', kind: 'series' },
  ],
  episodes: 'episodes.npy',
  testFraction: 0.25,
  stream: 'auto',
  ...extra,
});

/** The samples of one modality, which these sources keep in memory. */
function inMemory(samples: unknown): Float32Array {
  expect(samples).toBeInstanceOf(Float32Array);
  return samples as Float32Array;
}

describe('the npy data source', () => {
  it('reads numpy arrays, scales uint8 images to [0, 1] and keeps episodes whole in the split', async () => {
    const dir = folder();
    const data = await new NpySource(options(dir), 1, '/').load();
    expect(data.modalities).toEqual([
      { name: 'camera', kind: 'image', shape: [4, 4, 3] },
      { name: 'joints', kind: 'series', shape: [5, 2] },
    ]);
    expect(data.train.size + data.test.size).toBe(12);
    expect(data.test.size).toBe(3);
    expect(Math.max(...inMemory(data.train.arrays.camera))).toBeLessThanOrEqual(1);
    // The test split is one whole episode: samples 3e, 3e+1, 3e+2.
    const testSamples = [0, 1, 2].map((k) => Math.round(inMemory(data.test.arrays.camera)[k * 48] * 255));
    expect(testSamples[0] % 3).toBe(0);
    expect(testSamples).toEqual([testSamples[0], testSamples[0] + 1, testSamples[0] + 2]);
  });

  it('names the file and the sample of a NaN, a count mismatch, a damaged or missing file', async () => {
    const dir = folder();
    const bad = Array.from({ length: 12 * 10 }, () => 1);
    bad[7 * 10 + 3] = NaN;
    save(dir, 'joints.npy', bad, [12, 5, 2]);
    await expect(new NpySource(options(dir), 1, '/').load()).rejects.toThrow(`${join(dir, 'joints.npy')}: sample 7 holds NaN (at flat index 73)`);
    save(dir, 'joints.npy', Array.from({ length: 11 * 10 }, () => 1), [11, 5, 2]);
    await expect(new NpySource(options(dir), 1, '/').load()).rejects.toThrow(`${join(dir, 'joints.npy')}: 11 samples, but ${join(dir, 'camera.npy')} has 12`);
    const bytes = readFileSync(join(dir, 'camera.npy'));
    writeFileSync(join(dir, 'camera.npy'), bytes.subarray(0, bytes.length - 20));
    await expect(new NpySource(options(dir), 1, '/').load()).rejects.toThrow(new RegExp(`${join(dir, 'camera.npy').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: (holds \\d+ (values|bytes of data)|not a readable \\.npy array)`));
    writeFileSync(join(dir, 'camera.npy'), 'not numpy');
    await expect(new NpySource(options(dir), 1, '/').load()).rejects.toThrow(`${join(dir, 'camera.npy')}: not a readable .npy array`);
    await expect(new NpySource(options(dir, { modalities: [{ name: 'x', file: 'none.npy', kind: 'vector' }] }), 1, '/').load()).rejects.toThrow(`${join(dir, 'none.npy')}: missing`);
  });
});

describe('the npy data source: shapes and naming', () => {
  it('names the file when a modality has the wrong rank for its kind, and a modality without its file', async () => {
    const dir = folder();
    save(dir, 'flat.npy', Array.from({ length: 12 * 10 }, (_, i) => i), [12, 10]);
    const flat = options(dir, { modalities: [{ name: 'joints', file: 'flat.npy', kind: 'series' }] });
    await expect(new NpySource(flat, 1, '/').load()).rejects.toThrow(`${join(dir, 'flat.npy')}: a series modality needs shape [N, steps, channels], got [12, 10]`);
    const vector = options(dir, { modalities: [{ name: 'joints', file: 'joints.npy', kind: 'vector' }] });
    await expect(new NpySource(vector, 1, '/').load()).rejects.toThrow(`${join(dir, 'joints.npy')}: a vector modality needs shape [N, features], got [12, 5, 2]`);
    const nameless = options(dir, { modalities: [{ name: 'joints', kind: 'series' }] });
    await expect(new NpySource(nameless, 1, '/').load()).rejects.toThrow('modalities[0] (joints): "file" is missing: the .npy file of this modality (or set "archive" and give "array")');
  });
});
