import {
  binomial,
  levenePermutationTest,
  MONTE_CARLO_PERMUTATIONS,
  pairedMinimumP,
  PermutationPValues,
  rankSumTest,
  signedRankTest,
  smallestPairedSize,
  smallestTwoSampleSize,
  twoSampleMinimumP,
} from './permutation-tests';
import { midRanksByCounting, subsets } from './testing/enumeration';
import { gaussianStream } from './testing/random-data';

/** One-sided tail probabilities of a statistic over equally likely outcomes, counted one by one. */
function tails(outcomes: number[], observed: number, tolerance = 1e-9): { less: number; greater: number } {
  return {
    less: outcomes.filter((s) => s <= observed + tolerance).length / outcomes.length,
    greater: outcomes.filter((s) => s >= observed - tolerance).length / outcomes.length,
  };
}

/** Rank-sum p-values by listing every split of the pooled sample. */
function bruteForceRankSum(a: number[], b: number[]): { less: number; greater: number } {
  const ranks = midRanksByCounting([...a, ...b]);
  const sumOf = (indices: number[]) => indices.reduce((s, i) => s + ranks[i], 0);
  const outcomes = [...subsets(ranks.length, a.length)].map(sumOf);
  return tails(outcomes, sumOf(a.map((_, i) => i)));
}

/** Signed-rank p-values by listing every sign pattern of the non-zero differences. */
function bruteForceSignedRank(a: number[], b: number[]): { less: number; greater: number } {
  const differences = a.map((v, i) => v - b[i]).filter((d) => d !== 0);
  const ranks = midRanksByCounting(differences.map(Math.abs));
  const outcomes: number[] = [];
  for (let mask = 0; mask < 2 ** differences.length; mask++) outcomes.push(ranks.reduce((s, r, i) => s + (mask & (1 << i) ? r : 0), 0));
  return tails(outcomes, ranks.reduce((s, r, i) => s + (differences[i] > 0 ? r : 0), 0));
}

/** Levene p-values by listing every split of the pooled absolute deviations, on the difference of their means. */
function bruteForceLevene(a: number[], b: number[]): { less: number; greater: number } {
  const deviations = (x: number[]) => x.map((v) => Math.abs(v - x.reduce((s, w) => s + w, 0) / x.length));
  const pooled = [...deviations(a), ...deviations(b)];
  const difference = (chosen: number[]) => {
    const inA = chosen.reduce((s, i) => s + pooled[i], 0);
    const all = pooled.reduce((s, z) => s + z, 0);
    return inA / a.length - (all - inA) / b.length;
  };
  const outcomes = [...subsets(pooled.length, a.length)].map(difference);
  return tails(outcomes, difference(a.map((_, i) => i)));
}

/** An exact test's p-values against those counted one by one. */
function expectCounted(test: PermutationPValues, counted: { less: number; greater: number }): void {
  expect(test.method).toBe('exact');
  expect(test.less).toBeCloseTo(counted.less, 12);
  expect(test.greater).toBeCloseTo(counted.greater, 12);
}

/** Small integers from a seeded normal: plenty of ties. */
function tiedSample(normal: () => number, n: number, shift: number): number[] {
  return Array.from({ length: n }, () => Math.round(normal() * 1.5 + shift));
}

describe('rankSumTest', () => {
  it('gives 1/C(n + m, n) for complete separation: 1/20, 1/70, 1/252', () => {
    expect(rankSumTest([1, 2, 3], [4, 5, 6]).less).toBe(1 / 20);
    expect(rankSumTest([1, 2, 3, 4], [5, 6, 7, 8]).less).toBe(1 / 70);
    const five = rankSumTest([0.1, 0.2, 0.3, 0.4, 0.5], [1, 2, 3, 4, 5]);
    expect(five).toMatchObject({ less: 1 / 252, greater: 1, method: 'exact', permutations: 252, minimumP: 1 / 252, rankSum: 15, u: 0 });
    // The other way round only the opposite tail is small.
    expect(rankSumTest([1, 2, 3, 4, 5], [0.1, 0.2, 0.3, 0.4, 0.5])).toMatchObject({ less: 1, greater: 1 / 252 });
  });

  it('matches enumeration of every split on small random samples with ties', () => {
    const normal = gaussianStream(7);
    for (const [n, m] of [[4, 6], [5, 5], [3, 7], [6, 4], [1, 8]]) {
      for (let repeat = 0; repeat < 4; repeat++) {
        const a = tiedSample(normal, n, 0);
        const b = tiedSample(normal, m, 0.8);
        expectCounted(rankSumTest(a, b), bruteForceRankSum(a, b));
      }
    }
  });

  it('gives the same p to the same rank pattern whatever the values, ties within a group included', () => {
    const small = rankSumTest([1, 2, 2, 5], [3, 4, 6, 6, 7]);
    const large = rankSumTest([10, 200, 200, 5000], [300, 4000, 6000, 6000, 7e6]);
    expect(large).toEqual(small);
    // Complete separation of 5 against 5 with and without ties in the second group: 1/252 both times.
    expect(rankSumTest([0.1, 0.11, 0.12, 0.13, 0.14], [1.414, 1.414, 1.414, 1.415, 1.413]).less).toBe(1 / 252);
    expect(rankSumTest([0.1, 0.11, 0.12, 0.13, 0.14], [1.41, 1.42, 1.43, 1.44, 1.45]).less).toBe(1 / 252);
  });

  it('says nothing when every value is tied', () => {
    expect(rankSumTest([2, 2, 2], [2, 2, 2, 2])).toMatchObject({ less: 1, greater: 1, method: 'exact' });
  });

  it('counts exactly at 20 against 20 (C(40, 20) splits) and samples beyond the size limit, with p = (1 + #as extreme)/(1 + draws)', () => {
    const normal = gaussianStream(11);
    const a = Array.from({ length: 20 }, () => normal());
    const b = Array.from({ length: 20 }, () => normal() + 0.5);
    const exact = rankSumTest(a, b);
    expect(exact).toMatchObject({ method: 'exact', permutations: 137846528820 });
    const sampled = rankSumTest(a, b, { method: 'monte-carlo' });
    expect(sampled.method).toBe('monte-carlo');
    expect(sampled.permutations).toBe(MONTE_CARLO_PERMUTATIONS);
    // Within 4 binomial standard errors of the exact value.
    const se = Math.sqrt((exact.less * (1 - exact.less)) / MONTE_CARLO_PERMUTATIONS);
    expect(Math.abs(sampled.less - exact.less)).toBeLessThan(4 * se);
    expect((sampled.less * (1 + MONTE_CARLO_PERMUTATIONS)) % 1).toBeCloseTo(0, 6);
    // Reproducible under its seed; another seed draws other splits.
    const fewer = rankSumTest(a, b, { method: 'monte-carlo', permutations: 20000 });
    expect(rankSumTest(a, b, { method: 'monte-carlo', permutations: 20000 })).toEqual(fewer);
    expect(rankSumTest(a, b, { method: 'monte-carlo', permutations: 20000, seed: 1 }).less).not.toBe(fewer.less);
    // Complete separation of 10 against 10: exact p = 1/184756 is below what 1,000 draws can show.
    const separated = rankSumTest([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [11, 12, 13, 14, 15, 16, 17, 18, 19, 20], { method: 'monte-carlo', permutations: 1000 });
    expect(separated.less).toBeCloseTo(1 / 1001, 15);
    expect(separated.minimumP).toBeCloseTo(1 / 1001, 15);
    // 130 values in all is past the exact limit: the choice depends on the sizes alone.
    const big = rankSumTest(Array.from({ length: 65 }, () => normal()), Array.from({ length: 65 }, () => normal()), { permutations: 2000 });
    expect(big.method).toBe('monte-carlo');
    expect(() => rankSumTest([1, 2], [3, 4], { method: 'exact' })).not.toThrow();
    expect(() => rankSumTest(Array(65).fill(1), Array(65).fill(2), { method: 'exact' })).toThrow(/too large/);
  });
});

describe('signedRankTest', () => {
  it('gives 2⁻ⁿ when every pair differs the same way', () => {
    expect(signedRankTest([2, 3, 4, 5, 6], [1, 1, 1, 1, 1])).toMatchObject({ greater: 1 / 32, less: 1, n: 5, wPlus: 15, wMinus: 0, minimumP: 1 / 32 });
    expect(signedRankTest([1, 1, 1, 1], [2, 3, 4, 5]).less).toBe(1 / 16);
  });

  it('matches enumeration of every sign pattern on small random pairs with tied and zero differences', () => {
    const normal = gaussianStream(3);
    for (const n of [4, 6, 9, 12]) {
      for (let repeat = 0; repeat < 4; repeat++) {
        const a = tiedSample(normal, n, 0.5);
        const b = tiedSample(normal, n, 0);
        const test = signedRankTest(a, b);
        expect(test.n).toBe(a.filter((v, i) => v !== b[i]).length);
        expectCounted(test, bruteForceSignedRank(a, b));
      }
    }
  });

  it('gives the same p to the same pattern of signed ranks whatever the values', () => {
    expect(signedRankTest([3, 5, 1, 8], [1, 1, 2, 1])).toEqual(signedRankTest([30, 500, 10, 9000], [10, 100, 20, 10]));
    expect(signedRankTest([1, 2], [1, 2])).toMatchObject({ n: 0, less: 1, greater: 1 });
    expect(() => signedRankTest([1, 2], [1])).toThrow(/equal lengths/);
  });

  it('samples sign patterns beyond the exact limit, close to the exact value', () => {
    const normal = gaussianStream(5);
    const a = Array.from({ length: 30 }, () => normal() + 0.3);
    const b = Array.from({ length: 30 }, () => normal());
    const exact = signedRankTest(a, b);
    const sampled = signedRankTest(a, b, { method: 'monte-carlo' });
    const se = Math.sqrt((exact.greater * (1 - exact.greater)) / MONTE_CARLO_PERMUTATIONS);
    expect(Math.abs(sampled.greater - exact.greater)).toBeLessThan(4 * se);
  });
});

describe('levenePermutationTest', () => {
  it('matches enumeration of every split of the absolute deviations', () => {
    const normal = gaussianStream(13);
    for (const [n, m] of [[5, 5], [4, 7], [6, 3]]) {
      const a = Array.from({ length: n }, () => normal() * 0.5);
      const b = Array.from({ length: m }, () => normal() * 2);
      expectCounted(levenePermutationTest(a, b), bruteForceLevene(a, b));
    }
  });

  it('finds the steadier group, counts tied splits as equally extreme, and needs 2 values per group', () => {
    // Spreads 1 and 10 around different means: the first varies less.
    const test = levenePermutationTest([9, 10, 11, 10.5, 9.5], [0, 10, 20, 5, 15]);
    expect(test.statistic).toBeCloseTo(0.6 - 6, 12);
    expect(test.less).toBeLessThan(0.05);
    // Deviations 1, 1, 1, 1 against 1, 1, 1, 1: every split ties with the observed one.
    expect(levenePermutationTest([0, 2, 0, 2], [5, 7, 5, 7])).toMatchObject({ less: 1, greater: 1 });
    // A sample and its shift spread equally: the statistic is 0 up to rounding (the deviations differ
    // in the last bits), and the null distribution is symmetric, so both tails must be equal.
    const shifted = levenePermutationTest([0, 0.1, 0.3, 0.6], [10, 10.1, 10.3, 10.6]);
    expect(shifted.statistic).toBeCloseTo(0, 12);
    expect(shifted.less).toBe(shifted.greater);
    expect(shifted.less).toBeCloseTo(bruteForceLevene([0, 0.1, 0.3, 0.6], [10, 10.1, 10.3, 10.6]).less, 12);
    expect(() => levenePermutationTest([1], [1, 2])).toThrow(/at least 2/);
  });
});

describe('attainable p-values', () => {
  it('are 1/C(n + m, n) and 2⁻ⁿ, and say how many trials reach α', () => {
    expect(binomial(40, 20)).toBe(137846528820);
    expect(binomial(5, 7)).toBe(0);
    expect(twoSampleMinimumP(3, 3)).toBe(1 / 20);
    expect(twoSampleMinimumP(3, 5)).toBe(1 / 56);
    expect(pairedMinimumP(4)).toBe(1 / 16);
    // 1/20 is not below 0.05 but 1/70 is; 1/70 ≈ 0.014 is not below 0.01 but 1/252 is.
    expect(smallestTwoSampleSize(0.05)).toBe(4);
    expect(smallestTwoSampleSize(0.01)).toBe(5);
    // 1/16 ≥ 0.05 > 1/32; 1/64 ≥ 0.01 > 1/128.
    expect(smallestPairedSize(0.05)).toBe(5);
    expect(smallestPairedSize(0.01)).toBe(7);
    expect(() => smallestPairedSize(0)).toThrow(/alpha/);
  });
});
