export { createGatedFusion, GatedFusion, GatedFusionOptions, GATED_FUSION_SCHEMA } from './gated-fusion';
export { default as gatedFusionModule, GatedFusionContribution } from './gated-fusion-module';
