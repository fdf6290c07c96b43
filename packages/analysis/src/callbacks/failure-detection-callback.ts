import { CallbackContext, createRng, deriveSeed, ModalitySpec, TrainingCallback, TrialInfo, UserInputError } from '@mmfuse/core';
import { FailureDefinition, failureByType, failureTypes } from '@mmfuse/failures';
import { DetectionReport, fitFailureDetector } from '../detection';
import { denseMatrix } from '../matrix-input';
import { ANALYSIS_FILES } from '@mmfuse/runs';
import { recordTrial } from './analysis-file';
import { latentsOf, spreadIndices } from './model-passes';

export interface FailureDetectionOptions {
  /** Injected failures evaluated one by one (default: every image and series failure). */
  failures: string[];
  /** Severity of the injected failures, in [0, 1]. */
  severity: number;
  /** Clean training samples the detector is fitted on (spread over the split). */
  fitSamples: number;
  /** Clean test samples for the threshold and for the clean side of each evaluation (half each). */
  testSamples: number;
  /** Percentile of clean calibration distances used as the threshold. */
  percentile: number;
  /** kPCA components (default: enough for 95 % of the variance). */
  components?: number;
  /** Distances kept per side and failure for the report's histograms. */
  keepDistances: number;
  /** Add the kPCA reconstruction residual to the Mahalanobis space (see the schema). */
  residual: boolean;
}

export const FAILURE_DETECTION_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    failures: { type: 'array', items: { type: 'string', minLength: 1 }, uniqueItems: true, default: [], description: 'Injected failures evaluated one by one (default: every image failure on image modalities and every series failure on series modalities).' },
    severity: { type: 'number', minimum: 0, maximum: 1, default: 0.7, description: 'Severity of the injected failures.' },
    fitSamples: { type: 'integer', minimum: 10, maximum: 5000, default: 1000, description: 'Clean training samples the kernel PCA and the Mahalanobis distance are fitted on.' },
    testSamples: { type: 'integer', minimum: 10, maximum: 100000, default: 400, description: 'Clean test samples: half place the threshold, half are the clean side of each evaluation.' },
    percentile: { type: 'number', minimum: 50, maximum: 100, default: 95, description: 'Percentile of clean distances used as the threshold (the paper: 95).' },
    components: { type: 'integer', minimum: 1, maximum: 256, description: 'Kernel PCA components (default: enough for 95 % of the variance, at most 32).' },
    keepDistances: { type: 'integer', minimum: 0, maximum: 5000, default: 500, description: 'Distances kept per side and failure, for the report\'s histograms.' },
    residual: {
      type: 'boolean',
      default: true,
      description:
        'Score the kPCA reconstruction residual too. With the RBF kernel, latents far from every clean one project near the clean ones, so the paper\'s projection-only score (false) can rank a gross fault below a subtle one; the residual grows exactly there.',
    },
  },
};

/**
 * Failure detection from the fused latents (the paper's §5.7): after each trial, an RBF kernel PCA
 * and a Mahalanobis distance are fitted on clean training latents, the threshold is the 95th
 * percentile of held-out clean distances, and each failure is scored on the test split: injected
 * sensor failures (each type on copies of clean test samples) and, when the data label them,
 * failures inside the process (their test samples). Writes analysis/failure-detection.json.
 */
export class FailureDetectionCallback implements TrainingCallback {
  private readonly injected: FailureDefinition[];

  constructor(readonly options: FailureDetectionOptions) {
    this.injected = (options.failures.length > 0 ? options.failures : [...failureTypes('image'), ...failureTypes('series')]).map((type, i) => {
      try {
        return failureByType(type);
      } catch (error) {
        throw new UserInputError(`failures[${i}]: ${(error as Error).message}`);
      }
    });
  }

  async onTrialEnd(info: TrialInfo): Promise<void> {
    const { model, data } = info;
    const labels = (split: 'train' | 'test') => data[split].labels?.failure;
    const cleanOf = (split: 'train' | 'test', count: number) => {
      const all = labels(split);
      const candidates = all ? Int32Array.from({ length: data[split].size }, (_, i) => i).filter((i) => all[i] === 0) : Int32Array.from({ length: data[split].size }, (_, i) => i);
      return Int32Array.from(spreadIndices(candidates.length, count), (k) => candidates[k]);
    };
    const train = cleanOf('train', this.options.fitSamples);
    const test = cleanOf('test', this.options.testSamples);
    if (train.length < 10 || test.length < 4) return;
    const calibration = test.filter((_, k) => k % 2 === 0);
    const evaluation = test.filter((_, k) => k % 2 === 1);
    const latents = async (split: 'train' | 'test', indices: Int32Array, perturb?: Parameters<typeof latentsOf>[3]) => {
      const { values, size } = await latentsOf(model, data[split], indices, perturb);
      return denseMatrix(values, size);
    };
    const detector = fitFailureDetector(await latents('train', train), {
      calibration: await latents('test', calibration),
      percentile: this.options.percentile,
      kernelPca: this.options.components ? { components: this.options.components } : undefined,
      includeResidual: this.options.residual,
    });
    const clean = await latents('test', evaluation);
    const results: Array<Record<string, unknown>> = [];
    const keep = (scores: Float64Array) => Array.from(scores.subarray(0, this.options.keepDistances), (v) => +v.toPrecision(5));
    const record = (failure: string, kind: string, report: DetectionReport) =>
      results.push({ failure, kind, threshold: report.threshold, confusion: report.confusion, tpr: report.tpr, fpr: report.fpr, precision: report.precision, f1: report.f1, auc: report.auc, distances: { clean: keep(report.scores.clean), faulty: keep(report.scores.faulty) } });

    const specs = model.encoders.map((e) => e.modality);
    for (const failure of this.injected) {
      const targets = specs.filter((s) => s.kind === failure.target);
      if (targets.length === 0) continue;
      // The same draws for every set-up and trial, so they face the same faults.
      const rng = createRng(deriveSeed(0, 'failure-detection', failure.type));
      const perturb = (spec: ModalitySpec, batch: Float32Array, count: number) => {
        if (spec.kind !== failure.target) return;
        const size = batch.length / count;
        for (let s = 0; s < count; s++) failure.apply(batch.subarray(s * size, (s + 1) * size), spec.shape, this.options.severity, rng);
      };
      record(failure.type, 'injected', detector.evaluate(clean, await latents('test', evaluation, perturb)));
    }
    const testLabels = labels('test');
    const names = (data.description?.labels as { failure?: string[] } | undefined)?.failure;
    if (testLabels) {
      for (const label of [...new Set(testLabels)].filter((l) => l !== 0).sort((a, b) => a - b)) {
        const faulty = Int32Array.from({ length: data.test.size }, (_, i) => i).filter((i) => testLabels[i] === label);
        record(names?.[label] ?? `label ${label}`, 'process', detector.evaluate(clean, await latents('test', faulty)));
      }
    }
    recordTrial(info.runDir, ANALYSIS_FILES.failureDetection, info.setup, info.trial, {
      residual: detector.includeResidual,
      threshold: detector.threshold,
      percentile: detector.percentile,
      components: detector.kernelPca.components,
      gamma: detector.kernelPca.gamma,
      fitted: train.length,
      results,
    });
  }
}

export function createFailureDetectionCallback(options: FailureDetectionOptions, _context: CallbackContext): FailureDetectionCallback {
  return new FailureDetectionCallback(options);
}
