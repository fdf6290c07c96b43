import type { LossRecord } from '@mmfuse/core';
import type { RunSummary } from '@mmfuse/runs';

export interface RunStartInfo {
  runDir: string;
  setups: string[];
  trials: number;
  epochs: number;
  backend: string;
  /** Threads computing each batch (data-parallel when > 1). */
  workers: number;
  /** Threads each convolution's batch is split over, when more than one. */
  convolutionThreads?: number;
  trainSamples: number;
  testSamples: number;
}

/** Progress of a run, for terminals and logs; every method is optional. */
export interface RunReporter {
  runStarted?(info: RunStartInfo): void;
  trialStarted?(setup: string, trial: number): void;
  epochEnded?(setup: string, trial: number, epoch: number, train: LossRecord, test: LossRecord): void;
  /**
   * A trial finished: trained here (`test` is its last test loss), or `restored` from an outcome
   * file another process or an earlier run wrote (the reporter has already said so, or the run says
   * it resumed).
   */
  trialEnded?(setup: string, trial: number, seconds: number, end?: { test?: LossRecord; restored?: boolean }): void;
  trialDiverged?(setup: string, trial: number, message: string): void;
  /** Something about how a trial trains that the user should know (e.g. micro-batching). */
  note?(setup: string, trial: number, message: string): void;
  /** A dispatched trial failed on every worker that tried it. */
  trialFailed?(setup: string, trial: number, error: string): void;
  runEnded?(summary: RunSummary): void;
}
