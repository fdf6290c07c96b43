import { CallbackContext, TrainingCallback, TrialInfo, UserInputError } from '@mmfuse/core';
import { ANALYSIS_FILES } from '@mmfuse/runs';
import { recordSetup } from './analysis-file';
import { reconstructionsOf, spreadIndices } from './model-passes';

export interface ReconstructionsOptions {
  /** Image modality shown (default: the first image modality). */
  modality?: string;
  samples: number;
  /** Trials whose reconstructions are kept. */
  trials: number[];
}

export const RECONSTRUCTIONS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    modality: { type: 'string', minLength: 1, description: 'Modality whose inputs and reconstructions are kept (default: the first image modality).' },
    samples: { type: 'integer', minimum: 1, maximum: 64, default: 4, description: 'Test samples kept per set-up.' },
    trials: { type: 'array', items: { type: 'integer', minimum: 0 }, default: [0], description: 'Trials whose reconstructions are kept.' },
  },
};

/** Keeps a few test inputs and their reconstructions after a trial (analysis/reconstructions.json), for pixel-error figures. */
export class ReconstructionsCallback implements TrainingCallback {
  constructor(readonly options: ReconstructionsOptions) {}

  async onTrialEnd(info: TrialInfo): Promise<void> {
    if (!this.options.trials.includes(info.trial)) return;
    const specs = info.model.encoders.map((e) => e.modality);
    const spec = this.options.modality ? specs.find((s) => s.name === this.options.modality) : specs.find((s) => s.kind === 'image') ?? specs[0];
    if (!spec) throw new UserInputError(`reconstructions: modality "${this.options.modality}" is not one of the model's (${specs.map((s) => s.name).join(', ')})`);
    const split = info.data.test.size > 0 ? info.data.test : info.data.train;
    const samples = await reconstructionsOf(info.model, split, spreadIndices(split.size, this.options.samples), spec.name);
    // One set of samples per set-up (the first kept trial's), as the report shows them.
    if (info.trial !== Math.min(...this.options.trials)) return;
    recordSetup(info.runDir, ANALYSIS_FILES.reconstructions, info.setup, { trial: info.trial, modality: spec.name, shape: [...spec.shape], samples });
  }
}

export function createReconstructionsCallback(options: ReconstructionsOptions, _context: CallbackContext): ReconstructionsCallback {
  return new ReconstructionsCallback(options);
}
