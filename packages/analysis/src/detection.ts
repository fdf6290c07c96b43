import { fitKernelPca, KernelPcaModel, KernelPcaOptions } from './kernel-pca';
import { fitMahalanobis, MahalanobisModel } from './mahalanobis';
import { MatrixInput } from './matrix-input';
import { midRanks } from './ranks';
import { percentile } from './statistics';

export interface FailureDetectorOptions {
  /** Options of the kernel PCA fitted on the clean training latents. */
  kernelPca?: KernelPcaOptions;
  /** Ridge factor of the covariance in kPCA space (see {@link fitMahalanobis}); default 1e-6. */
  shrinkage?: number;
  /**
   * Adds the kPCA reconstruction error √(‖φ(y) − φ̄‖² − ‖z(y)‖²) (see {@link KernelPcaModel.residuals})
   * as one more coordinate of the Mahalanobis space. Off by default, as in the paper, whose score
   * uses the projections only; but projections alone cannot flag latents far from every clean one:
   * their kernel values vanish, their projections all tend to the same point, and that point lies
   * among the clean projections, so a gross fault can score lower than a subtle one. The residual
   * grows exactly there.
   */
  includeResidual?: boolean;
  /** Percentile of clean calibration distances used as the threshold; default 95 (paper §5.7). */
  percentile?: number;
  /**
   * Clean latents the model was not fitted on, used only to place the threshold. Preferable to the
   * training latents (the default): kPCA components and covariance are fitted to the training
   * points, so their own distances are biased, and the direction depends on the kernel. With a wide
   * kernel (close to linear PCA) in-sample distances come out too small (for Gaussian data the mean
   * squared distance of new points is (n + 1)/(n − k − 2) times the in-sample one), the percentile
   * sits too low and new clean data are flagged more often than 100 − q %. With a narrow one (the median
   * heuristic on 8-D latents, say) the components partly model individual training points, the
   * training points score higher than new clean ones, and the threshold sits too high (in the
   * tests: under 2 % of new clean latents flagged instead of 5 %, and detections lost). On held-out
   * clean latents the percentile estimates the quantile of clean distances as they will occur, so
   * the false positive rate on new clean data is ≈ 1 − q/100 up to sampling error.
   */
  calibration?: MatrixInput;
}

/** Confusion counts, with faulty as the positive class. */
export interface Confusion {
  readonly tp: number;
  readonly fp: number;
  readonly tn: number;
  readonly fn: number;
}

export interface DetectionReport {
  readonly threshold: number;
  readonly confusion: Confusion;
  /** tp / (tp + fn): share of faulty samples flagged (NaN without faulty samples). */
  readonly tpr: number;
  /** fp / (fp + tn): share of clean samples flagged (NaN without clean samples). */
  readonly fpr: number;
  /** tp / (tp + fp); 0 when nothing is flagged. */
  readonly precision: number;
  /** Harmonic mean of precision and tpr; 0 when both are 0. */
  readonly f1: number;
  /** ROC-AUC of the distances (threshold-free): P(faulty distance > clean distance) + ½ P(tie). */
  readonly auc: number;
  /** The distances themselves, e.g. to plot the two distributions (paper Fig. 18). */
  readonly scores: { readonly clean: Float64Array; readonly faulty: Float64Array };
}

export interface FailureDetector {
  readonly kernelPca: KernelPcaModel;
  /** Fitted on the kPCA projections of the fitted points (and their residuals with `includeResidual`). */
  readonly mahalanobis: MahalanobisModel;
  readonly percentile: number;
  readonly includeResidual: boolean;
  /** Distances above this are flagged faulty. */
  readonly threshold: number;
  /** Whether the threshold came from held-out clean latents (`calibration`) or from the training latents. */
  readonly calibrationSource: 'calibration' | 'training';
  readonly calibrationScores: Float64Array;
  /** Mahalanobis distance in kPCA space of each latent row. */
  score(latents: MatrixInput): Float64Array;
  /** score > threshold, per row. */
  isFaulty(latents: MatrixInput): boolean[];
  evaluate(clean: MatrixInput, faulty: MatrixInput): DetectionReport;
}

/**
 * The failure detector of the paper's §5.7 (DESIGN.md §6): RBF kernel PCA fitted on clean training
 * latents → Mahalanobis distance to the clean projections in kPCA space → threshold at the q-th
 * percentile of clean distances. The covariance is that of the fitted points' projections (if
 * `kernelPca.maxFit` subsampled them, of the subsample).
 */
export function fitFailureDetector(cleanTrainLatents: MatrixInput, options: FailureDetectorOptions = {}): FailureDetector {
  const q = options.percentile ?? 95;
  if (!(q >= 0 && q <= 100)) throw new RangeError(`fitFailureDetector: percentile must be in [0, 100], got ${q}`);
  const kernelPca = fitKernelPca(cleanTrainLatents, options.kernelPca);
  const includeResidual = options.includeResidual ?? false;
  const k = kernelPca.components;
  const width = includeResidual ? k + 1 : k;
  const features = (projections: Float64Array, residuals: Float64Array) => {
    if (!includeResidual) return { rows: projections.length / k, cols: k, data: projections };
    const rows = residuals.length;
    const data = new Float64Array(rows * width);
    for (let i = 0; i < rows; i++) {
      data.set(projections.subarray(i * k, (i + 1) * k), i * width);
      data[i * width + k] = Math.sqrt(residuals[i]);
    }
    return { rows, cols: width, data };
  };
  const trainingFeatures = features(kernelPca.trainingProjections, kernelPca.trainingResiduals);
  const mahalanobis = fitMahalanobis(trainingFeatures, { shrinkage: options.shrinkage });
  const score = (latents: MatrixInput): Float64Array => {
    const { projections, residuals } = kernelPca.project(latents);
    return mahalanobis.distance(features(projections, residuals));
  };
  const calibrationSource = options.calibration === undefined ? 'training' : 'calibration';
  const calibrationScores = options.calibration === undefined ? mahalanobis.distance(trainingFeatures) : score(options.calibration);
  const threshold = percentile(calibrationScores, q);

  const evaluate = (clean: MatrixInput, faulty: MatrixInput): DetectionReport => {
    const cleanScores = score(clean);
    const faultyScores = score(faulty);
    return { ...classify(cleanScores, faultyScores, threshold), auc: rocAuc(cleanScores, faultyScores), scores: { clean: cleanScores, faulty: faultyScores } };
  };

  return {
    kernelPca,
    mahalanobis,
    percentile: q,
    includeResidual,
    threshold,
    calibrationSource,
    calibrationScores,
    score,
    isFaulty: (latents) => Array.from(score(latents), (value) => value > threshold),
    evaluate,
  };
}

/** Confusion matrix and rates of the rule "faulty iff score > threshold". */
export function classify(
  scoresClean: ArrayLike<number>,
  scoresFaulty: ArrayLike<number>,
  threshold: number,
): Omit<DetectionReport, 'auc' | 'scores'> {
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < scoresFaulty.length; i++) if (scoresFaulty[i] > threshold) tp++;
  for (let i = 0; i < scoresClean.length; i++) if (scoresClean[i] > threshold) fp++;
  const fn = scoresFaulty.length - tp;
  const tn = scoresClean.length - fp;
  const tpr = tp + fn > 0 ? tp / (tp + fn) : NaN;
  const fpr = fp + tn > 0 ? fp / (fp + tn) : NaN;
  const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  const f1 = precision + tpr > 0 ? (2 * precision * tpr) / (precision + tpr) : 0;
  return { threshold, confusion: { tp, fp, tn, fn }, tpr, fpr, precision, f1 };
}

/**
 * ROC-AUC by the rank formula: with mid-ranks R over the pooled scores,
 * AUC = (Σ_faulty R − n_f(n_f + 1)/2) / (n_f n_c) = U / (n_f n_c), the Mann–Whitney U of the
 * faulty scores over the clean ones, i.e. P(faulty > clean) + ½ P(tie)
 * (Hanley & McNeil 1982, "The meaning and use of the area under a ROC curve", Radiology 143).
 * O((n_f + n_c) log(n_f + n_c)).
 */
export function rocAuc(scoresClean: ArrayLike<number>, scoresFaulty: ArrayLike<number>): number {
  const nClean = scoresClean.length;
  const nFaulty = scoresFaulty.length;
  if (nClean === 0 || nFaulty === 0) throw new RangeError('rocAuc: needs at least one clean and one faulty score');
  const pooled = new Float64Array(nClean + nFaulty);
  pooled.set(Array.from(scoresFaulty), 0);
  pooled.set(Array.from(scoresClean), nFaulty);
  const { ranks } = midRanks(pooled);
  let rankSum = 0;
  for (let i = 0; i < nFaulty; i++) rankSum += ranks[i];
  return (rankSum - (nFaulty * (nFaulty + 1)) / 2) / (nFaulty * nClean);
}

/** One operating point: the rates of the rule "faulty iff score > threshold". */
export interface RocPoint {
  readonly threshold: number;
  readonly fpr: number;
  readonly tpr: number;
}

/**
 * The ROC curve, one point per distinct score (threshold = that score, so samples scoring exactly
 * it count as clean, as in the detector) plus a last point at −∞ where everything is flagged.
 * Points are in descending threshold order, so fpr and tpr rise from (0, 0) to (1, 1); the
 * trapezoid area under them equals {@link rocAuc} (a tie between a faulty and a clean score is a
 * diagonal step, worth one half).
 */
export function rocCurve(scoresClean: ArrayLike<number>, scoresFaulty: ArrayLike<number>): RocPoint[] {
  const nClean = scoresClean.length;
  const nFaulty = scoresFaulty.length;
  if (nClean === 0 || nFaulty === 0) throw new RangeError('rocCurve: needs at least one clean and one faulty score');
  const labelled: Array<{ score: number; faulty: boolean }> = [];
  for (let i = 0; i < nClean; i++) labelled.push({ score: scoresClean[i], faulty: false });
  for (let i = 0; i < nFaulty; i++) labelled.push({ score: scoresFaulty[i], faulty: true });
  for (const { score } of labelled) if (Number.isNaN(score)) throw new RangeError('rocCurve: a score is NaN');
  labelled.sort((p, q) => (p.score > q.score ? -1 : p.score < q.score ? 1 : 0));
  const points: RocPoint[] = [];
  let tp = 0;
  let fp = 0;
  for (let start = 0; start < labelled.length; ) {
    const threshold = labelled[start].score;
    points.push({ threshold, fpr: fp / nClean, tpr: tp / nFaulty });
    let end = start;
    for (; end < labelled.length && labelled[end].score === threshold; end++) {
      if (labelled[end].faulty) tp++;
      else fp++;
    }
    start = end;
  }
  points.push({ threshold: -Infinity, fpr: 1, tpr: 1 });
  return points;
}

/** Trapezoid area under ROC points (as returned by {@link rocCurve}). */
export function areaUnderCurve(points: ReadonlyArray<RocPoint>): number {
  let area = 0;
  for (let i = 1; i < points.length; i++) area += ((points[i].fpr - points[i - 1].fpr) * (points[i].tpr + points[i - 1].tpr)) / 2;
  return area;
}

