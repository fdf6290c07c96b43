import { channelStatistics, concatBlocks, slidingWindows, splitEpisodes, standardize, windowCount } from './transforms';

describe('slidingWindows', () => {
  const series = Float32Array.from({ length: 10 * 2 }, (_, i) => i); // 10 rows of 2 channels: row r = [2r, 2r+1]

  it('takes the rows of each window in order, step apart', () => {
    expect(windowCount(10, 4, 1)).toBe(7);
    expect(windowCount(10, 4, 3)).toBe(3);
    expect(windowCount(3, 4, 1)).toBe(0);
    const w = slidingWindows(series, 10, 2, 4, 3);
    expect(w.length).toBe(3 * 4 * 2);
    expect(Array.from(w.subarray(8, 16))).toEqual([6, 7, 8, 9, 10, 11, 12, 13]); // rows 3..6
  });

  it('rejects a series whose length does not match its shape', () => {
    expect(() => slidingWindows(series, 9, 2, 4)).toThrow('series holds 20 values, expected 9 × 2');
  });
});

describe('standardize', () => {
  it('maps the statistics\' own data to mean 0 and std 1 per channel, and leaves constant channels finite', () => {
    const data = Float32Array.from([1, 5, 7, 3, 5, 7, 5, 5, 7]);
    const stats = channelStatistics(data, 3);
    expect(Array.from(stats.mean)).toEqual([3, 5, 7]);
    expect(stats.std[0]).toBeCloseTo(Math.sqrt(8 / 3), 6);
    expect(stats.std[1]).toBe(1);
    standardize(data, 3, stats);
    const after = channelStatistics(data, 3);
    expect(after.mean[0]).toBeCloseTo(0, 6);
    expect(after.std[0]).toBeCloseTo(1, 6);
    expect(Array.from(data.filter((_, i) => i % 3 === 1))).toEqual([0, 0, 0]);
  });
});

describe('splitEpisodes', () => {
  it('puts every episode in exactly one split, at least one in each', () => {
    const { train, test } = splitEpisodes(8, 0.25, [3, 1, 4, 0, 5, 2, 7, 6]);
    expect(test).toEqual([6, 7]);
    expect([...train, ...test].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(splitEpisodes(2, 0.01, [1, 0]).test).toHaveLength(1);
    expect(splitEpisodes(2, 0.99, [1, 0]).train).toHaveLength(1);
  });

  it('concatenates blocks', () => {
    expect(Array.from(concatBlocks([Float32Array.of(1, 2), Float32Array.of(3)]))).toEqual([1, 2, 3]);
  });
});
