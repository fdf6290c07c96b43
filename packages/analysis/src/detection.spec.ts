import { areaUnderCurve, classify, FailureDetector, fitFailureDetector, rocAuc, rocCurve } from './detection';
import { medianHeuristicGamma } from './kernel-pca';
import { percentile } from './statistics';
import { gaussianRows, maxAbsDifference } from './testing/random-data';
import { seededUniform } from './deterministic-random';

const flat = (rows: number[][]) => Float64Array.from(rows.flat());

/** Brute force over all (faulty, clean) pairs: P(faulty > clean) + ½ P(tie). */
function pairwiseAuc(clean: number[], faulty: number[]): number {
  let wins = 0;
  for (const f of faulty) for (const c of clean) wins += f > c ? 1 : f === c ? 0.5 : 0;
  return wins / (clean.length * faulty.length);
}

describe('fitFailureDetector', () => {
  const d = 8;
  const train = gaussianRows(600, d, 101);
  const calibration = gaussianRows(1000, d, 102);
  const freshClean = gaussianRows(1000, d, 103);
  // A kernel 10× wider than the median heuristic (γ/10), so that shifted points stay within its reach.
  const wideGamma = medianHeuristicGamma(flat(train), train.length, d) / 10;

  it('separates clean from shifted Gaussian latents (AUC > 0.95) and flags ≈ 5 % of fresh clean ones', () => {
    const detector = fitFailureDetector(train, { calibration, kernelPca: { gamma: wideGamma } });
    expect(detector.calibrationSource).toBe('calibration');
    expect(detector.threshold).toBeCloseTo(percentile(detector.calibrationScores, 95), 12);
    const faulty = gaussianRows(1000, d, 104, 5);
    const report = detector.evaluate(freshClean, faulty);
    expect(report.auc).toBeGreaterThan(0.95);
    expect(report.fpr).toBeGreaterThanOrEqual(0.02);
    expect(report.fpr).toBeLessThanOrEqual(0.09);
    expect(report.tpr).toBeGreaterThan(0.8);
    const { tp, fp, tn, fn } = report.confusion;
    expect(tp + fn).toBe(1000);
    expect(fp + tn).toBe(1000);
    expect(report.tpr).toBe(tp / 1000);
    expect(report.fpr).toBe(fp / 1000);
    expect(report.precision).toBeCloseTo(tp / (tp + fp), 15);
    expect(report.f1).toBeCloseTo((2 * tp) / (2 * tp + fp + fn), 15);
    expect(report.auc).toBeCloseTo(pairwiseAuc(Array.from(report.scores.clean), Array.from(report.scores.faulty)), 12);
    expect(detector.isFaulty(faulty).filter(Boolean)).toHaveLength(tp);
  });

  describe('with the median-heuristic kernel', () => {
    let heldOut: FailureDetector;
    let inSample: FailureDetector;
    let freshCleanScores: Float64Array;
    beforeAll(() => {
      heldOut = fitFailureDetector(train, { calibration });
      inSample = fitFailureDetector(train);
      freshCleanScores = heldOut.score(freshClean);
    });

    it('gives AUC ≈ 0.5 when clean and "faulty" latents come from the same distribution', () => {
      const sameDistribution = heldOut.score(gaussianRows(1000, d, 105));
      // The AUC of two samples of 1,000 from one distribution has standard deviation ≈ 0.013.
      expect(Math.abs(rocAuc(freshCleanScores, sameDistribution) - 0.5)).toBeLessThan(0.05);
      const rates = classify(freshCleanScores, sameDistribution, heldOut.threshold);
      expect(Math.abs(rates.tpr - rates.fpr)).toBeLessThan(0.04);
    });

    it('calibrated on its own training latents, places the threshold with a bias (here too high: far under 5 % of fresh clean latents flagged)', () => {
      expect(inSample.calibrationSource).toBe('training');
      expect(inSample.calibrationScores).toHaveLength(train.length);
      // Same kPCA and covariance, only the threshold differs.
      expect(maxAbsDifference(inSample.score(freshClean), freshCleanScores)).toBeLessThan(1e-12);
      expect(classify(freshCleanScores, [], inSample.threshold).fpr).toBeLessThan(0.02);
      const heldOutFpr = classify(freshCleanScores, [], heldOut.threshold).fpr;
      expect(heldOutFpr).toBeGreaterThanOrEqual(0.02);
      expect(heldOutFpr).toBeLessThanOrEqual(0.09);
    });
  });

  it("with the paper's score and the median-heuristic kernel, misses latents far from every clean one; the residual coordinate catches them", () => {
    const small = gaussianRows(400, 4, 106);
    const smallCalibration = gaussianRows(400, 4, 107);
    const clean = gaussianRows(400, 4, 108);
    const paper = fitFailureDetector(small, { calibration: smallCalibration });
    const withResidual = fitFailureDetector(small, { calibration: smallCalibration, includeResidual: true });
    const auc = (detector: typeof paper, shift: number) => detector.evaluate(clean, gaussianRows(400, 4, 109, shift)).auc;
    // Moderately shifted latents are seen...
    expect(auc(paper, 3)).toBeGreaterThan(0.75);
    // ...but 10 σ away all kernel values vanish, every projection tends to that of −φ̄, which sits
    // among the clean projections: such latents score *lower* than clean ones.
    expect(auc(paper, 10)).toBeLessThan(0.2);
    expect(auc(withResidual, 3)).toBeGreaterThan(0.85);
    expect(auc(withResidual, 10)).toBeGreaterThan(0.99);
    expect(withResidual.mahalanobis.dimension).toBe(withResidual.kernelPca.components + 1);
  });

  it('accepts flat row-major latents and a custom percentile', () => {
    const small = gaussianRows(100, 3, 110);
    const fromRows = fitFailureDetector(small, { percentile: 90, kernelPca: { components: 4 } });
    const fromFlat = fitFailureDetector({ rows: 100, cols: 3, data: flat(small) }, { percentile: 90, kernelPca: { components: 4 } });
    expect(fromFlat.threshold).toBe(fromRows.threshold);
    expect(fromRows.threshold).toBeCloseTo(percentile(fromRows.calibrationScores, 90), 12);
    // Without calibration latents the scores are those of the fitted points themselves.
    expect(maxAbsDifference(fromRows.calibrationScores, fromRows.score(small))).toBeLessThan(1e-9);
    expect(() => fitFailureDetector(small, { percentile: 101 })).toThrow(/percentile/);
  });
});

describe('classify', () => {
  it('counts faulty as positive and flags strictly above the threshold', () => {
    const report = classify([0.1, 0.5, 1, 2], [0.9, 1, 3, 4, 5], 1);
    expect(report.confusion).toEqual({ tp: 3, fp: 1, tn: 3, fn: 2 });
    expect(report.tpr).toBeCloseTo(0.6, 15);
    expect(report.fpr).toBeCloseTo(0.25, 15);
    expect(report.precision).toBeCloseTo(0.75, 15);
    expect(report.f1).toBeCloseTo((2 * 0.75 * 0.6) / 1.35, 15);
    const none = classify([1, 2], [1, 2], 10);
    expect(none.precision).toBe(0);
    expect(none.f1).toBe(0);
  });
});

describe('rocAuc and rocCurve', () => {
  const randomScores = (n: number, seed: number, offset: number) => {
    const uniform = seededUniform(seed);
    return Array.from({ length: n }, () => Math.floor(uniform() * 10) + offset); // integers: many ties
  };

  it.each([
    [30, 40, 1, 0],
    [7, 3, 2, 2],
    [50, 50, 3, 1],
    [1, 1, 4, 0],
  ])('rank AUC = pairwise fraction with ties counted ½ (%i clean, %i faulty, seed %i)', (nClean, nFaulty, seed, offset) => {
    const clean = randomScores(nClean, seed, 0);
    const faulty = randomScores(nFaulty, seed + 100, offset);
    const expected = pairwiseAuc(clean, faulty);
    expect(rocAuc(clean, faulty)).toBeCloseTo(expected, 12);
    expect(areaUnderCurve(rocCurve(clean, faulty))).toBeCloseTo(expected, 12);
  });

  it('traces the curve from (0, 0) to (1, 1) in descending threshold order, each point the rates of "score > threshold"', () => {
    const clean = randomScores(25, 7, 0);
    const faulty = randomScores(20, 8, 2);
    const points = rocCurve(clean, faulty);
    expect(points[0]).toMatchObject({ fpr: 0, tpr: 0, threshold: Math.max(...clean, ...faulty) });
    expect(points[points.length - 1]).toEqual({ threshold: -Infinity, fpr: 1, tpr: 1 });
    expect(points).toHaveLength(new Set([...clean, ...faulty]).size + 1);
    for (let i = 1; i < points.length; i++) {
      expect(points[i].threshold).toBeLessThan(points[i - 1].threshold);
      expect(points[i].fpr).toBeGreaterThanOrEqual(points[i - 1].fpr);
      expect(points[i].tpr).toBeGreaterThanOrEqual(points[i - 1].tpr);
    }
    for (const point of points) {
      const rates = classify(clean, faulty, point.threshold);
      expect(point.fpr).toBeCloseTo(rates.fpr, 15);
      expect(point.tpr).toBeCloseTo(rates.tpr, 15);
    }
  });

  it('is 1 for perfect separation, 0 for reversed, ½ for all-equal scores', () => {
    expect(rocAuc([1, 2, 3], [4, 5])).toBe(1);
    expect(rocAuc([4, 5], [1, 2, 3])).toBe(0);
    expect(rocAuc([2, 2], [2, 2, 2])).toBe(0.5);
    expect(() => rocAuc([], [1])).toThrow(/at least one/);
  });
});
