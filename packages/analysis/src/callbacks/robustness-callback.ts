import { CallbackContext, createRng, deriveSeed, gatherSamples, ModalitySpec, sampleSize, TrainingCallback, TrialInfo, UserInputError } from '@mmfuse/core';
import { failureByType, FailureDefinition } from '@mmfuse/failures';
import { ANALYSIS_FILES } from '@mmfuse/runs';
import { recordTrial } from './analysis-file';
import { modalityWeightsOf, Perturbation, reconstructionErrors, spreadIndices } from './model-passes';

export interface RobustnessOptions {
  /** Modalities to perturb (default every one). */
  modalities: string[];
  /** Ways of losing a modality: replace it by zeros or by the training mean. */
  drops: Array<'zeros' | 'mean'>;
  /** Failure applied at increasing severity, per modality kind. */
  imageFailure: string;
  seriesFailure: string;
  severities: number[];
  /** Test samples evaluated (spread over the split). */
  samples: number;
}

export const ROBUSTNESS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    modalities: { type: 'array', items: { type: 'string', minLength: 1 }, uniqueItems: true, default: [], description: 'Modalities to perturb at test time (default: every one).' },
    drops: { type: 'array', items: { enum: ['zeros', 'mean'] }, uniqueItems: true, default: ['zeros', 'mean'], description: 'A missing modality replaced by zeros or by its training mean.' },
    imageFailure: { type: 'string', minLength: 1, default: 'pixel-gaussian', description: 'Failure applied to image modalities at each severity (see the data package\'s failures).' },
    seriesFailure: { type: 'string', minLength: 1, default: 'gaussian-noise', description: 'Failure applied to series modalities at each severity.' },
    severities: { type: 'array', items: { type: 'number', minimum: 0, maximum: 1 }, minItems: 1, maxItems: 64, default: [0, 0.25, 0.5, 0.75, 1], description: 'Severities of the corruption curve.' },
    samples: { type: 'integer', minimum: 1, maximum: 100000, default: 256, description: 'Test samples evaluated at each point.' },
  },
};

/**
 * Robustness to missing and corrupted modalities at test time (beyond the paper): after each trial,
 * every modality in turn is dropped (zeros or its training mean) or corrupted at increasing
 * severity, and the reconstruction error of every modality is recorded against the clean inputs
 * (analysis/robustness.json). For fusions that weight the modalities (attention variants), each
 * point also records the weights, so one sees whether the fusion turns away from a failing modality.
 */
export class RobustnessCallback implements TrainingCallback {
  private readonly failures: Record<'image' | 'series', FailureDefinition>;

  constructor(readonly options: RobustnessOptions) {
    const pick = (type: string, kind: 'image' | 'series', key: string) => {
      let failure: FailureDefinition;
      try {
        failure = failureByType(type);
      } catch (error) {
        throw new UserInputError(`${key}: ${(error as Error).message}`);
      }
      if (failure.target !== kind) throw new UserInputError(`${key}: "${type}" is a failure of ${failure.target} data, not ${kind} data`);
      return failure;
    };
    this.failures = { image: pick(options.imageFailure, 'image', 'imageFailure'), series: pick(options.seriesFailure, 'series', 'seriesFailure') };
  }

  async onTrialEnd(info: TrialInfo): Promise<void> {
    const { model, data } = info;
    const split = data.test.size > 0 ? data.test : data.train;
    const indices = spreadIndices(split.size, this.options.samples);
    const names = model.encoders.map((e) => e.modality.name);
    for (const name of this.options.modalities) {
      if (!names.includes(name)) throw new UserInputError(`robustness: modality "${name}" is not one of the model's (${names.join(', ')})`);
    }
    const perturbed = this.options.modalities.length > 0 ? this.options.modalities : names;
    const point = async (perturbed: string, mode: string, severity: number, perturb?: Perturbation) => {
      const weights = await modalityWeightsOf(model, split, indices, perturb);
      return { perturbed, mode, severity, loss: await reconstructionErrors(model, split, indices, perturb), ...(weights ? { weights } : {}) };
    };
    const curves: Array<Record<string, unknown>> = [await point('none', 'clean', 0)];
    for (const name of perturbed) {
      const spec = model.encoders.find((e) => e.modality.name === name)!.modality;
      const only = (change: (batch: Float32Array, count: number) => void) => (m: ModalitySpec, batch: Float32Array, count: number) => {
        if (m.name === name) change(batch, count);
      };
      for (const drop of this.options.drops) {
        const fill = drop === 'zeros' ? new Float32Array(sampleSize(spec)) : trainingMean(info, spec);
        curves.push(
          await point(name, `drop-${drop}`, 1, only((batch, count) => {
            for (let s = 0; s < count; s++) batch.set(fill, s * fill.length);
          })),
        );
      }
      if (spec.kind === 'vector') continue;
      const failure = this.failures[spec.kind];
      for (const severity of this.options.severities) {
        // The same draws at every severity, so the curve changes only with the severity.
        // (and the same draws for the weights as for the losses)
        const corrupt = () => {
          const rng = createRng(deriveSeed(info.seed, 'robustness', name));
          return only((batch, count) => {
            const size = batch.length / count;
            for (let s = 0; s < count; s++) failure.apply(batch.subarray(s * size, (s + 1) * size), spec.shape, severity, rng);
          });
        };
        const weights = await modalityWeightsOf(model, split, indices, corrupt());
        curves.push({ perturbed: name, mode: failure.type, severity, loss: await reconstructionErrors(model, split, indices, corrupt()), ...(weights ? { weights } : {}) });
      }
    }
    recordTrial(info.runDir, ANALYSIS_FILES.robustness, info.setup, info.trial, { curves });
  }
}

/** Per-value mean of a modality over (up to 2,000 samples of) the training split. */
function trainingMean(info: TrialInfo, spec: ModalitySpec): Float32Array {
  const size = sampleSize(spec);
  const indices = spreadIndices(info.data.train.size, 2000);
  const values = gatherSamples(info.data.train.arrays[spec.name], size, indices, 0, indices.length);
  const mean = new Float64Array(size);
  for (let s = 0; s < indices.length; s++) for (let i = 0; i < size; i++) mean[i] += values[s * size + i];
  return Float32Array.from(mean, (v) => v / Math.max(1, indices.length));
}

export function createRobustnessCallback(options: RobustnessOptions, _context: CallbackContext): RobustnessCallback {
  return new RobustnessCallback(options);
}
