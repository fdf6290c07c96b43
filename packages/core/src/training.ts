import type { MultimodalDataset } from './data';
import type { MultimodalModel } from './model';

/** Per-modality mean squared errors and their sum (`total`), one number each. */
export type LossRecord = Record<string, number>;

export interface TrialInfo {
  /** Label of the fusion set-up being trained (e.g. `sum`). */
  readonly setup: string;
  readonly trial: number;
  readonly seed: number;
  readonly runDir: string;
  /** The model being trained (inputs in the order of `model.encoders`). */
  readonly model: MultimodalModel;
  /** The experiment's data (the same for every trial and set-up). */
  readonly data: MultimodalDataset;
  /** Epochs already done: 0 for a new trial, the checkpoint's epoch for a resumed one. */
  readonly startEpoch: number;
  /** The epochs the trial trains for, when known (a callback may plan its work by them). */
  readonly epochs?: number;
}

export interface EpochInfo extends TrialInfo {
  readonly epoch: number;
  readonly train: LossRecord;
  readonly test: LossRecord;
}

/** Hooks into training (metrics writers, Lipschitz trackers, checkpoints...). */
export interface TrainingCallback {
  onTrialStart?(info: TrialInfo): void | Promise<void>;
  onEpochEnd?(info: EpochInfo): void | Promise<void>;
  onTrialEnd?(info: TrialInfo): void | Promise<void>;
  /**
   * A trial that finished before this process started (a resumed run): there is no model, but a
   * callback that keeps files can read back what `summarize()` needs. `seconds` is the trial's time.
   */
  onTrialRestored?(info: RestoredTrialInfo): void | Promise<void>;
  /** The trial diverged at `epoch` (in `subModel`'s weights when known); details for the record. */
  onDiverged?(info: TrialInfo & { readonly epoch: number; readonly subModel?: string }): Record<string, unknown> | undefined;
  /**
   * What the callback found over the whole run, stored in summary.json under
   * `callbacks.<name>`; `table` rows, when given, are printed after the loss table.
   */
  summarize?(): CallbackSummary | undefined;
}

export interface RestoredTrialInfo {
  readonly setup: string;
  readonly trial: number;
  readonly seed: number;
  readonly runDir: string;
  readonly seconds: number;
}

export interface CallbackSummary {
  readonly name: string;
  readonly data: Record<string, unknown>;
  readonly title?: string;
  readonly table?: { readonly head: readonly string[]; readonly rows: readonly (readonly string[])[] };
}

export interface CallbackContext {
  readonly runDir: string;
}
