import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { appendFileDurable, CallbackContext, CallbackSummary, deriveSeed, EpochInfo, MultimodalModel, RestoredTrialInfo, SubModel, TrainingCallback, TrialInfo, UserInputError } from '@mmfuse/core';
import { CertifiedBoundEstimator } from './certified-bound';
import { Estimator, SharedForward } from './estimator';
import { createEstimator, EstimatorConfig, ESTIMATOR_ENTRY_SCHEMA } from './estimator-options';
import { GradientRatioEstimator } from './gradient-ratio';
import { LipschitzSummary } from './lipschitz-summary';
import { BoundKind, CertificateDomain, inCurrentVocabulary, LayerNormBound, LipschitzResult, Quantity } from './lipschitz-result';
import type { LipschitzTarget } from './lipschitz-target';
import { modelLossProbe } from './model-loss-probe';
import { decoderTarget, encoderTarget, flattenRows, fusionTarget, latentRows, modelTarget } from './sub-model-targets';
import { drawTrackedSamples } from './tracked-samples';
import { EvaluationBudget } from './evaluation-budget';

export interface LipschitzTrackerOptions {
  /** Estimate after every `every`-th epoch (and before training, and after the last epoch). */
  every: number;
  /** Training samples drawn once per trial at which everything is estimated. */
  samples: number;
  /** Names of the sub-models to track (`encoder:camera`, `fusion`, `decoder:joints`, `model`); empty = all. */
  subModels: string[];
  estimators: EstimatorConfig[];
  /** JSON-lines file in the run folder. */
  file: string;
  /** Share of each trial's time estimating may take (0: no limit); see EvaluationBudget. */
  budget: number;
}

export const DEFAULT_ESTIMATORS: EstimatorConfig[] = [{ type: 'jacobian-spectral' }, { type: 'jacobian-frobenius' }, { type: 'certified-bound' }];

export const LIPSCHITZ_TRACKER_DEFAULTS: LipschitzTrackerOptions = { every: 1, samples: 4, subModels: [], estimators: DEFAULT_ESTIMATORS, file: 'lipschitz.jsonl', budget: 0.1 };

const BUDGET_DESCRIPTION =
  'Share of each trial\'s time estimating may take: an evaluation scheduled by "every" is skipped when, with the final one still to come, it would pass that share of the trial\'s projected time. Before training and after the last epoch always run. Each row states the budget and the epochs skipped before it; 0 = no limit (every scheduled evaluation runs).';

export const LIPSCHITZ_TRACKER_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    every: { type: 'integer', minimum: 1, maximum: 100000, default: LIPSCHITZ_TRACKER_DEFAULTS.every, description: 'Estimate after every N-th epoch; also before training (epoch 0) and after the last epoch.' },
    samples: { type: 'integer', minimum: 1, maximum: 100000, default: LIPSCHITZ_TRACKER_DEFAULTS.samples, description: 'Training samples drawn once per trial (seeded) at which every estimate is taken; latents for the fusion and decoders come from encoding them.' },
    subModels: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      uniqueItems: true,
      default: LIPSCHITZ_TRACKER_DEFAULTS.subModels,
      description: 'Sub-models to track by name (encoder:<modality>, fusion, decoder:<modality>, model for the whole autoencoder); empty = all of them.',
    },
    estimators: {
      type: 'array',
      minItems: 1,
      maxItems: 32,
      items: ESTIMATOR_ENTRY_SCHEMA,
      default: LIPSCHITZ_TRACKER_DEFAULTS.estimators,
      description: 'Estimators run on every tracked sub-model, e.g. [{ "type": "jacobian-spectral" }, { "type": "certified-bound" }].',
    },
    file: { type: 'string', minLength: 1, pattern: '^[A-Za-z0-9._-]+$', default: LIPSCHITZ_TRACKER_DEFAULTS.file, description: 'JSON-lines file in the run folder, one row per sub-model, estimator and evaluation.' },
    budget: { type: 'number', minimum: 0, maximum: 1, default: LIPSCHITZ_TRACKER_DEFAULTS.budget, description: BUDGET_DESCRIPTION },
  },
};

/**
 * One line of `lipschitz.jsonl`: what the value is (`quantity`), which side of the constant named
 * in `of` it lies on (`bound`: lower, upper or none) and why (`relation`); a certificate keeps
 * what it assumes, the domain it holds on and, built from layers, each layer's gap.
 */
export interface LipschitzRow {
  setup: string;
  trial: number;
  epoch: number;
  subModel: string;
  estimator: string;
  quantity: Quantity;
  bound: BoundKind;
  of: string;
  relation: string;
  value: number;
  mean?: number;
  samples: number;
  seconds: number;
  /** The tracker's time budget (share of the trial) when this row was written; 0: none. */
  budget?: number;
  /** Scheduled evaluations skipped for the budget since the previous one (their epochs). */
  skipped?: number[];
  method: string;
  norm: string;
  convention?: string;
  assumptions?: string;
  domain?: CertificateDomain;
  layers?: readonly LayerNormBound[];
  details?: string;
}

/** One estimate of one tracked sub-model; `estimator` indexes the tracker's `estimators`. */
export interface TrackedResult {
  subModel: string;
  estimator: number;
  result: LipschitzResult;
}

/** An estimator that threw on a sub-model during an evaluation. */
export interface EstimatorFailure {
  subModel: string;
  /** Index into the tracker's `estimators`. */
  estimator: number;
  type: string;
  message: string;
}

/** The row written for a failed estimate. */
export interface FailedRow {
  setup: string;
  trial: number;
  epoch: number;
  subModel: string;
  estimator: string;
  value: null;
  error: string;
}

interface TrialState {
  samples: tf.Tensor[];
  /** The trial's clock, its time spent estimating and which evaluations it skipped. */
  budget: EvaluationBudget;
  lastEstimated: number;
  lastEpoch: number;
  /** The latest evaluation, for the record when a trial diverges. */
  latest: Array<{ epoch: number; subModel: string; estimator: string; bound: string; value: number }>;
}

/**
 * Tracks the Lipschitz behaviour of every sub-model and of the whole model during training, on
 * fixed samples per trial, writing one row per (evaluation, sub-model, estimator).
 */
export class LipschitzTracker implements TrainingCallback {
  readonly options: LipschitzTrackerOptions;
  private readonly estimators: Estimator[];
  private readonly summary: LipschitzSummary;
  private trial: TrialState | undefined;

  constructor(options: Partial<LipschitzTrackerOptions> = {}, private readonly context?: CallbackContext) {
    this.options = { ...LIPSCHITZ_TRACKER_DEFAULTS, ...options };
    if (!(this.options.every >= 1)) throw new UserInputError(`lipschitz: "every" must be a positive number of epochs, got ${this.options.every}`);
    this.estimators = this.options.estimators.map((e, i) => {
      try {
        return createEstimator(e);
      } catch (error) {
        if (error instanceof UserInputError) throw new UserInputError(error.lines.map((l) => `lipschitz estimators[${i}]: ${l}`));
        throw error;
      }
    });
    this.summary = new LipschitzSummary(this.estimators, this.options.budget);
  }

  async onTrialStart(info: TrialInfo): Promise<void> {
    this.finishTrial();
    this.checkSubModels(info.model);
    this.trial = {
      samples: drawTrackedSamples(info.model, info.data, this.options.samples, deriveSeed(info.seed, 'lipschitz', 'samples')),
      budget: new EvaluationBudget(this.options.budget, info.startEpoch, info.epochs),
      lastEstimated: info.startEpoch > 0 ? info.startEpoch : -1,
      lastEpoch: info.startEpoch,
      latest: [],
    };
    // A resumed trial already has its rows up to its checkpoint.
    if (info.startEpoch === 0) await this.record(info, 0);
  }

  /** The last estimates of the sub-model whose weights went bad (all sub-models when unknown). */
  onDiverged(info: TrialInfo & { readonly epoch: number; readonly subModel?: string }): Record<string, unknown> | undefined {
    const latest = this.trial?.latest.filter((r) => !info.subModel || r.subModel === info.subModel) ?? [];
    return latest.length > 0 ? { lastLipschitz: latest } : undefined;
  }

  async onEpochEnd(info: EpochInfo): Promise<void> {
    if (!this.trial) return;
    this.trial.lastEpoch = info.epoch;
    if (info.epoch % this.options.every !== 0) return;
    if (this.trial.budget.admits(info.epoch)) await this.record(info, info.epoch, info.epochs !== undefined && info.epoch >= info.epochs);
    else this.estimators.forEach((e) => e.skipped?.());
  }

  async onTrialEnd(info: TrialInfo): Promise<void> {
    const trial = this.trial;
    if (!trial) return;
    if (trial.lastEstimated < trial.lastEpoch) await this.record(info, trial.lastEpoch, true);
    this.summary.addTiming(info.setup, info.trial, trial.budget.estimating, trial.budget.elapsed, trial.budget.skipped);
    this.finishTrial();
  }

  summarize(): CallbackSummary | undefined {
    return this.summary.summarize(this.options.file);
  }

  /**
   * A trial finished before a resume: its last estimate of each sub-model and estimator, and the
   * time spent estimating (the sum of its rows' seconds), come back from lipschitz.jsonl, so the
   * summary covers every trial. An
   * estimator listed twice with the same type is matched by type (its first entry).
   */
  onTrialRestored(info: RestoredTrialInfo): void {
    const runDir = info.runDir || this.context?.runDir;
    const file = runDir ? join(runDir, this.options.file) : '';
    if (!file || !existsSync(file)) return;
    const rows = readFileSync(file, 'utf8')
      .split('\n')
      .flatMap((line) => {
        try {
          // Rows of older versions say `frobenius`/`lower` where they mean `frobenius-local`/`none`.
          return line.trim() ? [inCurrentVocabulary(JSON.parse(line) as LipschitzRow | FailedRow)] : [];
        } catch {
          return [];
        }
      })
      .filter((r): r is LipschitzRow => r.setup === info.setup && r.trial === info.trial && typeof r.value === 'number');
    if (rows.length === 0) return;
    const lastEpoch = Math.max(...rows.map((r) => r.epoch));
    const results = rows
      .filter((r) => r.epoch === lastEpoch)
      .map((r) => ({ subModel: r.subModel, estimator: this.estimators.findIndex((e) => e.type === r.estimator), result: r as unknown as LipschitzResult }))
      .filter((r) => r.estimator >= 0);
    this.summary.addEvaluation(info.setup, info.trial, lastEpoch, results);
    const skipped = new Map(rows.map((r) => [r.epoch, r.skipped?.length ?? 0]));
    this.summary.addTiming(info.setup, info.trial, rows.reduce((sum, r) => sum + r.seconds, 0), info.seconds, [...skipped.values()].reduce((a, b) => a + b, 0));
  }

  /**
   * Runs every estimator on every tracked sub-model of `model` at the given inputs (one tensor per
   * modality, in encoder order). Usable outside training; the tracker calls it at each evaluation.
   * An estimator that throws stops the evaluation unless `onError` is given, which then hears of
   * the failure and the evaluation goes on with the next sub-model.
   */
  async evaluate(model: MultimodalModel, inputs: readonly tf.Tensor[], seed: number, onError?: (failure: EstimatorFailure) => void): Promise<TrackedResult[]> {
    // Forward passes advance state such as spectral normalisation's power-iteration vectors; it is
    // put back afterwards, so whether an evaluation runs (see `budget`) never changes training.
    const buffers = model.subModels().flatMap((s) => s.buffers ?? []).map((b) => ({ variable: b.variable, saved: tf.clone(b.variable) }));
    try {
      return await this.estimateAll(model, inputs, seed, onError);
    } finally {
      for (const { variable, saved } of buffers) variable.assign(saved);
      tf.dispose(buffers.map((b) => b.saved));
    }
  }

  private async estimateAll(model: MultimodalModel, inputs: readonly tf.Tensor[], seed: number, onError?: (failure: EstimatorFailure) => void): Promise<TrackedResult[]> {
    const wanted = (name: string) => this.options.subModels.length === 0 || this.options.subModels.includes(name);
    const tracked: Array<{ target: LipschitzTarget; rows: tf.Tensor2D }> = [];
    model.encoders.forEach((encoder, i) => {
      if (wanted(encoder.name)) tracked.push({ target: encoderTarget(encoder), rows: flattenRows([inputs[i]]) });
    });
    if (wanted(model.fusion.name)) tracked.push({ target: fusionTarget(model.fusion), rows: latentRows(model, inputs) });
    const decoders = model.decoders.filter((d) => wanted(d.name));
    if (decoders.length > 0) {
      const z = model.encode(inputs);
      decoders.forEach((decoder, i) => tracked.push({ target: decoderTarget(decoder), rows: i === 0 ? z : tf.clone(z) }));
    }
    if (wanted('model')) tracked.push({ target: modelTarget(model), rows: flattenRows(inputs) });

    const results: TrackedResult[] = [];
    const certified = this.estimators.filter((e): e is CertifiedBoundEstimator => e instanceof CertifiedBoundEstimator);
    certified.forEach((e) => e.startEvaluation());
    const shared = new SharedForward();
    try {
      for (const [index, estimator] of this.estimators.entries()) {
        const attempt = async (subModel: string, run: () => Promise<void>) => {
          try {
            await run();
          } catch (error) {
            if (!onError) throw error;
            onError({ subModel, estimator: index, type: estimator.type, message: (error as Error).message });
          }
        };
        if (estimator instanceof GradientRatioEstimator && estimator.options.gradient === 'parameters') {
          const subModels = model.subModels().filter((s) => wanted(s.name));
          const probe = modelLossProbe(model, subModels, wanted('model'));
          const rows = flattenRows(inputs);
          try {
            await attempt('model', async () => {
              for (const { group, result } of await estimator.estimateParameters(probe, rows, seed)) results.push({ subModel: group, estimator: index, result });
            });
          } finally {
            rows.dispose();
          }
          continue;
        }
        for (const { target, rows } of tracked) {
          await attempt(target.name, async () => {
            const result = await estimator.estimate(target, rows, seed, shared);
            if (result) results.push({ subModel: target.name, estimator: index, result });
          });
        }
      }
    } finally {
      certified.forEach((e) => e.endEvaluation());
      shared.dispose();
      tf.dispose(tracked.map((t) => t.rows));
    }
    return results;
  }

  private async record(info: TrialInfo, epoch: number, final = false): Promise<void> {
    const trial = this.trial!;
    if (final) this.estimators.forEach((e) => e.finalEvaluation?.());
    const started = performance.now();
    const failures: EstimatorFailure[] = [];
    const results = await this.evaluate(info.model, trial.samples, deriveSeed(info.seed, 'lipschitz'), (failure) => failures.push(failure));
    const skipped = trial.budget.recorded((performance.now() - started) / 1000);
    const schedule = { budget: this.options.budget, ...(skipped.length > 0 ? { skipped } : {}) };
    const rows: Array<LipschitzRow | FailedRow> = results.map(({ subModel, result }) => ({
      setup: info.setup,
      trial: info.trial,
      epoch,
      subModel,
      estimator: result.estimator,
      quantity: result.quantity,
      bound: result.bound,
      of: result.of,
      relation: result.relation,
      value: result.value,
      ...(result.mean === undefined ? {} : { mean: result.mean }),
      samples: result.samples,
      seconds: result.seconds,
      ...schedule,
      method: result.method,
      norm: result.norm,
      ...definedOnly({ convention: result.convention, assumptions: result.assumptions, domain: result.domain, layers: result.layers, details: result.details }),
    }));
    // A failing estimator (e.g. an op without second-order gradients in a third-party fusion) leaves a
    // row saying why instead of stopping the training run.
    for (const f of failures) rows.push({ setup: info.setup, trial: info.trial, epoch, subModel: f.subModel, estimator: f.type, value: null, error: f.message });
    this.summary.addFailures(failures);
    const runDir = info.runDir || this.context?.runDir;
    if (runDir && rows.length > 0) appendFileDurable(join(runDir, this.options.file), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    this.summary.addEvaluation(info.setup, info.trial, epoch, results);
    trial.lastEstimated = epoch;
    trial.latest = results.map(({ subModel, result }) => ({ epoch, subModel, estimator: result.estimator, bound: result.bound, value: result.value }));
  }

  private checkSubModels(model: MultimodalModel): void {
    const names = [...model.subModels().map((s: SubModel) => s.name), 'model'];
    const unknown = this.options.subModels.filter((n) => !names.includes(n));
    if (unknown.length > 0) throw new UserInputError(`lipschitz: subModels names ${unknown.map((n) => `"${n}"`).join(', ')}, but the model has ${names.join(', ')}`);
  }

  private finishTrial(): void {
    if (!this.trial) return;
    tf.dispose(this.trial.samples);
    this.estimators.forEach((e) => e.reset());
    this.trial = undefined;
  }
}

function definedOnly<T extends object>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function createLipschitzTracker(options: Partial<LipschitzTrackerOptions>, context: CallbackContext): LipschitzTracker {
  return new LipschitzTracker(options, context);
}
