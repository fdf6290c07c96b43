import type { MultimodalModel } from './model';

/** Per-modality mean squared errors and their sum (`total`), one number each. */
export type LossRecord = Record<string, number>;

export interface TrialInfo {
  /** Label of the fusion set-up being trained (e.g. `sum`). */
  readonly setup: string;
  readonly trial: number;
  readonly seed: number;
  readonly runDir: string;
}

export interface EpochInfo extends TrialInfo {
  readonly epoch: number;
  readonly model: MultimodalModel;
  readonly train: LossRecord;
  readonly test: LossRecord;
}

/** Hooks into training (metrics writers, Lipschitz trackers, checkpoints...). */
export interface TrainingCallback {
  onTrialStart?(info: TrialInfo & { readonly model: MultimodalModel }): void | Promise<void>;
  onEpochEnd?(info: EpochInfo): void | Promise<void>;
  onTrialEnd?(info: TrialInfo & { readonly model: MultimodalModel }): void | Promise<void>;
}

export interface CallbackContext {
  readonly runDir: string;
}
