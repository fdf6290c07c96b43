export { readCheckpoint, SavedTensor, TrialCheckpoint, writeCheckpoint } from './checkpoint-file';
export { isQueuedFolder, isSweepFolder, readQueueRecord, readRunSummary, readSweepRecord } from './folder-records';
export {
  ANALYSIS_FILES,
  analysisName,
  attemptsFolder,
  checkpointName,
  outcomeName,
  pointFolderName,
  resumedRecordName,
  RUN_FILES,
  RUN_FOLDERS,
  SWEEP_FILES,
  SWEEP_POINTS,
  trialName,
} from './layout';
export { pruneRows, RunRow } from './prune-rows';
export type {
  BackendRecord,
  Divergence,
  EpochRecord,
  EpochRow,
  ParallelRecord,
  PointOutcome,
  QueueRecord,
  RunRecord,
  RunSummary,
  SetupSummary,
  SweepRecord,
  TrialOutcome,
  TrialOutcomeFile,
} from './records';
export { makeFolder, RunFolder } from './run-folder';
