import * as tf from '@tensorflow/tfjs-core';
import { createRng, deriveSeed, gatherSamples, LossRecord, ModalitySamples, ModalitySpec, MultimodalDataset, permutation, Regularizer, Rng, sampleSize } from '@mmfuse/core';
import type { CorruptionConfig, ExperimentConfig } from '@mmfuse/config';
import { BatchArrays, LossLayout } from './batch-gradients';
import { createAdam } from './fused-adam';
import { measureStepMemory, MicroBatchPlan, microBatchGradients, planMicroBatch, StepMemory } from './micro-batch';
import { corruptBatch, corruptionFailures } from './corruption';
import type { FailureDefinition } from '@mmfuse/failures';
import type { DataParallelPool } from './data-parallel-pool';
import type { EpochRecord, SavedTensor, TrialCheckpoint } from '@mmfuse/runs';
import type { MultimodalAutoencoder } from '@mmfuse/model';

/** Checkpointing of one trial: where to save, how often, and where to continue from. */
export interface TrialCheckpointing {
  /** Save after every N-th epoch (and after the last). */
  every: number;
  save(checkpoint: TrialCheckpoint): void | Promise<void>;
  /** Continue from this checkpoint instead of starting at epoch 1. */
  resume?: TrialCheckpoint;
}

/** A trial stopped because its loss or weights stopped being finite numbers. */
export class DivergenceError extends Error {
  constructor(
    readonly epoch: number,
    readonly step: number,
    /** The first sub-model whose weights hold NaN or ±Infinity (undefined: weights still finite). */
    readonly subModel: string | undefined,
    readonly records: EpochRecord[],
    /** Where else it showed, when not in the weights or the training loss (e.g. "the test loss of camera"). */
    readonly where?: string,
  ) {
    super(`diverged in epoch ${epoch}${where ? `: ${where} is no longer finite` : `, step ${step}${subModel ? `: weights of ${subModel} are no longer finite` : ': the loss is no longer finite'}`}`);
    this.name = 'DivergenceError';
  }
}

/** Copies the samples `indices[start..end)` of one modality into one contiguous batch (into `out` when given). */
/** The batch `indices[start..end)` of one modality (in memory or in a store). */
export const gatherBatch = gatherSamples;

/** Every variable's values, read asynchronously (a GPU backend under Node has no synchronous read). */
function saved(variables: readonly tf.Variable[]): Promise<SavedTensor[]> {
  return Promise.all(variables.map(async (v) => ({ name: v.name, shape: [...v.shape], values: (await v.data()) as Float32Array })));
}

/**
 * Adam's running powers βᵗ, carried step by step (βᵗ = βᵗ⁻¹·β in float32). `setWeights` would
 * recompute them as pow(β, t), which differs in the last bits, so a resumed trial would drift from
 * the uninterrupted one; they are saved beside the moments and restored as they were.
 */
const BETA_POWERS = ['adam/beta1-power', 'adam/beta2-power'] as const;

function betaPowers(optimizer: tf.Optimizer): [tf.Variable, tf.Variable] | undefined {
  const adam = optimizer as unknown as { accBeta1?: tf.Variable; accBeta2?: tf.Variable };
  return adam.accBeta1 instanceof tf.Variable && adam.accBeta2 instanceof tf.Variable ? [adam.accBeta1, adam.accBeta2] : undefined;
}

async function optimizerState(optimizer: tf.Optimizer): Promise<SavedTensor[]> {
  const weights = await optimizer.getWeights();
  const state = await Promise.all(weights.map(async (w) => ({ name: w.name, shape: [...w.tensor.shape], values: Float32Array.from(await w.tensor.data()) })));
  // The moments are the optimiser's own variables; the iteration count is a fresh scalar.
  for (const w of weights) if (!(w.tensor instanceof tf.Variable)) w.tensor.dispose();
  const powers = betaPowers(optimizer) ?? [];
  for (let i = 0; i < powers.length; i++) state.push({ name: BETA_POWERS[i], shape: [], values: Float32Array.from(await powers[i].data()) });
  return state;
}

/**
 * Sets a model's trainable variables then buffers (the order checkpoints keep them in) from saved
 * tensors; false, with nothing set, when their number or sizes do not match.
 */
export function assignSavedWeights(model: { trainableVariables(): tf.Variable[]; bufferVariables(): tf.Variable[] }, saved: readonly SavedTensor[]): boolean {
  const variables = [...model.trainableVariables(), ...model.bufferVariables()];
  if (saved.length !== variables.length || saved.some((w, i) => w.values.length !== variables[i].size)) return false;
  saved.forEach((w, i) => tf.tidy(() => variables[i].assign(tf.tensor(w.values, variables[i].shape))));
  return true;
}

/** Measured step memory by backend and architecture (see planMicroBatch). */
const STEP_MEMORY = new Map<string, StepMemory>();

/** Splits `count` rows into `parts` contiguous ranges of near-equal size (empty ranges dropped). */
export function splitRows(count: number, parts: number): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (let p = 0; p < parts; p++) {
    const from = Math.round((p * count) / parts);
    const to = Math.round(((p + 1) * count) / parts);
    if (to > from) ranges.push([from, to]);
  }
  return ranges;
}

/**
 * Trains one model for one trial: Adam on Σ_m w_m · MSE(x_m, D_m(z)) + Σ penalties, inputs
 * optionally corrupted while targets stay clean; after each epoch, the mean training loss of the
 * epoch and the test loss (per modality and `total`). With a data-parallel pool, every batch is
 * split between this thread and the pool's replicas and their gradients are summed.
 */
export class TrialTrainer {
  private readonly names: string[];
  private readonly layout: LossLayout;

  constructor(
    private readonly model: MultimodalAutoencoder,
    private readonly data: MultimodalDataset,
    private readonly config: Pick<ExperimentConfig, 'modalities' | 'training'>,
    private readonly regularizers: readonly Regularizer[],
    private readonly seed: number,
    private readonly pool?: DataParallelPool,
    private readonly checkpointing?: TrialCheckpointing,
  ) {
    this.names = config.modalities.map((m) => m.name);
    const specs = this.names.map((n) => data.modalities.find((m) => m.name === n)!);
    this.layout = {
      shapes: specs.map((s) => [...s.shape]),
      sizes: specs.map((s) => sampleSize(s)),
      weights: config.modalities.map((m) => m.lossWeight),
    };
  }

  /** How many samples each step computes at once (set when training starts). */
  microBatch?: MicroBatchPlan;

  /**
   * The micro-batch size: as the config says, or (`auto`) the largest whose step fits the backend's
   * memory — WebAssembly's 4 GiB heap, a stated `memoryBudgetMB`, and on a GPU its largest buffer
   * binding — measured on two training samples. A step that cannot fit one sample is refused.
   */
  async planMicroBatch(): Promise<MicroBatchPlan> {
    const { batchSize, microBatch, memoryBudgetMB } = this.config.training;
    if (typeof microBatch === 'number') return { size: Math.min(microBatch, batchSize), reason: microBatch < batchSize ? `training.microBatch: gradients accumulated over micro-batches of ${microBatch}` : 'training.microBatch' };
    const backend = tf.getBackend();
    const limits = (tf.backend() as unknown as { device?: { limits?: { maxStorageBufferBindingSize?: number } } }).device?.limits;
    const budget =
      memoryBudgetMB !== undefined
        ? { bytes: memoryBudgetMB * 2 ** 20, source: 'training.memoryBudgetMB' }
        : backend === 'wasm'
          ? { bytes: 4 * 2 ** 30, source: "WebAssembly's 4 GiB heap" }
          : undefined;
    const maxTensor = limits?.maxStorageBufferBindingSize ?? Infinity;
    if (!budget && maxTensor === Infinity) return { size: batchSize, reason: `no memory limit known for the ${backend} backend (state one with training.memoryBudgetMB)` };
    // Trials of a set-up share its architecture, so its step's memory is measured once per process.
    const key = `${backend}|${this.model.subModels().map((m) => `${m.name}:${m.parameters.map((p) => p.variable.size).join(',')}`).join(';')}|${this.layout.sizes.join(',')}`;
    let memory = STEP_MEMORY.get(key);
    if (!memory) {
      const sample = this.fillBatch(this.data.train.arrays, [0, Math.min(1, this.data.train.size - 1)], 0, 2, undefined);
      // Without the penalties: they are per-parameter (fixed and small), and a regularizer may count its calls.
      memory = await measureStepMemory(this.model, this.variables(), this.layout, sample, []);
      STEP_MEMORY.set(key, memory);
    }
    return planMicroBatch(batchSize, memory, budget?.bytes ?? Infinity, maxTensor, budget?.source ?? `the ${backend} backend`);
  }

  async train(onEpoch: (record: EpochRecord) => void | Promise<void>, onNote?: (message: string) => void): Promise<EpochRecord[]> {
    const { epochs, batchSize, learningRate } = this.config.training;
    this.microBatch = await this.planMicroBatch();
    if (this.microBatch.size < batchSize) onNote?.(this.microBatch.reason);
    const optimizer = createAdam(learningRate);
    const resume = this.checkpointing?.resume;
    const shuffle = createRng(deriveSeed(this.seed, 'shuffle'), resume?.rng.shuffle);
    const corruption = createRng(deriveSeed(this.seed, 'corruption'), resume?.rng.corruption);
    const variables = this.variables();
    const records: EpochRecord[] = resume ? [...resume.records] : [];
    try {
      if (resume) await this.restore(resume, optimizer);
      for (let epoch = (resume?.epoch ?? 0) + 1; epoch <= epochs; epoch++) {
        const started = Date.now();
        const order = permutation(this.data.train.size, shuffle);
        const sums = new Float64Array(this.names.length + 1);
        for (let start = 0, step = 1; start < order.length; start += batchSize, step++) {
          const end = Math.min(order.length, start + batchSize);
          const losses = await this.step(optimizer, variables, order, start, end, corruption);
          // Between steps, signals and timers get their turn (a step's awaits alone never leave the microtask queue).
          await new Promise((resolve) => setImmediate(resolve));
          if (!Number.isFinite(losses[losses.length - 1])) throw new DivergenceError(epoch, step, await this.nonFiniteSubModel(), records);
          losses.forEach((v, i) => (sums[i] += v * (end - start)));
        }
        const bad = await this.nonFiniteSubModel();
        if (bad) throw new DivergenceError(epoch, Math.ceil(order.length / batchSize), bad, records);
        const train = this.record(Array.from(sums, (s) => s / order.length));
        const test = await this.evaluate();
        // Finite weights can still give an infinite test loss (float32 overflow of large errors): never averaged as done.
        for (const [split, losses] of [['training', train], ['test', test]] as const) {
          const infinite = Object.keys(losses).filter((m) => !Number.isFinite(losses[m]));
          if (infinite.length > 0) throw new DivergenceError(epoch, Math.ceil(order.length / batchSize), undefined, records, `the ${split} loss of ${infinite.join(', ')}`);
        }
        const record = { epoch, train, test, seconds: (Date.now() - started) / 1000 };
        records.push(record);
        await onEpoch(record);
        if (this.checkpointing && (epoch % this.checkpointing.every === 0 || epoch === epochs)) {
          await this.checkpointing.save({
            epoch,
            records: [...records],
            rng: { shuffle: shuffle.state(), corruption: corruption.state() },
            weights: await saved([...variables, ...this.buffers()]),
            optimizer: await optimizerState(optimizer),
          });
        }
      }
    } finally {
      optimizer.dispose();
    }
    return records;
  }

  /** The first sub-model (in model order) whose parameters hold NaN or ±Infinity. */
  async nonFiniteSubModel(): Promise<string | undefined> {
    for (const m of this.model.subModels()) {
      for (const p of m.parameters) {
        const values = await p.variable.data();
        for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return m.name;
      }
    }
    return undefined;
  }

  /** Non-trainable state of every sub-model (saved with the weights). */
  buffers(): tf.Variable[] {
    return this.model.bufferVariables();
  }

  private async restore(checkpoint: TrialCheckpoint, optimizer: tf.Optimizer): Promise<void> {
    if (!assignSavedWeights(this.model, checkpoint.weights)) {
      throw new Error(`the checkpoint holds ${checkpoint.weights.length} tensors that do not match the model's ${this.variables().length + this.buffers().length} variables and buffers`);
    }
    const isPower = (name: string) => (BETA_POWERS as readonly string[]).includes(name);
    const state = checkpoint.optimizer.filter((t) => !isPower(t.name)).map((t) => ({ name: t.name, tensor: tf.tensor(t.values, t.shape) }));
    await optimizer.setWeights(state);
    tf.dispose(state.map((s) => s.tensor));
    // Checkpoints written before the powers were saved keep setWeights' pow(β, t).
    const powers = betaPowers(optimizer);
    BETA_POWERS.forEach((name, i) => {
      const savedPower = checkpoint.optimizer.find((t) => t.name === name);
      if (powers && savedPower) tf.tidy(() => powers[i].assign(tf.scalar(savedPower.values[0])));
    });
  }

  /** Every trainable variable of the model, in sub-model order. */
  variables(): tf.Variable[] {
    return this.model.trainableVariables();
  }

  /** Per-modality MSE and total on the test split (corrupted with a fixed seed when configured). */
  async evaluate(batchSize = 256): Promise<LossRecord> {
    const split = this.data.test;
    const order = Int32Array.from({ length: split.size }, (_, i) => i);
    const rng = createRng(deriveSeed(this.seed, 'test-corruption'));
    const sums = new Float64Array(this.names.length);
    for (let start = 0; start < split.size; start += batchSize) {
      const end = Math.min(split.size, start + batchSize);
      const batch = this.fillBatch(split.arrays, order, start, end, this.config.training.corruptTest ? rng : undefined);
      const count = end - start;
      const tensors = (arrays: readonly Float32Array[]) => arrays.map((a, m) => tf.tensor(a, [count, ...this.layout.shapes[m]]));
      const inputs = tensors(batch.inputs);
      const targets = batch.targets.map((t, m) => (t === batch.inputs[m] ? inputs[m] : tf.tensor(t, [count, ...this.layout.shapes[m]])));
      const errors = tf.tidy(() => tf.stack(this.model.apply(inputs).map((o, i) => tf.sum(tf.squaredDifference(o, targets[i])))));
      (await errors.data()).forEach((e, i) => (sums[i] += e));
      tf.dispose([errors, ...new Set([...inputs, ...targets])]);
    }
    const mse = Array.from(sums, (s, i) => s / (split.size * this.layout.sizes[i]));
    return this.record([...mse, mse.reduce((t, v, i) => t + this.layout.weights[i] * v, 0)]);
  }

  /**
   * One optimiser step on the training samples `order[start..end)`; returns the per-modality
   * losses and the total. Public for benchmarks and tools that drive training themselves.
   */
  async step(optimizer: tf.Optimizer, variables: tf.Variable[], order: ArrayLike<number>, start: number, end: number, rng: Rng): Promise<number[]> {
    const batch = this.fillBatch(this.data.train.arrays, order, start, end, this.config.training.corruption.length > 0 ? rng : undefined, this.pool?.batch);
    // Published before every step, not after: forward calls between steps (evaluation, Lipschitz
    // estimates) advance buffers such as power-iteration vectors on this thread only.
    this.pool?.publish();
    // Micro-batched steps run on this thread alone: a replica's part would not fit either.
    const micro = this.microBatch?.size ?? batch.count;
    const parts = splitRows(batch.count, micro < batch.count ? 1 : 1 + (this.pool?.threads ?? 0));
    // The replicas start first; this thread then computes the first part while they run.
    const remote = parts.slice(1).map(([from, to], i) => this.pool!.request(i, batch, from, to));
    const own = await microBatchGradients(this.model, variables, this.layout, batch, parts[0][0], parts[0][1], this.regularizers, micro);
    const remoteLosses = await Promise.all(remote);
    let grads = own.grads;
    if (remote.length > 0) {
      grads = {};
      let offset = 0;
      for (const v of variables) {
        const pieces = [own.grads[v.name], ...remote.map((_, i) => this.pool!.gradient(i, v, offset))];
        grads[v.name] = tf.addN(pieces);
        tf.dispose(pieces);
        offset += v.size;
      }
    }
    const values = own.losses.map((v, m) => v + remoteLosses.reduce((t, l) => t + l[m], 0));
    const total = values.reduce((t, v, m) => t + this.layout.weights[m] * v, 0);
    // A non-finite loss is not applied: the weights stay as they were, to show where it went wrong.
    if (Number.isFinite(total) && Number.isFinite(own.objective)) {
      optimizer.applyGradients(grads);
      for (const regularizer of this.regularizers) regularizer.afterStep?.(this.model);
    }
    tf.dispose(Object.values(grads));
    return [...values, Number.isFinite(own.objective) ? total : NaN];
  }

  /** The batch `order[start..end)` of every modality, inputs corrupted when `rng` is given. */
  private fillBatch(arrays: Readonly<Record<string, ModalitySamples>>, order: ArrayLike<number>, start: number, end: number, rng: Rng | undefined, into?: { inputs: Float32Array[]; targets: Float32Array[] }): BatchArrays {
    const count = end - start;
    const inputs: Float32Array[] = [];
    const targets: Float32Array[] = [];
    this.names.forEach((name, m) => {
      const size = this.layout.sizes[m];
      const corruptions = rng ? this.config.training.corruption.filter((c) => c.modality === name) : [];
      const target = gatherBatch(arrays[name], size, order, start, end, into?.targets[m].subarray(0, count * size));
      targets.push(target);
      if (corruptions.length === 0) {
        inputs.push(target);
        return;
      }
      const input = into ? into.inputs[m].subarray(0, count * size) : new Float32Array(count * size);
      input.set(target);
      const spec = this.data.modalities.find((s) => s.name === name)!;
      for (const c of corruptions) corruptBatch(input, count, c, rng!, spec, c.kind === 'failures' ? this.failuresOf(c, spec) : undefined);
      inputs.push(input);
    });
    return { count, inputs, targets };
  }

  private readonly failureCache = new Map<CorruptionConfig, FailureDefinition[]>();

  private failuresOf(corruption: CorruptionConfig, spec: ModalitySpec): FailureDefinition[] {
    let failures = this.failureCache.get(corruption);
    if (!failures) this.failureCache.set(corruption, (failures = corruptionFailures(corruption, spec, 'training.corruption')));
    return failures;
  }

  private record(values: number[]): LossRecord {
    const record: LossRecord = {};
    this.names.forEach((name, i) => (record[name] = values[i]));
    record.total = values[this.names.length];
    return record;
  }
}
