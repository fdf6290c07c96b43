export { ConcatFusion, ConcatFusionOptions, CONCAT_FUSION_SCHEMA, createConcatFusion } from './concat-fusion';
export { ConcatFusionContribution, default as fusionConcatModule } from './fusion-concat-module';
