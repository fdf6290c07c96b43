import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { createRng, isUserInputError } from '@mmfuse/core';
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

  it('keeps the previous checkpoint when a nearly full disk writes only part of the new one', () => {
    const file = join(dir, 'short-write.ckpt');
    writeCheckpoint(file, checkpoint(1));
    const before = readFileSync(file);
    // What write(2) does with little space left: fewer bytes than asked, then ENOSPC.
    const fs = require('fs') as typeof import('fs');
    const real = fs.writeSync;
    let calls = 0;
    const writeSync = jest.spyOn(fs, 'writeSync').mockImplementation(((fd: number, buffer: Uint8Array, offset?: number, length?: number) => {
      calls++;
      if (calls === 1) return real(fd, buffer, offset ?? 0, Math.min(length ?? buffer.length, 64));
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }) as typeof fs.writeSync);
    let thrown: unknown;
    try {
      writeCheckpoint(file, checkpoint(2));
    } catch (error) {
      thrown = error;
    } finally {
      writeSync.mockRestore();
    }
    expect(calls).toBe(2);
    expect(isUserInputError(thrown)).toBe(true);
    expect((thrown as Error).message).toBe(`${file}: no space left on the device; free space there (or write elsewhere with --out) and run again — an interrupted run continues with --resume (ENOSPC)`);
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(readdirSync(dir).filter((n) => n.includes('.tmp'))).toEqual([]);
  });

  it('refuses a checkpoint with one payload or header byte changed, naming the checksum', () => {
    const file = join(dir, 'flipped.ckpt');
    writeCheckpoint(file, checkpoint(4));
    const good = readFileSync(file);
    // Flip the low bit of the last float (a weight), then of a digit in the header's epoch.
    for (const at of [good.length - 33, good.indexOf('"epoch":4') + 8]) {
      const bytes = Buffer.from(good);
      bytes[at] ^= 1;
      writeFileSync(file, bytes);
      expect(() => readCheckpoint(file)).toThrow(`${file}: damaged checkpoint (its SHA-256 does not match its content: bytes were changed or lost after it was written); delete it to restart this trial from the beginning`);
    }
    writeFileSync(file, good);
    expect(readCheckpoint(file)!.epoch).toBe(4);
  });

  it('calls a non-finite weight a damaged checkpoint, not a diverged trial', () => {
    const file = join(dir, 'nan.ckpt');
    const damaged = checkpoint(2);
    damaged.weights[1].values[1] = Number.NaN;
    writeCheckpoint(file, damaged);
    expect(() => readCheckpoint(file)).toThrow(`${file}: damaged checkpoint (weights tensor encoder:a/dense0/bias#2 holds NaN at index 1)`);
  });

  it('names the file when it is damaged', () => {
    const file = join(dir, 'bad.ckpt');
    writeCheckpoint(file, checkpoint(1));
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, bytes.length - 8));
    expect(() => readCheckpoint(file)).toThrow(`${file}: damaged checkpoint (`);
    writeFileSync(file, 'something else entirely');
    expect(() => readCheckpoint(file)).toThrow(`${file}: damaged checkpoint (unknown format)`);
  });
});
