export { createFeatureGateFusion, FeatureGateFusion } from './feature-gate-fusion';
export { FEATURE_GATE_DEFAULTS, FEATURE_GATE_SCHEMA, FeatureGateOptions, resolveFeatureGateOptions } from './feature-gate-options';
export { FEATURE_GATE_CERTIFICATE_NORM, FeatureGateBoundInputs, FeatureGateDomain, featureGateLipschitzBound } from './feature-gate-lipschitz-bound';
export { default as fusionFeatureGateModule, FeatureGateFusionContribution } from './fusion-feature-gate-module';
export { minShares, tieSplitMin } from './tie-split-min';
