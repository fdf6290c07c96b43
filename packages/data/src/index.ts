export { ArmPose, renderArm } from './arm-renderer';
export { DataContribution, default as dataModule } from './data-module';
export { ARM_SENSOR_CHANNELS, SyntheticArmOptions, SyntheticArmSource, SYNTHETIC_ARM_SCHEMA, syntheticArmModalities } from './synthetic-arm';
export { channelStatistics, concatBlocks, slidingWindows, splitEpisodes, standardize, windowCount } from './transforms';
