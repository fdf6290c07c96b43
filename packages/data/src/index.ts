export { ArmPose, renderArm } from './arm-renderer';
export { DataContribution, default as dataModule } from './data-module';
export { ARM_SENSOR_CHANNELS, SyntheticArmOptions, SyntheticArmSource, SYNTHETIC_ARM_SCHEMA, syntheticArmModalities } from './synthetic-arm';
export { channelStatistics, concatBlocks, slidingWindows, splitEpisodes, standardize, windowCount } from './transforms';
export { CSI_UNUSED_SUBCARRIERS, CSI_USED_SUBCARRIERS, parseComplex, readCsi, SnifferCsi } from './robomnist/robomnist-csi';
export { readKinematics, RobotKinematics } from './robomnist/robomnist-kinematics';
export { parseFileName, parseStem, RoboMnistFile, RoboMnistStem } from './robomnist/robomnist-names';
export { RoboMnistOptions, RoboMnistSource, ROBOMNIST_SCHEMA, roboMnistModalities } from './robomnist/robomnist-source';
export { NpyModalityOptions, NpySource, NpySourceOptions, NPY_SOURCE_SCHEMA } from './arrays/npy-source';
