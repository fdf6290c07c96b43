import {
  cliffsDelta,
  cohensD,
  hedgesCorrection,
  hedgesG,
  logGamma,
  mannWhitneyNullCounts,
  mannWhitneyU,
  mean,
  pairedRankBiserial,
  percentile,
  sampleStd,
  signedRankNullCounts,
  standardDeviationRatio,
  standardNormalCdf,
  wilcoxonSignedRank,
} from './statistics';
import { subsets } from './testing/enumeration';
import { gaussianStream } from './testing/random-data';

describe('summaries', () => {
  it('mean and sample standard deviation (n − 1)', () => {
    const values = [2, 4, 4, 4, 5, 5, 7, 9];
    expect(mean(values)).toBe(5);
    expect(sampleStd(values)).toBeCloseTo(Math.sqrt(32 / 7), 14);
    expect(sampleStd([3])).toBeNaN();
    expect(() => mean([])).toThrow(/no values/);
  });

  it("percentile interpolates linearly between order statistics (numpy's default)", () => {
    expect(percentile([15, 20, 35, 40, 50], 40)).toBeCloseTo(29, 14); // h = 1.6: 20 + 0.6 · 15
    expect(percentile([4, 1, 3, 2], 95)).toBeCloseTo(3.85, 14); // h = 2.85
    expect(percentile([4, 1, 3, 2], 50)).toBeCloseTo(2.5, 14);
    expect(percentile([4, 1, 3, 2], 0)).toBe(1);
    expect(percentile([4, 1, 3, 2], 100)).toBe(4);
    expect(percentile([7], 95)).toBe(7);
    expect(() => percentile([1, 2], 101)).toThrow(/q must be/);
    expect(() => percentile([1, NaN], 50)).toThrow(/NaN/);
  });
});

describe('effect sizes', () => {
  it("Cohen's d with the pooled standard deviation, on hand-computed examples", () => {
    // Means 3 and 5, both variances 2.5: d = −2 / √2.5.
    expect(cohensD([1, 2, 3, 4, 5], [3, 4, 5, 6, 7])).toBeCloseTo(-2 / Math.sqrt(2.5), 14);
    // Means 4 and 2, variances 4 (n = 3) and 2 (n = 4): s² = (2·4 + 3·2)/5 = 2.8.
    expect(cohensD([2, 4, 6], [1, 1, 2, 4])).toBeCloseTo(2 / Math.sqrt(2.8), 14);
  });

  it("Hedges' g applies the exact correction J(df) = Γ(df/2) / (√(df/2) Γ((df − 1)/2))", () => {
    expect(Math.exp(logGamma(5))).toBeCloseTo(24, 10);
    expect(Math.exp(logGamma(0.5))).toBeCloseTo(Math.sqrt(Math.PI), 12);
    expect(Math.exp(logGamma(0.25))).toBeCloseTo(3.625609908221908, 10);
    expect(hedgesCorrection(2)).toBeCloseTo(1 / Math.sqrt(Math.PI), 12); // Γ(1) / (1 · Γ(½))
    expect(hedgesCorrection(5)).toBeCloseTo((0.75 * Math.sqrt(Math.PI)) / Math.sqrt(2.5), 12); // Γ(5/2) = ¾√π, Γ(2) = 1
    // The usual approximation 1 − 3/(4 df − 1) is within ≈ 1e-4 by df = 18 (10 trials per fusion).
    expect(Math.abs(hedgesCorrection(18) - (1 - 3 / 71))).toBeLessThan(1.5e-4);
    const a = [1, 2, 3, 4, 5];
    const b = [3, 4, 5, 6, 7];
    expect(hedgesG(a, b)).toBeCloseTo(hedgesCorrection(8) * cohensD(a, b), 14);
  });

  it("Cliff's delta counts dominance, on a hand example and against brute force", () => {
    // a = 1 loses to 2, 2, 4; a = 2 ties 2, 2 and loses to 4; a = 3 beats 2, 2 and loses to 4: (2 − 5)/9.
    expect(cliffsDelta([1, 2, 3], [2, 2, 4])).toBeCloseTo(-1 / 3, 14);
    expect(cliffsDelta([5, 6], [1, 2, 3])).toBe(1);
    const normal = gaussianStream(31);
    const x = Array.from({ length: 23 }, () => Math.round(normal() * 3));
    const y = Array.from({ length: 17 }, () => Math.round(normal() * 3 + 1));
    let dominance = 0;
    for (const xi of x) for (const yj of y) dominance += Math.sign(xi - yj);
    expect(cliffsDelta(x, y)).toBeCloseTo(dominance / (23 * 17), 14);
  });
});

describe('paired and spread effect sizes', () => {
  it('matched-pairs rank-biserial r = (W⁺ − W⁻)/(W⁺ + W⁻) and the ratio of standard deviations, on hand examples', () => {
    // d = 2, 4, −1, 7: ranks of |d| 2, 3, 1, 4; W⁺ = 9, W⁻ = 1.
    expect(pairedRankBiserial([3, 5, 1, 8], [1, 1, 2, 1])).toBeCloseTo(0.8, 14);
    expect(pairedRankBiserial([1, 2], [1, 2])).toBe(0);
    expect(pairedRankBiserial([0, 0, 0], [1, 2, 3])).toBe(-1);
    expect(standardDeviationRatio([1, 2, 3], [2, 4, 6])).toBeCloseTo(0.5, 14);
    expect(standardDeviationRatio([1, 1], [2, 2])).toBe(1);
    expect(standardDeviationRatio([1, 2], [3, 3])).toBe(Infinity);
  });
});

describe('mannWhitneyU', () => {
  it('has the exact null distribution of U: counts sum to C(m + n, m), symmetric, equal to enumeration', () => {
    const counts = mannWhitneyNullCounts(4, 6);
    expect(counts.reduce((s, v) => s + v, 0)).toBe(210);
    for (let u = 0; u <= 24; u++) expect(counts[u]).toBe(counts[24 - u]);
    // Enumerate which 4 of the 10 pooled ranks belong to the first sample; U = rank sum − 4·5/2.
    const enumerated = new Float64Array(25);
    for (const chosen of subsets(10, 4)) enumerated[chosen.reduce((s, r) => s + r + 1, 0) - 10]++;
    expect(Array.from(counts)).toEqual(Array.from(enumerated));
    expect(mannWhitneyNullCounts(20, 20).reduce((s, v) => s + v, 0)).toBe(137846528820); // C(40, 20)
  });

  it('gives the table value for n₁ = n₂ = 5, U = 2: one-sided p = 4/252 = 0.0159', () => {
    const a = [1, 2, 3, 4, 7]; // 7 beats 5 and 6: U = 2
    const b = [5, 6, 8, 9, 10];
    expect(mannWhitneyU(a, b, 'less')).toEqual({ u: 2, p: 4 / 252, method: 'exact' });
    expect(mannWhitneyU(a, b, 'less').p).toBeCloseTo(0.0159, 4);
    expect(mannWhitneyU(a, b, 'two-sided').p).toBeCloseTo(8 / 252, 14);
    expect(mannWhitneyU(a, b, 'greater').p).toBeCloseTo(1 - 2 / 252, 14); // P(U ≥ 2) = 1 − P(U ≤ 1)
    expect(mannWhitneyU(b, a, 'greater')).toEqual({ u: 23, p: 4 / 252, method: 'exact' });
  });

  it('reproduces the permeability example of Hollander & Wolfe (1973, p. 69f): W = 35, p = 0.1272', () => {
    // Chorioamnion permeability at term (x) and at 12–26 weeks (y); alternative: x greater.
    // R's wilcox.test(x, y, alternative = "greater") documents W = 35, p-value = 0.1272.
    const x = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
    const y = [1.15, 0.88, 0.9, 0.74, 1.21];
    const result = mannWhitneyU(x, y, 'greater');
    expect(result.u).toBe(35);
    expect(result.method).toBe('exact');
    expect(result.p).toBeCloseTo(0.1272, 4);
    // And by enumeration of all C(15, 5) = 3003 ways to pick y's ranks: P(U_x ≥ 35).
    let atLeast = 0;
    for (const chosen of subsets(15, 5)) {
      const yRankSum = chosen.reduce((s, r) => s + r + 1, 0);
      const uX = 120 - yRankSum - 55; // x's rank sum is 120 − y's; U_x = R_x − 10·11/2
      if (uX >= 35) atLeast++;
    }
    expect(result.p).toBeCloseTo(atLeast / 3003, 14);
  });

  it('with ties stays exact (mid-ranks) unless the normal approximation is asked for, which matches R wilcox.test', () => {
    const x = [1, 5, 9, 24, 56, 21, 3, 7, 21, 4];
    // R: W = 51.5, p-value = 0.5966 (two-sided, with continuity correction).
    const first = mannWhitneyU(x, [12, 15, 5, 9, 9, 14, 56, 22, 3, 7, 32, 5], 'two-sided', { method: 'asymptotic' });
    expect(first).toMatchObject({ u: 51.5, method: 'asymptotic' });
    expect(first.p).toBeCloseTo(0.5966, 4);
    // R: W = 0, p-value = 0.001364.
    const y = [1233, 4356, 987, 39999, 1111, 200000];
    const second = mannWhitneyU(x, y, 'two-sided', { method: 'asymptotic' });
    expect(second.u).toBe(0);
    expect(second.p).toBeCloseTo(0.001364, 6);
    // By default the same data (21 twice in x) get the exact p: x below all of y is 1 split of C(16, 6) = 8008.
    expect(mannWhitneyU(x, y)).toEqual({ u: 0, p: 2 / 8008, method: 'exact' });
    expect(mannWhitneyU(x, [12, 15, 5, 9, 9, 14, 56, 22, 3, 7, 32, 5]).method).toBe('exact');
  });

  it('has its normal approximation within 0.004 of the exact p-value for n₁ = n₂ = 20', () => {
    const counts = mannWhitneyNullCounts(20, 20);
    const total = counts.reduce((s, v) => s + v, 0);
    for (const u of [100, 130, 150, 170, 200]) {
      let atMost = 0;
      for (let v = 0; v <= u; v++) atMost += counts[v];
      // Samples with exactly this U: a's values beat u of the (a, b) pairs.
      const b = Array.from({ length: 20 }, (_, j) => j + 0.5);
      const a = Array.from({ length: 20 }, (_, i) => (i < Math.floor(u / 20) ? 100 + i : -100 - i));
      const remainder = u % 20;
      a[19] = remainder - 0.25 + 0.5; // beats b_0 … b_{remainder−1}
      const exact = mannWhitneyU(a, b, 'less');
      const approximate = mannWhitneyU(a, b, 'less', { method: 'asymptotic' });
      expect(exact.u).toBe(u);
      expect(exact.p).toBeCloseTo(atMost / total, 12);
      expect(Math.abs(approximate.p - exact.p)).toBeLessThan(0.004);
    }
  });
});

describe('wilcoxonSignedRank', () => {
  /** P(W⁺ ≤ w) by brute force over all 2ⁿ sign patterns of ranks 1..n. */
  const bruteForceAtMost = (n: number, w: number) => {
    let count = 0;
    for (let mask = 0; mask < 1 << n; mask++) {
      let sum = 0;
      for (let r = 1; r <= n; r++) if (mask & (1 << (r - 1))) sum += r;
      if (sum <= w) count++;
    }
    return count / 2 ** n;
  };

  it('has the exact null distribution of W⁺: the subset sums of {1, …, n}', () => {
    const counts = signedRankNullCounts(10);
    expect(counts.reduce((s, v) => s + v, 0)).toBe(1024);
    let cumulative = 0;
    for (let w = 0; w <= 55; w++) {
      cumulative += counts[w];
      expect(cumulative / 1024).toBeCloseTo(bruteForceAtMost(10, w), 14);
    }
  });

  it('n = 10 with W⁻ = 8: two-sided p = 2 · 25/1024 ≈ 0.0488, checked against all 2¹⁰ sign patterns', () => {
    // Differences of magnitudes 1..10, ranks 1 and 7 negative: W⁻ = 8, W⁺ = 47.
    const differences = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((r) => (r === 1 || r === 7 ? -r : r) * 0.1);
    const b = differences.map((_, i) => 10 + i);
    const a = b.map((v, i) => v + differences[i]);
    const result = wilcoxonSignedRank(a, b);
    expect(result).toMatchObject({ w: 47, wMinus: 8, n: 10, method: 'exact' });
    expect(result.p).toBeCloseTo(2 * bruteForceAtMost(10, 8), 14);
    expect(result.p).toBeCloseTo(0.048828125, 12);
    expect(wilcoxonSignedRank(a, b, 'greater').p).toBeCloseTo(bruteForceAtMost(10, 8), 14);
    // P(W⁺ ≤ 47) = 1 − P(W⁺ ≥ 48) = 1 − P(W⁺ ≤ 7) by symmetry.
    expect(wilcoxonSignedRank(a, b, 'less').p).toBeCloseTo(1 - bruteForceAtMost(10, 7), 14);
  });

  it('reproduces the depression-scale example of Hollander & Wolfe (1973, p. 29f): V = 40, p = 0.01953', () => {
    // Hamilton depression scores at first (x) and second (y) visit; alternative: x greater.
    // R: wilcox.test(x, y, paired = TRUE, alternative = "greater") gives V = 40, p-value = 0.01953;
    // its large-sample version without continuity correction gives p = 0.01908.
    const x = [1.83, 0.5, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.3];
    const y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29];
    const exact = wilcoxonSignedRank(x, y, 'greater');
    expect(exact).toMatchObject({ w: 40, wMinus: 5, n: 9, method: 'exact' });
    expect(exact.p).toBeCloseTo(10 / 512, 14);
    expect(exact.p).toBeCloseTo(0.01953, 5);
    const largeSample = wilcoxonSignedRank(x, y, 'greater', { method: 'asymptotic', correction: false });
    expect(largeSample.p).toBeCloseTo(0.01908, 5);
  });

  it('has its normal approximation within 0.004 of the exact p-value for n = 20', () => {
    const counts = signedRankNullCounts(20);
    const total = 2 ** 20;
    for (const w of [40, 60, 80, 105]) {
      // Ranks 1..20; make the smallest ranks negative until W⁻ = 210 − w.
      let remaining = 210 - w;
      const signs = new Array(21).fill(1);
      for (let r = 20; r >= 1; r--) {
        if (r <= remaining) {
          signs[r] = -1;
          remaining -= r;
        }
      }
      const a = Array.from({ length: 20 }, (_, i) => signs[i + 1] * (i + 1));
      const b = new Array(20).fill(0);
      const exact = wilcoxonSignedRank(a, b, 'less');
      expect(exact.w).toBe(w);
      let atMost = 0;
      for (let v = 0; v <= w; v++) atMost += counts[v];
      expect(exact.p).toBeCloseTo(atMost / total, 12);
      expect(Math.abs(wilcoxonSignedRank(a, b, 'less', { method: 'asymptotic' }).p - exact.p)).toBeLessThan(0.004);
    }
  });

  it('drops zero differences, stays exact with tied |differences|, and checks its input', () => {
    expect(wilcoxonSignedRank([1, 2, 3, 4], [1, 0, 4, 1])).toMatchObject({ n: 3, w: 5, wMinus: 1, method: 'exact' });
    // |d| = 1, 1, 1, 1, 2 with the 2 negative: mid-ranks 2.5 (×4) and 5, W⁺ = 10. Of the 32 sign
    // patterns, W⁺ ≥ 10 takes all four 2.5s (with or without 5) or two or three of them with 5: 1 + 1 + 6 + 4.
    const tied = wilcoxonSignedRank([1, 2, 3, 4, 5], [0, 1, 2, 3, 7], 'greater');
    expect(tied).toEqual({ method: 'exact', n: 5, w: 10, wMinus: 5, p: 12 / 32 });
    // W⁺ > 10 only with all four 2.5s and the 5 (15) or three and the 5 (12.5): P(W⁺ ≤ 10) = 27/32.
    expect(wilcoxonSignedRank([1, 2, 3, 4, 5], [0, 1, 2, 3, 7]).p).toBe(2 * (12 / 32));
    expect(wilcoxonSignedRank([1, 2, 3, 4, 5], [0, 1, 2, 3, 7], 'less').p).toBe(27 / 32);
    expect(wilcoxonSignedRank([1, 2], [1, 2])).toMatchObject({ n: 0, p: 1 });
    expect(() => wilcoxonSignedRank([1, 2], [1])).toThrow(/equal lengths/);
  });
});

describe('standardNormalCdf', () => {
  it('matches reference values across the series and continued-fraction ranges', () => {
    expect(standardNormalCdf(0)).toBe(0.5);
    expect(standardNormalCdf(1.96)).toBeCloseTo(0.9750021048517795, 14);
    expect(standardNormalCdf(-1)).toBeCloseTo(0.15865525393145707, 14);
    expect(standardNormalCdf(-3) / 0.0013498980316300946).toBeCloseTo(1, 11);
    expect(standardNormalCdf(-10) / 7.61985302416047e-24).toBeCloseTo(1, 10);
    // Continuous where the two methods meet (z = −3√2).
    const edge = -3 * Math.SQRT2;
    expect(standardNormalCdf(edge - 1e-9) / standardNormalCdf(edge + 1e-9)).toBeCloseTo(1, 6);
  });
});
