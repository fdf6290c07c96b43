export { CertifiedBoundEstimator, CertifiedBoundOptions, CERTIFIED_BOUND_DEFAULTS, CERTIFIED_BOUND_SCHEMA, LatentDomain, latentDomain } from './certified-bound';
export { applyConv, applyConvAdjoint, ConvNormBound, convNormUpperBound, ConvOperator, convOperator, convPowerIteration, denseConvBound, polyphaseKernel, schurBound } from './conv-operator-norm';
export { convSymbolBound, FrequencyAxis, frequencyAxis, polyphaseTaps, SymbolBound } from './conv-symbol-bound';
export { certifyLargestEigenvalue, CertifyOptions, EigenvalueCertificate, provesEigenvaluesBelow, SymmetricFamily } from '@mmfuse/core';
export { DifferenceQuotientEstimator, DifferenceQuotientOptions, DIFFERENCE_QUOTIENT_DEFAULTS, DIFFERENCE_QUOTIENT_SCHEMA, PairingMode, PerturbationDirection } from './difference-quotient';
export { CommonEstimatorOptions, Estimator, SharedForward } from './estimator';
export { createEstimator, EstimatorConfig, EstimatorOptions, ESTIMATOR_ENTRY_SCHEMA, ESTIMATOR_TYPES, resolveEstimatorOptions } from './estimator-options';
export { GradientOf, GradientRatioEstimator, GradientRatioOptions, GRADIENT_RATIO_DEFAULTS, GRADIENT_RATIO_SCHEMA, ParameterGradientProbe } from './gradient-ratio';
export { chunkedJvp, chunkedVjp, jvp, vjp } from './jacobian-products';
export { FrobeniusMethod, JacobianFrobeniusEstimator, JacobianFrobeniusOptions, JACOBIAN_FROBENIUS_DEFAULTS, JACOBIAN_FROBENIUS_SCHEMA } from './jacobian-frobenius';
export { JacobianSpectralEstimator, JacobianSpectralOptions, JACOBIAN_SPECTRAL_DEFAULTS, JACOBIAN_SPECTRAL_SCHEMA } from './jacobian-spectral';
export { default as lipschitzModule, LipschitzContribution } from './lipschitz-module';
export { BoundKind, CertificateDomain, EstimatorType, FROBENIUS_RELATION, inCurrentVocabulary, LayerNormBound, LipschitzResult, Quantity } from './lipschitz-result';
export { EvaluationBudget } from './evaluation-budget';
export { LipschitzSummary } from './lipschitz-summary';
export { functionTarget, LipschitzTarget, TargetKind } from './lipschitz-target';
export {
  createLipschitzTracker,
  DEFAULT_ESTIMATORS,
  EstimatorFailure,
  FailedRow,
  LipschitzRow,
  LipschitzTracker,
  LipschitzTrackerOptions,
  LIPSCHITZ_TRACKER_DEFAULTS,
  LIPSCHITZ_TRACKER_SCHEMA,
  TrackedResult,
} from './lipschitz-tracker';
export { FLOAT32_MARGIN, NormBounds, spectralNormBounds, SpectralNormBoundOptions } from './matrix-norm-bounds';
export { modelLossProbe } from './model-loss-probe';
export { decoderTarget, encoderTarget, flattenRows, fusionTarget, latentRows, modelTarget, splitModelRows } from './sub-model-targets';
export { FusionOfEncodersBound, fusionOfEncodersBounds, InputConvention } from './theorem-3-3';
export { drawTrackedSamples } from './tracked-samples';
