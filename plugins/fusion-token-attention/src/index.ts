export { createTokenAttentionFusion, HEAD_PROJECTIONS, HeadProjection, TokenAttentionFusion } from './token-attention-fusion';
export { resolveTokenAttentionOptions, TOKEN_ATTENTION_DEFAULTS, TOKEN_ATTENTION_SCHEMA, TokenAttentionOptions } from './token-attention-options';
export {
  appliedNorm,
  appliedProductNorm,
  TOKEN_ATTENTION_CERTIFICATE_NORM,
  TokenAttentionDomain,
  tokenAttentionLipschitzBound,
  TokenAttentionNorms,
} from './token-attention-lipschitz-bound';
export { AppliedKernel, TokenMatrix, TokenMatrixSettings } from './token-matrix';
export { default as fusionTokenAttentionModule, TokenAttentionFusionContribution } from './fusion-token-attention-module';
