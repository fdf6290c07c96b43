export {
  areaUnderCurve,
  classify,
  Confusion,
  DetectionReport,
  FailureDetector,
  FailureDetectorOptions,
  fitFailureDetector,
  rocAuc,
  rocCurve,
  RocPoint,
} from './detection';
export {
  fitKernelPca,
  KernelPcaModel,
  KernelPcaOptions,
  MAX_DEFAULT_COMPONENTS,
  MEDIAN_HEURISTIC_PAIRS,
  medianHeuristicGamma,
  RELATIVE_EIGENVALUE_FLOOR,
} from './kernel-pca';
export { fitMahalanobis, MahalanobisModel, MahalanobisOptions } from './mahalanobis';
export { DenseMatrix, denseMatrix, MatrixInput } from './matrix-input';
export { midRanks, Ranking } from './ranks';
export {
  binomial,
  ENUMERATION_LIMIT,
  EXACT_COUNT_LIMIT,
  levenePermutationTest,
  LeveneTest,
  MONTE_CARLO_PERMUTATIONS,
  pairedMinimumP,
  PERMUTATION_SEED,
  PermutationMethod,
  PermutationOptions,
  PermutationPValues,
  rankSumTest,
  RankSumTest,
  signedRanks,
  signedRankTest,
  SignedRankTest,
  smallestPairedSize,
  smallestTwoSampleSize,
  twoSampleMinimumP,
} from './permutation-tests';
export { BOOTSTRAP_RESAMPLES, BootstrapInterval, BootstrapOptions, bootstrapPairs, bootstrapTwoSamples } from './bootstrap';
export {
  Alternative,
  cliffsDelta,
  cohensD,
  hedgesCorrection,
  hedgesG,
  logGamma,
  MannWhitneyResult,
  mannWhitneyNullCounts,
  mannWhitneyU,
  mean,
  pairedRankBiserial,
  percentile,
  RankTestOptions,
  sampleStd,
  signedRankNullCounts,
  standardDeviationRatio,
  standardNormalCdf,
  TestMethod,
  WilcoxonResult,
  wilcoxonSignedRank,
} from './statistics';
export { DENSE_SOLVER_MAX_SIZE, EigenSolver, EigenSolverReport, Eigenpairs, leadingEigenpairs, LeadingEigenpairsOptions } from './symmetric-eigen';
export { FAILURE_DETECTION_SCHEMA, FailureDetectionCallback, FailureDetectionOptions } from './callbacks/failure-detection-callback';
export { RECONSTRUCTIONS_SCHEMA, ReconstructionsCallback, ReconstructionsOptions } from './callbacks/reconstructions-callback';
export { ROBUSTNESS_SCHEMA, RobustnessCallback, RobustnessOptions } from './callbacks/robustness-callback';
export { latentsOf, Perturbation, reconstructionErrors } from './callbacks/model-passes';
export {
  checkClaims,
  ClaimComparison,
  ClaimResult,
  ClaimsOptions,
  ClaimsReport,
  claimsTable,
  ComparisonTest,
  EffectEstimate,
  formatClaims,
  formatEffects,
  formatGroup,
  GroupSummary,
  Verdict,
} from './claims';
