import { createRng, ModalitySpec, UserInputError } from '@mmfuse/core';
import type { CorruptionConfig } from '@mmfuse/config';
import { failureByType } from '@mmfuse/failures';
import { corruptBatch, corruptionFailures } from './corruption';

const image: ModalitySpec = { name: 'camera', kind: 'image', shape: [8, 8, 3] };
const series: ModalitySpec = { name: 'robot', kind: 'series', shape: [10, 2] };
const failures = (c: Partial<CorruptionConfig>, spec: ModalitySpec) => corruptionFailures({ modality: spec.name, kind: 'failures', level: 0.5, probability: 1, ...c }, spec, 'training.corruption[0]');

describe('corruptBatch', () => {
  it('adds Gaussian noise of the configured std', () => {
    const batch = new Float32Array(20000);
    corruptBatch(batch, 10, { modality: 'x', kind: 'gaussian', level: 0.3, probability: 1 }, createRng(1));
    const variance = batch.reduce((s, v) => s + v * v, 0) / batch.length;
    expect(Math.sqrt(variance)).toBeCloseTo(0.3, 2);
  });

  it('applies, per sample, exactly what the drawn failure does to that sample', () => {
    const samples = 6;
    const clean = Float32Array.from({ length: samples * 20 }, (_, i) => Math.sin(i / 3));
    const config: CorruptionConfig = { modality: 'robot', kind: 'failures', level: 0.8, probability: 1, failures: ['flip'] };
    const batch = clean.slice();
    corruptBatch(batch, samples, config, createRng(3), series, failures(config, series));
    // A full-severity... here 0.8: flip changes the sign of a share of the channels; replay it with the same draws.
    const expected = clean.slice();
    const replay = createRng(3);
    for (let s = 0; s < samples; s++) {
      replay(); // probability draw
      replay(); // which failure (only one listed)
      failureByType('flip').apply(expected.subarray(s * 20, (s + 1) * 20), [10, 2], 0.8, replay);
    }
    expect(Array.from(batch)).toEqual(Array.from(expected));
    expect(Array.from(batch)).not.toEqual(Array.from(clean));
  });

  it('draws every listed failure over many samples, keeping images in [0, 1]', () => {
    const samples = 40;
    const frame: ModalitySpec = { name: 'camera', kind: 'image', shape: [32, 32, 3] };
    const size = 32 * 32 * 3;
    // A checkerboard: blur changes nearly every pixel, pixel replacement leaves most of them alone.
    const clean = Float32Array.from({ length: samples * size }, (_, i) => 0.2 + 0.6 * (((Math.floor((i % size) / 12) % 2) + Math.floor((i % size) / 384)) % 2));
    const batch = clean.slice();
    const config: CorruptionConfig = { modality: 'camera', kind: 'failures', level: 1, probability: 1, failures: ['pixel-constant', 'gaussian-blur'] };
    corruptBatch(batch, samples, config, createRng(5), frame, failures(config, frame));
    // Constant replacement writes one grey level into some pixels; anything else came from the blur.
    let replaced = 0;
    for (let s = 0; s < samples; s++) {
      const written = new Set<number>();
      let changed = 0;
      for (let i = s * size; i < (s + 1) * size; i++) {
        if (batch[i] === clean[i]) continue;
        changed++;
        written.add(batch[i]);
      }
      if (changed > 0.1 * size && written.size === 1) replaced++;
    }
    expect(replaced).toBeGreaterThan(8);
    expect(samples - replaced).toBeGreaterThan(8);
    for (const v of batch) expect(v >= 0 && v <= 1).toBe(true);
  });
});

describe('corruptionFailures', () => {
  it('defaults to every failure of the modality’s kind', () => {
    expect(failures({}, image).every((f) => f.target === 'image')).toBe(true);
    expect(failures({}, series).length).toBeGreaterThan(5);
  });

  it('names the config path of an unknown, mismatched or out-of-range failure', () => {
    expect(() => failures({ failures: ['gausian-blur'] }, image)).toThrow(UserInputError);
    expect(() => failures({ failures: ['gausian-blur'] }, image)).toThrow(/training\.corruption\[0\]\.failures\[0\].*gaussian-blur/);
    expect(() => failures({ failures: ['time-warp'] }, image)).toThrow(/failures\[0\]: "time-warp" is a failure of series data, and "camera" holds image data/);
    expect(() => failures({ level: 2 }, image)).toThrow(/level: 2 is a failure severity/);
    expect(() => failures({}, { name: 'pose', kind: 'vector', shape: [3] })).toThrow(/"pose" is a vector/);
  });
});
