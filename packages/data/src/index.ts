export { ArmPose, renderArm } from './arm-renderer';
export { DataContribution, default as dataModule } from './data-module';
export { checkInsideRoot, listDataFolder } from './data-folder';
export { checkDataFile, MAX_TEXT_FILE_BYTES, readTextFile } from './read-text-file';
export { ARM_SENSOR_CHANNELS, SyntheticArmOptions, SyntheticArmSource, SYNTHETIC_ARM_SCHEMA, syntheticArmModalities } from './synthetic-arm';
export { channelStatistics, concatBlocks, slidingWindows, splitEpisodes, standardize, storeChannelStatistics, StreamingChannelStatistics, windowCount } from './transforms';
export { ARRAY_LAYOUTS, ArrayDatasetInput, buildArrayDataset, checkArrayRank, splitRows, StoredArray, StoredModality } from './arrays/array-dataset';
export { listNames, MAX_NPZ_BYTES, NpzArchive, parseNpy, readNpyFile, zipEntryCrcs } from './arrays/npy-format';
export { NpyHeader, readNpyHeader, streamNpyDataset, worthStreaming } from './arrays/npy-stream';
