import { mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { dump } from 'npyjs';
import { gatherSamples, isSampleStore, UserInputError } from '@mmfuse/core';
import { NpySource, NpySourceOptions } from './npy-source';
import { readNpyHeader } from '@mmfuse/data';

function save(dir: string, name: string, values: ArrayLike<number>, shape: number[], type: 'f4' | 'f8' | 'u1' | 'i4' = 'f4'): void {
  const typed = type === 'u1' ? Uint8Array.from(values) : type === 'i4' ? Int32Array.from(values) : type === 'f8' ? Float64Array.from(values) : Float32Array.from(values);
  writeFileSync(join(dir, name), Buffer.from(dump(typed, shape)));
}

function folder(samples = 20): string {
  const dir = mkdtempSync(join(tmpdir(), 'mmfuse-npy-stream-'));
  save(dir, 'camera.npy', Array.from({ length: samples * 4 * 4 * 3 }, (_, i) => (i * 7) % 256), [samples, 4, 4, 3], 'u1');
  save(dir, 'joints.npy', Array.from({ length: samples * 5 * 2 }, (_, i) => Math.sin(i) * 3 + 1), [samples, 5, 2]);
  save(dir, 'force.npy', Array.from({ length: samples * 3 }, (_, i) => Math.cos(i) * 10), [samples, 3], 'f8');
  save(dir, 'episodes.npy', Array.from({ length: samples }, (_, i) => Math.floor(i / 4)), [samples], 'i4');
  return dir;
}

const options = (directory: string, stream: boolean): NpySourceOptions => ({
  directory,
  modalities: [
    { name: 'camera', file: 'camera.npy', kind: 'image' },
    { name: 'joints', file: 'joints.npy', kind: 'series' },
    { name: 'force', file: 'force.npy', kind: 'vector' },
  ],
  episodes: 'episodes.npy',
  testFraction: 0.4,
  stream,
});

describe('streaming .npy files', () => {
  it('reads the same samples, split and standardisation from the files as it would hold in memory', async () => {
    const dir = folder();
    const held = await new NpySource(options(dir, false), 3, '.').load();
    const streamed = await new NpySource(options(dir, true), 3, '.').load();
    expect(streamed.description?.streamed).toBe(true);
    expect(streamed.modalities).toEqual(held.modalities);
    for (const split of ['train', 'test'] as const) {
      expect(streamed[split].size).toBe(held[split].size);
      for (const m of held.modalities) {
        const store = streamed[split].arrays[m.name];
        expect(isSampleStore(store)).toBe(true);
        const size = m.shape.reduce((a, b) => a * b, 1);
        const order = Array.from({ length: held[split].size }, (_, i) => held[split].size - 1 - i);
        const read = gatherSamples(store, size, order, 0, order.length);
        const expected = gatherSamples(held[split].arrays[m.name], size, order, 0, order.length);
        read.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
      }
    }
  });

  it('names the file and sample of a NaN when the sample is read, and a truncated file at once', async () => {
    const dir = folder();
    const values = Array.from({ length: 20 * 10 }, (_, i) => (i === 5 * 10 + 3 ? NaN : i));
    save(dir, 'joints.npy', values, [20, 5, 2]);
    await expect(new NpySource(options(dir, true), 3, '.').load()).rejects.toThrow(/joints\.npy: sample 5 holds NaN/);
    const bytes = readFileSync(join(dir, 'force.npy'));
    writeFileSync(join(dir, 'force.npy'), bytes.subarray(0, bytes.length - 8));
    expect(() => readNpyHeader(join(dir, 'force.npy'))).toThrow(UserInputError);
    expect(() => readNpyHeader(join(dir, 'force.npy'))).toThrow(/force\.npy: holds 472 bytes of data, but shape \[20, 3\] of f8 needs 480: truncated\?/);
  });
});
