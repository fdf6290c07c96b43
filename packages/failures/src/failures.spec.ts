import { createRng, isUserInputError, normal } from '@mmfuse/core';
import type { FailureDefinition } from './failure-types';
import { applyFailureToBatch, applyRandomFailures, FAILURES, failureByType, failureTypes } from './failures';
import { gaussianKernel } from './image-ops';
import { createPerlinNoise2D } from './perlin-noise';
import { randomTimeWarp } from './series-failures';

function randomSeries(steps: number, channels: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: steps * channels }, () => normal(rng));
}

function randomImage(height: number, width: number, channels: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: height * width * channels }, () => rng());
}

/** Row t, channel c holds t + offset(c): a ramp per channel. */
function rampSeries(steps: number, channels: number, offset = (c: number) => 1000 * c): Float32Array {
  return Float32Array.from({ length: steps * channels }, (_, i) => Math.floor(i / channels) + offset(i % channels));
}

function applied(type: string, sample: Float32Array, shape: number[], severity: number, seed: number): Float32Array {
  const out = sample.slice();
  failureByType(type).apply(out, shape, severity, createRng(seed));
  return out;
}

function column(series: Float32Array, channels: number, c: number): number[] {
  return Array.from({ length: series.length / channels }, (_, t) => series[t * channels + c]);
}

/** Maximal runs of consecutive true entries, as [start, length]. */
function runs(flags: boolean[]): Array<[number, number]> {
  const found: Array<[number, number]> = [];
  flags.forEach((on, i) => {
    if (!on) return;
    const last = found[found.length - 1];
    if (last && last[0] + last[1] === i) last[1]++;
    else found.push([i, 1]);
  });
  return found;
}

/** Index of the first entry failing `holds`, or −1: one assertion instead of one per value keeps the tests fast. */
function firstFailing<T>(values: ArrayLike<T>, holds: (value: T, index: number) => boolean): number {
  for (let i = 0; i < values.length; i++) if (!holds(values[i], i)) return i;
  return -1;
}

function std(values: ArrayLike<number>): number {
  const n = values.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += values[i] / n;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += (values[i] - mean) ** 2;
  return Math.sqrt(sum / n);
}

const seriesShape = [64, 8];
const imageShapes = [
  [32, 32, 3],
  [20, 27, 1],
];
const SEEDS = [1, 2, 3, 4, 5];

describe('failure registry', () => {
  it('holds the reference set and the extra sensor faults, with unique kebab-case types', () => {
    expect(failureTypes('series')).toEqual(['time-warp', 'gaussian-noise', 'linear-trend', 'time-cutout', 'flip', 'channel-scaling', 'spikes', 'stuck-at', 'time-lag', 'subcarrier-loss', 'radio-interference']);
    expect(failureTypes('image')).toEqual(['color-jitter', 'gaussian-blur', 'dust', 'lens-flare', 'water-drops', 'scratches', 'perlin-noise', 'pixel-gaussian', 'pixel-constant']);
    expect(failureTypes()).toHaveLength(FAILURES.length);
    expect(new Set(failureTypes()).size).toBe(FAILURES.length);
    for (const f of FAILURES) {
      expect(f.type).toMatch(/^[a-z]+(-[a-z]+)*$/);
      expect(f.label.length).toBeGreaterThan(0);
      expect(f.description.length).toBeGreaterThan(20);
    }
  });

  it('rejects an unknown type with a user error naming it, the nearest type and the known ones', () => {
    let error: unknown;
    try {
      failureByType('gausian-blur');
    } catch (e) {
      error = e;
    }
    expect(isUserInputError(error)).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain('Unknown failure type "gausian-blur"');
    expect(message).toContain('Did you mean "gaussian-blur"?');
    expect(message).toContain('time-warp, gaussian-noise');
  });

  it('rejects an image failure for series samples, and an empty type list', () => {
    const batch = randomSeries(8, 3, 1);
    expect(() => applyRandomFailures(batch, 1, [8, 3], 'series', 1, createRng(1), ['flip', 'dust'])).toThrow(/"dust" corrupts image samples/);
    expect(() => applyRandomFailures(batch, 1, [8, 3], 'series', 1, createRng(1), [])).toThrow('No failure types');
  });

  it('rejects a severity outside [0, 1], a shape of the wrong rank or size, and a batch too small', () => {
    const flip = failureByType('flip');
    expect(() => flip.apply(new Float32Array(6), [3, 2], 1.5, createRng(1))).toThrow('severity must be in [0, 1]');
    expect(() => flip.apply(new Float32Array(6), [3, 2], NaN, createRng(1))).toThrow('severity must be in [0, 1]');
    expect(() => flip.apply(new Float32Array(6), [6], 1, createRng(1))).toThrow('expected a shape of 2');
    expect(() => flip.apply(new Float32Array(6), [4, 2], 1, createRng(1))).toThrow('sample holds 6 values');
    expect(() => applyFailureToBatch(new Float32Array(10), 2, [3, 2], flip, 1, createRng(1))).toThrow('too few for 2 samples');
  });
});

describe.each(FAILURES.map((f) => [f.type, f] as [string, FailureDefinition]))('%s', (_type, failure) => {
  const shapes = failure.target === 'image' ? imageShapes : [seriesShape, [7, 1]];
  const make = (shape: number[], seed: number) => (failure.target === 'image' ? randomImage(shape[0], shape[1], shape[2], seed) : randomSeries(shape[0], shape[1], seed));

  it('leaves the sample bit-identical at severity 0', () => {
    for (const shape of shapes) {
      const sample = make(shape, 7);
      const out = applied(failure.type, sample, shape, 0, 3);
      expect(Buffer.from(out.buffer).equals(Buffer.from(sample.buffer))).toBe(true);
    }
  });

  it('is deterministic for equal seeds, differs between seeds, and changes the sample at severity 1', () => {
    const shape = shapes[0];
    const sample = make(shape, 11);
    const a = applied(failure.type, sample, shape, 1, 5);
    expect(Array.from(applied(failure.type, sample, shape, 1, 5))).toEqual(Array.from(a));
    expect(Array.from(a)).not.toEqual(Array.from(sample));
    // Flip at severity 1 negates every channel whatever the seed, so it is the one exception.
    if (failure.type !== 'flip') expect(Array.from(applied(failure.type, sample, shape, 1, 6))).not.toEqual(Array.from(a));
  });

  it(failure.target === 'image' ? 'keeps every value in [0, 1] at any severity' : 'keeps every value finite at any severity', () => {
    for (const shape of shapes) {
      for (const seed of SEEDS) {
        for (const severity of [0.3, 1]) {
          const out = applied(failure.type, make(shape, seed), shape, severity, seed);
          expect(firstFailing(out, (v) => (failure.target === 'image' ? v >= 0 && v <= 1 : Number.isFinite(v)))).toBe(-1);
        }
      }
    }
  });
});

describe('series failures', () => {
  it('gaussian-noise adds zero-mean noise of std 0.9 × severity', () => {
    const out = applied('gaussian-noise', new Float32Array(200 * 50), [200, 50], 0.5, 1);
    expect(std(out)).toBeCloseTo(0.45, 2);
    expect(Math.abs(out.reduce((a, b) => a + b, 0) / out.length)).toBeLessThan(0.02);
  });

  it('flip applied twice is the identity, and negates a share `severity` of the channels', () => {
    const sample = randomSeries(30, 8, 2);
    const once = applied('flip', sample, [30, 8], 1, 1);
    expect(Array.from(once)).toEqual(Array.from(sample, (v) => -v));
    expect(Array.from(applied('flip', once, [30, 8], 1, 9))).toEqual(Array.from(sample));
    const half = applied('flip', sample, [30, 8], 0.5, 3);
    const negated = [0, 1, 2, 3, 4, 5, 6, 7].filter((c) => column(half, 8, c).every((v, t) => v === -sample[t * 8 + c]));
    const kept = [0, 1, 2, 3, 4, 5, 6, 7].filter((c) => column(half, 8, c).every((v, t) => v === sample[t * 8 + c]));
    expect(negated).toHaveLength(4);
    expect(kept).toHaveLength(4);
  });

  it('time-cutout zeroes one block of 5–25 whole rows (scaled by severity, clipped to L)', () => {
    for (const [steps, severity, shortest, longest] of [
      [100, 1, 5, 25],
      [100, 0.4, 2, 10],
      [8, 1, 5, 8],
    ]) {
      const lengths = new Set<number>();
      for (let seed = 0; seed < 40; seed++) {
        const out = applied('time-cutout', new Float32Array(steps * 3).fill(1), [steps, 3], severity, seed);
        const zeroRows = Array.from({ length: steps }, (_, t) => out[t * 3] === 0);
        expect(firstFailing(out, (v, i) => v === (zeroRows[Math.floor(i / 3)] ? 0 : 1))).toBe(-1);
        const blocks = runs(zeroRows);
        expect(blocks).toHaveLength(1);
        expect(blocks[0][1]).toBeGreaterThanOrEqual(shortest);
        expect(blocks[0][1]).toBeLessThanOrEqual(longest);
        lengths.add(blocks[0][1]);
      }
      expect(lengths.size).toBeGreaterThan(2);
    }
  });

  it('linear-trend adds exactly a line per channel with |slope| and |bias| in [0.1, 0.6] × severity', () => {
    const steps = 50;
    const signs = new Set<number>();
    for (const severity of [1, 0.5]) {
      for (const seed of SEEDS) {
        const sample = randomSeries(steps, 4, seed);
        const out = applied('linear-trend', sample, [steps, 4], severity, seed);
        for (let c = 0; c < 4; c++) {
          const residual = column(out, 4, c).map((v, t) => v - sample[t * 4 + c]);
          const bias = residual[0];
          const slope = residual[steps - 1] - bias; // change over the whole window
          for (const value of [bias, slope]) {
            expect(Math.abs(value)).toBeGreaterThanOrEqual(0.1 * severity - 1e-5);
            expect(Math.abs(value)).toBeLessThanOrEqual(0.6 * severity + 1e-5);
            signs.add(Math.sign(value));
          }
          expect(firstFailing(residual, (r, t) => Math.abs(r - (bias + (slope * t) / (steps - 1))) < 1e-5)).toBe(-1);
        }
      }
    }
    expect(signs).toEqual(new Set([-1, 1]));
  });

  it('channel-scaling multiplies each channel by one gain in [1/3, 3]', () => {
    const sample = randomSeries(40, 6, 4);
    const out = applied('channel-scaling', sample, [40, 6], 1, 4);
    for (let c = 0; c < 6; c++) {
      const gains = column(out, 6, c).map((v, t) => v / sample[t * 6 + c]);
      expect(firstFailing(gains, (g) => Math.abs(g - gains[0]) < 1e-4 * gains[0])).toBe(-1);
      expect(gains[0]).toBeGreaterThanOrEqual(1 / 3);
      expect(gains[0]).toBeLessThanOrEqual(3);
    }
  });

  it('time-warp keeps the end points and stays monotone on a ramp, but moves the middle', () => {
    const steps = 60;
    const ramp = rampSeries(steps, 2, (c) => (c === 0 ? 0 : 500));
    for (const seed of SEEDS) {
      const out = applied('time-warp', ramp, [steps, 2], 1, seed);
      for (const c of [0, 1]) {
        const values = column(out, 2, c);
        expect(values[0]).toBe(ramp[c]);
        expect(values[steps - 1]).toBe(ramp[(steps - 1) * 2 + c]);
        expect(firstFailing(values, (v, t) => t === 0 || v > values[t - 1])).toBe(-1);
      }
      const moved = Math.max(...column(out, 2, 0).map((v, t) => Math.abs(v - t)));
      expect(moved).toBeGreaterThan(1);
    }
    // The warp itself: strictly increasing from 0 to L − 1, and local speed at most 3:1.
    const warp = randomTimeWarp(steps, 3, createRng(8));
    const speeds = Array.from({ length: steps - 1 }, (_, t) => warp[t + 1] - warp[t]);
    expect(warp[0]).toBe(0);
    expect(warp[steps - 1]).toBe(steps - 1);
    expect(Math.min(...speeds)).toBeGreaterThan(0);
    expect(Math.max(...speeds) / Math.min(...speeds)).toBeLessThanOrEqual(3 + 1e-9);
  });

  it('stuck-at freezes a quarter of the channels at their value from some step on, leaving the rest untouched', () => {
    const [steps, channels] = [50, 8];
    for (const seed of SEEDS) {
      const sample = randomSeries(steps, channels, seed);
      const out = applied('stuck-at', sample, [steps, channels], 1, seed);
      let stuck = 0;
      for (let c = 0; c < channels; c++) {
        const changed = column(out, channels, c).map((v, t) => v !== sample[t * channels + c]);
        if (!changed.some(Boolean)) continue;
        stuck++;
        const from = changed.indexOf(true) - 1; // the last step before the freeze keeps its value
        expect(changed.slice(from + 1).every(Boolean)).toBe(true);
        expect(steps - 1 - from).toBeGreaterThanOrEqual(Math.round(0.5 * (steps - 1)));
        expect(firstFailing(column(out, channels, c).slice(from + 1), (v) => v === sample[from * channels + c])).toBe(-1);
      }
      expect(stuck).toBe(2);
    }
  });

  it('time-lag on ramps gives the same ramps shifted by k steps, edge-padded, on half of the channels', () => {
    const [steps, channels] = [40, 6];
    const ramp = rampSeries(steps, channels);
    const lags = new Set<number>();
    for (const seed of SEEDS) {
      const out = applied('time-lag', ramp, [steps, channels], 1, seed);
      let delayed = 0;
      for (let c = 0; c < channels; c++) {
        const values = column(out, channels, c).map((v) => v - 1000 * c);
        const lag = values.filter((v) => v === 0).length - 1; // row 0 is repeated lag times
        if (lag === 0) {
          expect(values).toEqual(Array.from({ length: steps }, (_, t) => t));
          continue;
        }
        delayed++;
        lags.add(lag);
        expect(lag).toBeLessThanOrEqual(steps / 4);
        expect(values).toEqual(Array.from({ length: steps }, (_, t) => Math.max(0, t - lag)));
      }
      expect(delayed).toBe(3);
    }
    expect(lags.size).toBeGreaterThan(1);
  });

  it('spikes add ±4–8 to 2% of the values', () => {
    const out = applied('spikes', new Float32Array(100 * 10), [100, 10], 1, 3);
    const hit = Array.from(out).filter((v) => v !== 0);
    expect(hit).toHaveLength(20);
    expect(firstFailing(hit, (v) => Math.abs(v) >= 4 && Math.abs(v) <= 8)).toBe(-1);
    expect(hit.some((v) => v < 0) && hit.some((v) => v > 0)).toBe(true);
  });

  it('subcarrier-loss zeroes 1–3 blocks of adjacent channels over the whole window', () => {
    const [steps, channels] = [20, 64];
    for (const seed of SEEDS) {
      const out = applied('subcarrier-loss', new Float32Array(steps * channels).fill(1), [steps, channels], 1, seed);
      const lost = Array.from({ length: channels }, (_, c) => out[c] === 0);
      for (let c = 0; c < channels; c++) expect(column(out, channels, c).every((v) => v === (lost[c] ? 0 : 1))).toBe(true);
      const blocks = runs(lost);
      expect(blocks.length).toBeGreaterThanOrEqual(1);
      expect(blocks.length).toBeLessThanOrEqual(3);
      expect(lost.filter(Boolean).length).toBeLessThanOrEqual(3 * Math.round(0.15 * channels));
    }
  });

  it('radio-interference adds power to one rectangle of adjacent channels and consecutive steps', () => {
    const [steps, channels] = [64, 40];
    for (const seed of SEEDS) {
      const out = applied('radio-interference', new Float32Array(steps * channels), [steps, channels], 1, seed);
      const rows = Array.from({ length: steps }, (_, t) => column(out, 1, 0).slice(t * channels, (t + 1) * channels).some((v) => v !== 0));
      const cols = Array.from({ length: channels }, (_, c) => column(out, channels, c).some((v) => v !== 0));
      expect(runs(rows)).toHaveLength(1);
      expect(runs(cols)).toHaveLength(1);
      const [t0, duration] = runs(rows)[0];
      const [c0, width] = runs(cols)[0];
      expect(duration).toBeGreaterThanOrEqual(0.25 * steps - 1);
      expect(width).toBeLessThanOrEqual(Math.round(0.2 * channels));
      const inside = (i: number) => Math.floor(i / channels) >= t0 && Math.floor(i / channels) < t0 + duration && i % channels >= c0 && i % channels < c0 + width;
      expect(firstFailing(out, (v, i) => (v !== 0) === inside(i))).toBe(-1);
      expect(std(out)).toBeGreaterThan(0.05);
    }
  });
});

describe('image failures', () => {
  it('the blur kernel sums to 1', () => {
    for (const [sigma, radius] of [
      [0.3, 1],
      [2, 6],
      [9, 12],
    ]) {
      expect(gaussianKernel(sigma, radius).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      expect(gaussianKernel(sigma, radius)).toHaveLength(2 * radius + 1);
    }
  });

  it('gaussian-blur keeps a constant image constant', () => {
    const out = applied('gaussian-blur', new Float32Array(24 * 30 * 3).fill(0.37), [24, 30, 3], 1, 2);
    expect(firstFailing(out, (v) => Math.abs(v - 0.37) < 1e-6)).toBe(-1);
  });

  it('gaussian-blur spreads an interior impulse without changing its sum, within the kernel radius', () => {
    for (const size of [64, 256]) {
      const radius = Math.min(12, Math.round(size / 5));
      const spreads = new Set<number>();
      for (const seed of SEEDS) {
        const image = new Float32Array(size * size);
        const centre = (size / 2) * size + size / 2;
        image[centre] = 1;
        const out = applied('gaussian-blur', image, [size, size, 1], 1, seed);
        expect(out.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
        expect(out[centre]).toBeLessThan(1);
        expect(std(out)).toBeLessThan(std(image));
        const reach = Math.max(...Array.from(out.keys()).filter((i) => out[i] > 0).map((i) => Math.abs((i % size) - size / 2)));
        expect(reach).toBeLessThanOrEqual(radius);
        spreads.add(reach);
      }
      // At 256 pixels the reference 25×25 kernel (radius 12) is reached by the larger σ.
      if (size === 256) expect(Math.max(...spreads)).toBe(12);
    }
  });

  it('perlin noise is zero at lattice points, bounded, and continuous', () => {
    const noise = createPerlinNoise2D(createRng(3));
    for (const [x, y] of [
      [0, 0],
      [5, 17],
      [-3, 250],
      [300, -41],
    ]) {
      expect(noise(x, y)).toBe(0);
    }
    let largest = 0;
    for (let x = 0; x < 20; x += 0.13) for (let y = 0; y < 20; y += 0.17) largest = Math.max(largest, Math.abs(noise(x, y)));
    expect(largest).toBeGreaterThan(0.3);
    expect(largest).toBeLessThanOrEqual(1 + 1e-9);
  });

  it('perlin-noise adds smooth grey noise: neighbours differ far less than in white noise', () => {
    const [h, w] = [64, 64];
    const out = applied('perlin-noise', new Float32Array(h * w * 3).fill(0.5), [h, w, 3], 0.4, 4);
    const added = Float32Array.from({ length: h * w }, (_, p) => out[p * 3] - 0.5);
    expect(firstFailing(out, (v, i) => v === out[i - (i % 3)])).toBe(-1);
    let step = 0;
    for (let y = 0; y < h; y++) for (let x = 1; x < w; x++) step += Math.abs(added[y * w + x] - added[y * w + x - 1]) / (h * (w - 1));
    expect(std(added)).toBeGreaterThan(0.02);
    // White noise of the same std would give a mean neighbour step of 2σ/√π ≈ 1.13σ.
    expect(step / std(added)).toBeLessThan(0.4);
  });

  it.each([
    ['pixel-constant', 1, 0.3],
    ['pixel-constant', 0.5, 0.15],
    ['pixel-gaussian', 1, 0.3],
  ])('%s at severity %p replaces about %p of the pixels', (type, severity, share) => {
    const [h, w] = [128, 128];
    const image = randomImage(h, w, 3, 5);
    const out = applied(type, image, [h, w, 3], severity, 5);
    const changed = Array.from({ length: h * w }, (_, p) => p).filter((p) => [0, 1, 2].some((c) => out[p * 3 + c] !== image[p * 3 + c]));
    expect(Math.abs(changed.length / (h * w) - share)).toBeLessThan(0.015);
    if (type === 'pixel-constant') expect(firstFailing(changed, (p) => [0, 1, 2].every((c) => out[p * 3 + c] === out[changed[0] * 3]))).toBe(-1);
  });

  it('color-jitter keeps a grey image grey and changes it', () => {
    const [h, w] = [16, 16];
    const grey = Float32Array.from({ length: h * w * 3 }, (_, i) => ((Math.floor(i / 3) % 7) + 1) / 9);
    for (const seed of SEEDS) {
      const out = applied('color-jitter', grey, [h, w, 3], 1, seed);
      expect(firstFailing(out, (v, i) => Math.abs(v - out[i - (i % 3)]) < 1e-5)).toBe(-1);
      expect(Array.from(out)).not.toEqual(Array.from(grey));
    }
  });

  it('lens-flare only adds light', () => {
    const image = randomImage(40, 40, 3, 6);
    const out = applied('lens-flare', image, [40, 40, 3], 1, 6);
    expect(firstFailing(out, (v, i) => v >= image[i])).toBe(-1);
    expect(out.reduce((a, b) => a + b, 0)).toBeGreaterThan(image.reduce((a, b) => a + b, 0) + 10);
  });

  it('dust only darkens a white image, and on a small share of it', () => {
    const [h, w] = [64, 64];
    const out = applied('dust', new Float32Array(h * w).fill(1), [h, w, 1], 1, 7);
    const darkened = Array.from(out).filter((v) => v < 1);
    expect(darkened.length).toBeGreaterThan(0.005 * h * w);
    expect(darkened.length).toBeLessThan(0.5 * h * w);
    expect(Math.min(...darkened)).toBeLessThan(0.6);
  });

  it('water-drops on a flat image only brighten it (rim and highlight), on under half of it', () => {
    const [h, w] = [64, 64];
    for (const seed of SEEDS) {
      const out = applied('water-drops', new Float32Array(h * w).fill(0.3), [h, w, 1], 1, seed);
      const changed = Array.from(out).filter((v) => Math.abs(v - 0.3) > 1e-6);
      expect(firstFailing(out, (v) => v >= 0.3 - 1e-6)).toBe(-1);
      expect(Math.max(...out)).toBeGreaterThan(0.5);
      expect(changed.length).toBeLessThan(0.5 * h * w);
    }
  });

  it('water-drops blur and magnify what lies beneath: fine stripes lose pixel-to-pixel contrast', () => {
    const [h, w] = [64, 64];
    const stripes = Float32Array.from({ length: h * w }, (_, i) => ((i % w) % 2 === 0 ? 0.2 : 0.8));
    const out = applied('water-drops', stripes, [h, w, 1], 1, 3);
    const changedShare = Array.from(out).filter((v, i) => v !== stripes[i]).length / (h * w);
    expect(changedShare).toBeGreaterThan(0.02);
    // Blur and magnification lower the pixel-to-pixel contrast where drops sit.
    let contrast = 0;
    let original = 0;
    for (let i = 1; i < h * w; i++) {
      contrast += Math.abs(out[i] - out[i - 1]);
      original += Math.abs(stripes[i] - stripes[i - 1]);
    }
    expect(contrast).toBeLessThan(original);
  });

  it('scratches draw thin bright or dark strokes on a small share of the image', () => {
    const [h, w] = [64, 64];
    let bright = 0;
    let dark = 0;
    for (const seed of SEEDS) {
      const out = applied('scratches', new Float32Array(h * w).fill(0.5), [h, w, 1], 1, seed);
      const changed = Array.from(out).filter((v) => v !== 0.5);
      expect(changed.length).toBeGreaterThan(10);
      expect(changed.length).toBeLessThan(0.3 * h * w);
      bright += changed.filter((v) => v > 0.7).length;
      dark += changed.filter((v) => v < 0.3).length;
    }
    expect(bright).toBeGreaterThan(0);
    expect(dark).toBeGreaterThan(0);
  });
});

describe('batch application', () => {
  it('applyFailureToBatch corrupts samples [0, count) only, as applying one by one would', () => {
    const shape = [10, 3];
    const batch = randomSeries(5 * 10, 3, 8);
    const out = batch.slice();
    applyFailureToBatch(out, 3, shape, failureByType('gaussian-noise'), 1, createRng(2));
    const rng = createRng(2);
    for (let s = 0; s < 5; s++) {
      const one = batch.slice(s * 30, (s + 1) * 30);
      if (s < 3) failureByType('gaussian-noise').apply(one, shape, 1, rng);
      expect(Array.from(out.subarray(s * 30, (s + 1) * 30))).toEqual(Array.from(one));
    }
  });

  it('applyRandomFailures draws every type about equally often and reports the choice', () => {
    const count = 2200;
    const shape = [8, 3];
    const batch = randomSeries(count * 8, 3, 9);
    const chosen = applyRandomFailures(batch, count, shape, 'series', 1, createRng(9));
    expect(chosen).toBeInstanceOf(Int32Array);
    expect(chosen).toHaveLength(count);
    const types = failureTypes('series');
    const tally = types.map((_, k) => chosen.filter((c) => c === k).length);
    expect(tally.reduce((a, b) => a + b, 0)).toBe(count);
    for (const n of tally) expect(Math.abs(n - count / types.length)).toBeLessThan(60); // ≈ 4.4 standard deviations
  });

  it('applyRandomFailures labels each sample with the failure it got', () => {
    const count = 200;
    const shape = [12, 2];
    const batch = randomSeries(count * 12, 2, 10);
    const out = batch.slice();
    const chosen = applyRandomFailures(out, count, shape, 'series', 1, createRng(10), ['flip', 'gaussian-noise']);
    for (let s = 0; s < count; s++) {
      const before = Array.from(batch.subarray(s * 24, (s + 1) * 24));
      const after = Array.from(out.subarray(s * 24, (s + 1) * 24));
      if (chosen[s] === 0) expect(after).toEqual(before.map((v) => -v));
      else expect(after.every((v, i) => v !== -before[i] && v !== before[i])).toBe(true);
    }
    expect(chosen.includes(0) && chosen.includes(1)).toBe(true);
  });

  it('applyRandomFailures works on images', () => {
    const shape = [16, 16, 3];
    const batch = randomImage(40 * 16, 16, 3, 11);
    const chosen = applyRandomFailures(batch, 40, shape, 'image', 1, createRng(11));
    expect(new Set(chosen).size).toBeGreaterThan(5);
    expect(firstFailing(batch, (v) => v >= 0 && v <= 1)).toBe(-1);
  });
});
