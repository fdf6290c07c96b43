import { bootstrapPairs, bootstrapTwoSamples } from './bootstrap';
import { cliffsDelta, mean, pairedRankBiserial, standardDeviationRatio } from './statistics';
import { gaussianStream } from './testing/random-data';

const meanDifference = (a: Float64Array, b: Float64Array) => mean(a) - mean(b);

function normalSample(seed: number, n: number, shift = 0): number[] {
  const normal = gaussianStream(seed);
  return Array.from({ length: n }, () => normal() + shift);
}

describe('bootstrapTwoSamples', () => {
  it('contains the point estimate, for the difference of means and for Cliff’s δ', () => {
    const a = normalSample(1, 12);
    const b = normalSample(2, 15, 0.7);
    for (const statistic of [meanDifference, cliffsDelta]) {
      const ci = bootstrapTwoSamples(a, b, statistic, { seed: 5 });
      expect(ci.estimate).toBeCloseTo(statistic(Float64Array.from(a), Float64Array.from(b)), 14);
      expect(ci.lower).toBeLessThan(ci.estimate);
      expect(ci.upper).toBeGreaterThan(ci.estimate);
      expect(ci).toMatchObject({ level: 0.95, resamples: 2000 });
    }
  });

  it('has about the normal-theory width ±1.96 σ √(1/n + 1/m) for a difference of means, shrinking like 1/√n', () => {
    const width = (n: number) => {
      const ci = bootstrapTwoSamples(normalSample(10 + n, n), normalSample(20 + n, n, 1), meanDifference, { seed: n });
      return ci.upper - ci.lower;
    };
    const small = width(20);
    const large = width(320);
    // σ = 1 in both groups; the bootstrap's (n − 1)/n variance and sampling noise allow 15 %.
    expect(large / (2 * 1.96 * Math.sqrt(2 / 320))).toBeGreaterThan(0.85);
    expect(large / (2 * 1.96 * Math.sqrt(2 / 320))).toBeLessThan(1.15);
    expect(small / large).toBeGreaterThan(4 * 0.75);
    expect(small / large).toBeLessThan(4 * 1.25);
  });

  it('covers the true difference of means in about 95 % of repeated experiments', () => {
    let covered = 0;
    const experiments = 200;
    for (let e = 0; e < experiments; e++) {
      const ci = bootstrapTwoSamples(normalSample(1000 + e, 25), normalSample(5000 + e, 25, 0.5), meanDifference, { seed: e, resamples: 400 });
      if (ci.lower <= -0.5 && -0.5 <= ci.upper) covered++;
    }
    // The percentile interval runs a little short at n = 25 (≈ 93–94 %); about ±3 binomial SE around that.
    expect(covered / experiments).toBeGreaterThan(0.89);
    expect(covered / experiments).toBeLessThan(0.98);
  });

  it('is the same under the same seed and differs under another', () => {
    const a = normalSample(3, 8);
    const b = normalSample(4, 8, 0.2);
    const first = bootstrapTwoSamples(a, b, cliffsDelta, { seed: 42 });
    expect(bootstrapTwoSamples(a, b, cliffsDelta, { seed: 42 })).toEqual(first);
    const other = bootstrapTwoSamples(a, b, meanDifference, { seed: 43 });
    expect(other.lower).not.toBe(bootstrapTwoSamples(a, b, meanDifference, { seed: 42 }).lower);
  });

  it('handles samples with no spread: all equal, or completely separated', () => {
    const equal = [0.5, 0.5, 0.5, 0.5];
    expect(bootstrapTwoSamples(equal, equal, cliffsDelta, { seed: 1 })).toMatchObject({ estimate: 0, lower: 0, upper: 0 });
    expect(bootstrapTwoSamples(equal, equal, meanDifference, { seed: 1 })).toMatchObject({ estimate: 0, lower: 0, upper: 0 });
    expect(bootstrapTwoSamples(equal, equal, standardDeviationRatio, { seed: 1 })).toMatchObject({ estimate: 1, lower: 1, upper: 1 });
    expect(bootstrapTwoSamples([1, 2, 3], [7, 8, 9], cliffsDelta, { seed: 1 })).toMatchObject({ estimate: -1, lower: -1, upper: -1 });
    expect(() => bootstrapTwoSamples([], [1], cliffsDelta)).toThrow(/both samples/);
    expect(() => bootstrapTwoSamples([1], [1], cliffsDelta, { level: 1 })).toThrow(/level/);
  });
});

describe('bootstrapPairs', () => {
  it('resamples pairs together: a constant paired difference has a zero-width interval', () => {
    const a = normalSample(6, 10);
    const b = a.map((v) => v + 1);
    expect(bootstrapPairs(a, b, meanDifference, { seed: 2 })).toMatchObject({ lower: expect.closeTo(-1, 12), upper: expect.closeTo(-1, 12) });
    // Resampled as independent groups the same data give a wide interval.
    const independent = bootstrapTwoSamples(a, b, meanDifference, { seed: 2 });
    expect(independent.upper - independent.lower).toBeGreaterThan(0.5);
    expect(bootstrapPairs(a, b, pairedRankBiserial, { seed: 2 })).toMatchObject({ estimate: -1, lower: -1, upper: -1 });
    expect(() => bootstrapPairs([1, 2], [1], meanDifference)).toThrow(/equal/);
  });
});
