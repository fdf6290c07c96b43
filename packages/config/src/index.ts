export { ConfigValidator } from './config-validator';
export * from './experiment-config';
export { experimentSchema, experimentSkeleton, SCHEMA_DIALECT } from './experiment-schema';
export { describeValue, formatAjvErrors, jsonPath } from './format-errors';
export { MAX_CONFIG_BYTES, MAX_CONFIG_DEPTH, readConfigFile } from './read-config-file';
export { expandSweep, MAX_SWEEP_POINTS, parseJsonPath, pointLabel, setAtPath, SweepConfig, SweepPoint } from './sweep';
