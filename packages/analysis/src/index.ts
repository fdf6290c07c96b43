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
  Alternative,
  cliffsDelta,
  cohensD,
  hedgesCorrection,
  hedgesG,
  logGamma,
  MANN_WHITNEY_EXACT_MAX_PAIRS,
  MannWhitneyResult,
  mannWhitneyNullCounts,
  mannWhitneyU,
  mean,
  percentile,
  RankTestOptions,
  sampleStd,
  signedRankNullCounts,
  standardNormalCdf,
  TestMethod,
  WILCOXON_EXACT_MAX_PAIRS,
  WilcoxonResult,
  wilcoxonSignedRank,
} from './statistics';
export { DENSE_SOLVER_MAX_SIZE, EigenSolver, EigenSolverReport, Eigenpairs, leadingEigenpairs, LeadingEigenpairsOptions } from './symmetric-eigen';
export { FAILURE_DETECTION_SCHEMA, FailureDetectionCallback, FailureDetectionOptions } from './callbacks/failure-detection-callback';
export { RECONSTRUCTIONS_SCHEMA, ReconstructionsCallback, ReconstructionsOptions } from './callbacks/reconstructions-callback';
export { ROBUSTNESS_SCHEMA, RobustnessCallback, RobustnessOptions } from './callbacks/robustness-callback';
export { latentsOf, Perturbation, reconstructionErrors } from './callbacks/model-passes';
export { checkClaims, ClaimResult, ClaimTest, formatClaims } from './claims';
