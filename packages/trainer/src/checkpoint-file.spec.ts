import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { createRng } from '@mmfuse/core';
import { readCheckpoint, TrialCheckpoint, writeCheckpoint } from './checkpoint-file';

function checkpoint(epoch: number): TrialCheckpoint {
  const rng = createRng(1);
  return {
    epoch,
    records: [{ epoch, train: { total: 1.5 }, test: { total: 2.5 }, seconds: 0.1 }],
    rng: { shuffle: rng.state(), corruption: createRng(2).state() },
    weights: [
      { name: 'encoder:a/dense0/kernel#1', shape: [2, 3], values: Float32Array.from([1, 2, 3, 4, 5, epoch]) },
      { name: 'encoder:a/dense0/bias#2', shape: [3], values: Float32Array.from([0.5, -0.5, 1e-30]) },
    ],
    optimizer: [{ name: 'iter', shape: [], values: Float32Array.from([42]) }],
  };
}

describe('checkpoint files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mmfuse-ckpt-'));

  it('round-trips every tensor, record and generator state exactly', () => {
    const file = join(dir, 'a.ckpt');
    writeCheckpoint(file, checkpoint(3));
    const back = readCheckpoint(file)!;
    expect(back.epoch).toBe(3);
    expect(back.records).toEqual(checkpoint(3).records);
    expect(back.weights.map((w) => [w.name, w.shape, Array.from(w.values)])).toEqual(checkpoint(3).weights.map((w) => [w.name, w.shape, Array.from(w.values)]));
    expect(Array.from(back.optimizer[0].values)).toEqual([42]);
    const continued = createRng(1, back.rng.shuffle);
    const original = createRng(1);
    expect(continued()).toBe(original());
    expect(readCheckpoint(join(dir, 'none.ckpt'))).toBeUndefined();
  });

  it('keeps the previous checkpoint intact when the disk fills up during a write', () => {
    const file = join(dir, 'full-disk.ckpt');
    writeCheckpoint(file, checkpoint(1));
    const before = readFileSync(file);
    // The module object itself (a namespace import would be a copy the writer never calls).
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const writeSync = jest.spyOn(require('fs') as typeof import('fs'), 'writeSync').mockImplementation(() => {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    });
    try {
      expect(() => writeCheckpoint(file, checkpoint(2))).toThrow(/ENOSPC/);
    } finally {
      writeSync.mockRestore();
    }
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(readCheckpoint(file)!.epoch).toBe(1);
    expect(readdirSync(dir).filter((n) => n.includes('.tmp'))).toEqual([]);
  });

  it('names the file when it is damaged', () => {
    const file = join(dir, 'bad.ckpt');
    writeCheckpoint(file, checkpoint(1));
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, bytes.length - 8));
    expect(() => readCheckpoint(file)).toThrow(`${file}: not a usable checkpoint (payload holds`);
    writeFileSync(file, 'something else entirely');
    expect(() => readCheckpoint(file)).toThrow(`${file}: not a usable checkpoint (unknown format)`);
  });
});
