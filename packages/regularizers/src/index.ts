export { createL2Regularizer, L2Regularizer, L2RegularizerOptions, L2_REGULARIZER_SCHEMA } from './l2-regularizer';
export { lambdaSchema } from './lambda-schema';
export { compileNamePattern, globToRegExp, NamePattern, namePatternSchema } from './name-pattern';
export { ParameterSelection, ParameterSelector } from './parameter-selection';
export { default as regularizersModule, RegularizersContribution } from './regularizers-module';
export {
  createSpectralNormConstraint,
  SpectralNormConstraint,
  SpectralNormConstraintOptions,
  SPECTRAL_NORM_CONSTRAINT_SCHEMA,
} from './spectral-norm-constraint';
export { sumOfSquares } from './sum-of-squares';
export {
  createWeightDecayRegularizer,
  WeightDecayRegularizer,
  WeightDecayRegularizerOptions,
  WEIGHT_DECAY_REGULARIZER_SCHEMA,
} from './weight-decay-regularizer';
