import { join } from 'path';

/**
 * The names inside a run folder and a sweep folder: the one place they are spelled. Whoever writes
 * or reads a run (trainer, queue, report, analysis, CLI) builds its paths from these.
 */
export const RUN_FILES = {
  /** The validated config the run trains (defaults filled in). */
  config: 'config.json',
  /** What started the run: backend, plugins, data, parallelism (RunRecord). */
  run: 'run.json',
  /** Mean ± std over trials per set-up (RunSummary), written when every trial is done. */
  summary: 'summary.json',
  summaryCsv: 'summary.csv',
  /** One EpochRow per trial and epoch. */
  metrics: 'metrics.jsonl',
  /** The Lipschitz tracker's rows (its default file name). */
  lipschitz: 'lipschitz.jsonl',
  /** Held by the one process writing the run. */
  lock: 'run.lock',
  /** Written by `mmfuse claims`. */
  claims: 'claims.json',
  /** A queued run's (or sweep's) QueueRecord. */
  queue: 'queue.json',
} as const;

export const RUN_FOLDERS = {
  /** One TrialOutcome per finished trial. */
  trials: 'trials',
  /** One checkpoint per unfinished or finished trial. */
  checkpoints: 'checkpoints',
  /** What the analysis callbacks wrote. */
  analysis: 'analysis',
  /** Queued trials' attempts, each in a folder of its own, merged once one succeeds. */
  attempts: 'attempts',
} as const;

export const SWEEP_FILES = {
  /** The SweepRecord: every point and its folder, written before the first point starts. */
  sweep: 'sweep.json',
  summary: 'sweep-summary.json',
  config: 'config.json',
  queue: 'queue.json',
} as const;

/** The analysis callbacks' files, inside the analysis folder. */
export const ANALYSIS_FILES = {
  failureDetection: 'failure-detection.json',
  robustness: 'robustness.json',
  reconstructions: 'reconstructions.json',
} as const;

/** The folder of a sweep's points, each `points/<index>-<label>`. */
export const SWEEP_POINTS = 'points';

/** A trial's name in file names: `<setup>.trial<k>`. */
export const trialName = (setup: string, trial: number): string => `${setup}.trial${trial}`;

/** A trial's outcome file, relative to its run folder. */
export const outcomeName = (setup: string, trial: number): string => join(RUN_FOLDERS.trials, `${trialName(setup, trial)}.json`);

/** A trial's checkpoint, relative to its run folder. */
export const checkpointName = (setup: string, trial: number): string => join(RUN_FOLDERS.checkpoints, `${trialName(setup, trial)}.ckpt`);

/** An analysis callback's file, relative to its run folder. */
export const analysisName = (name: string): string => join(RUN_FOLDERS.analysis, name);

/** The record a resumed run adds beside run.json (the first start's record is kept). */
export const resumedRecordName = (time: Date): string => `run-resumed-${time.getTime()}.json`;

/** The folder holding every attempt at one queued trial. */
export const attemptsFolder = (runDir: string, setup: string, trial: number): string => join(runDir, RUN_FOLDERS.attempts, trialName(setup, trial));

/** A sweep point's folder, relative to the sweep folder. */
export const pointFolderName = (index: number, label: string): string => join(SWEEP_POINTS, `${String(index).padStart(3, '0')}-${label}`);
