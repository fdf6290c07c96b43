export { default as fusionSumModule, SumFusionContribution } from './fusion-sum-module';
export { createSumFusion, SumFusion, SumFusionOptions, SUM_FUSION_SCHEMA } from './sum-fusion';
