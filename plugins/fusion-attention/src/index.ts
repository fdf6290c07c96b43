export { AttentionFusion, createAttentionFusion } from './attention-fusion';
export {
  ATTENTION_FUSION_DEFAULTS,
  ATTENTION_FUSION_SCHEMA,
  AttentionFusionOptions,
  AttentionProjection,
  AttentionScaleTarget,
  resolveAttentionOptions,
} from './attention-fusion-options';
export {
  ATTENTION_CERTIFICATE_NORM,
  attentionLipschitzBound,
  AttentionBoundInputs,
  AttentionDomain,
  bilinearBlockMatrix,
  nonNegativeSpectralNormBound,
} from './attention-lipschitz-bound';
export { ProjectionLayerNorms } from './attention-projection';
export { AttentionJacobian, attentionJacobian, AttentionJacobianInputs } from './attention-jacobian';
export { default as fusionAttentionModule, AttentionFusionContribution } from './fusion-attention-module';
export { powerIterationEstimate, spectralNormUpperBound } from './spectral-norm';
export { SpectralNormalizer } from './spectral-normalizer';
export { unitRows } from './unit-rows';
