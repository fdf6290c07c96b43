import { inMemory } from '@mmfuse/core';
import { ARM_SENSOR_CHANNELS, SyntheticArmOptions, SyntheticArmSource, syntheticArmModalities } from './synthetic-arm';
import { channelStatistics } from './transforms';

const options: SyntheticArmOptions = { episodes: 8, framesPerEpisode: 20, imageSize: 24, window: 6, windowStep: 2, frameRate: 10, sensorNoise: 0.01, testFraction: 0.25 };

describe('SyntheticArmSource', () => {
  it('declares the modalities it produces, without generating data', () => {
    expect(syntheticArmModalities(options)).toEqual([
      { name: 'camera', kind: 'image', shape: [24, 24, 3] },
      { name: 'joints', kind: 'series', shape: [6, ARM_SENSOR_CHANNELS.length] },
    ]);
  });

  it('splits by episode: windows per episode times episodes per split', async () => {
    const data = await new SyntheticArmSource(options, 1).load();
    const perEpisode = Math.floor((20 - 6) / 2) + 1;
    expect(data.train.size).toBe(6 * perEpisode);
    expect(data.test.size).toBe(2 * perEpisode);
    expect(inMemory(data.train.arrays.camera).length).toBe(data.train.size * 24 * 24 * 3);
    expect(inMemory(data.test.arrays.joints).length).toBe(data.test.size * 6 * 6);
    const { trainEpisodes, testEpisodes } = data.description as { trainEpisodes: number[]; testEpisodes: number[] };
    expect([...trainEpisodes, ...testEpisodes].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('is deterministic from its seed, and differs for another seed', async () => {
    const [a, b, c] = await Promise.all([1, 1, 2].map((seed) => new SyntheticArmSource(options, seed).load()));
    expect(inMemory(b.train.arrays.camera)).toEqual(inMemory(a.train.arrays.camera));
    expect(inMemory(b.test.arrays.joints)).toEqual(inMemory(a.test.arrays.joints));
    expect(inMemory(c.train.arrays.joints)).not.toEqual(inMemory(a.train.arrays.joints));
  });

  it('scales images to [0, 1] and standardises sensors with training statistics only', async () => {
    const data = await new SyntheticArmSource(options, 3).load();
    const camera = inMemory(data.train.arrays.camera);
    expect(Math.min(...camera)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...camera)).toBeLessThanOrEqual(1);
    const train = channelStatistics(inMemory(data.train.arrays.joints), 6);
    train.mean.forEach((m) => expect(Math.abs(m)).toBeLessThan(1e-4));
    train.std.forEach((s) => expect(s).toBeCloseTo(1, 4));
    const test = channelStatistics(inMemory(data.test.arrays.joints), 6);
    expect(Math.max(...Array.from(test.mean, Math.abs))).toBeGreaterThan(1e-3);
  });

  it('shows the arm where the sensors say the hand is, in the frame that ends the window', async () => {
    const data = await new SyntheticArmSource({ ...options, sensorNoise: 0, imageSize: 48 }, 5).load();
    const { mean, std } = (data.description as { standardisation: { mean: number[]; std: number[] } }).standardisation;
    const size = 48;
    let hits = 0;
    for (let s = 0; s < data.train.size; s++) {
      const last = inMemory(data.train.arrays.joints).subarray((s * 6 + 5) * 6, (s * 6 + 6) * 6);
      const [hx, hy] = [4, 5].map((c) => last[c] * std[c] + mean[c]);
      const px = Math.min(size - 1, Math.floor(hx * size));
      const py = Math.min(size - 1, Math.floor(hy * size));
      const offset = s * size * size * 3 + (py * size + px) * 3;
      const [r, g, b] = inMemory(data.train.arrays.camera).subarray(offset, offset + 3);
      // The hand is drawn as a bright, near-white joint disc.
      if (r > 0.6 && g > 0.6 && b > 0.6) hits++;
    }
    expect(hits).toBe(data.train.size);
  });

  it('refuses a window longer than an episode', () => {
    expect(() => new SyntheticArmSource({ ...options, window: 30 }, 1)).toThrow('window 30 is longer than an episode (20 frames)');
  });
});
