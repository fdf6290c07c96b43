import * as tf from '@tensorflow/tfjs-core';
import { MultimodalModel, Regularizer, UserInputError } from '@mmfuse/core';
import { BatchArrays, LossLayout, partGradients, PartGradients } from './batch-gradients';

/** Variables whose values the forward pass changes (power-iteration vectors), with those values. */
interface Snapshot {
  restore(): void;
  dispose(): void;
}

function snapshot(buffers: readonly tf.Variable[]): Snapshot {
  const saved = buffers.map((b) => tf.clone(b));
  return {
    restore: () => buffers.forEach((b, i) => b.assign(saved[i])),
    dispose: () => tf.dispose(saved),
  };
}

/**
 * `partGradients` of rows `[start, end)` computed `size` rows at a time and summed: the same
 * gradient and losses as in one piece (each piece's loss is already scaled by the whole batch's
 * size), up to float summation order. Penalties count once (first piece), and state the forward
 * pass advances (spectral normalisation's vectors) starts every piece from where the batch began,
 * so each piece normalises as the whole batch would.
 */
export async function microBatchGradients(
  model: MultimodalModel & { bufferVariables(): tf.Variable[] },
  variables: tf.Variable[],
  layout: LossLayout,
  batch: BatchArrays,
  start: number,
  end: number,
  regularizers: readonly Regularizer[],
  size: number,
): Promise<PartGradients> {
  if (end - start <= size) return partGradients(model, variables, layout, batch, start, end, regularizers);
  const state = snapshot(model.bufferVariables());
  let grads: tf.NamedTensorMap | undefined;
  const losses = layout.sizes.map(() => 0);
  let objective = 0;
  try {
    for (let from = start; from < end; from += size) {
      if (from > start) state.restore();
      const part = await partGradients(model, variables, layout, batch, from, Math.min(end, from + size), from === start ? regularizers : []);
      if (!grads) grads = part.grads;
      else {
        for (const name of Object.keys(grads)) {
          const sum = tf.add(grads[name], part.grads[name]);
          tf.dispose([grads[name], part.grads[name]]);
          grads[name] = sum;
        }
      }
      part.losses.forEach((l, m) => (losses[m] += l));
      objective += part.objective;
    }
  } finally {
    state.dispose();
  }
  return { grads: grads as tf.NamedTensorMap, losses, objective };
}

/** How many samples a step computes at once, and why. */
export interface MicroBatchPlan {
  size: number;
  reason: string;
}

/** What one training step needs in memory: a fixed part and a part per sample, and the largest single tensor per sample. */
export interface StepMemory {
  fixedBytes: number;
  perSampleBytes: number;
  largestTensorPerSampleBytes: number;
}

/**
 * Measures a training step's memory with tfjs's profiler on one and on two samples: the engine's
 * peak bytes give the fixed part (weights, gradients, optimiser-independent buffers) and the part
 * that grows with the batch (activations and their gradients).
 */
export async function measureStepMemory(
  model: MultimodalModel & { bufferVariables(): tf.Variable[] },
  variables: tf.Variable[],
  layout: LossLayout,
  sample: BatchArrays,
  regularizers: readonly Regularizer[],
): Promise<StepMemory> {
  // The measuring steps must leave no trace: the forward pass's state is put back afterwards.
  const state = snapshot(model.bufferVariables());
  const peak = async (count: number) => {
    const batch = { count, inputs: sample.inputs.map((a, m) => a.subarray(0, count * layout.sizes[m])), targets: sample.targets.map((a, m) => a.subarray(0, count * layout.sizes[m])) };
    let largest = 0;
    const info = await tf.profile(async () => {
      const part = await partGradients(model, variables, layout, batch, 0, count, regularizers);
      tf.dispose(Object.values(part.grads));
    });
    for (const k of info.kernels) for (const shape of k.outputShapes) largest = Math.max(largest, 4 * shape.reduce((a, b) => a * b, 1));
    return { peak: info.peakBytes, largest };
  };
  try {
    const one = await peak(1);
    const two = await peak(2);
    const perSampleBytes = Math.max(0, two.peak - one.peak);
    return { fixedBytes: Math.max(0, one.peak - perSampleBytes), perSampleBytes, largestTensorPerSampleBytes: Math.max(1, two.largest / 2) };
  } finally {
    state.restore();
    state.dispose();
  }
}

const MB = 2 ** 20;

/**
 * The largest micro-batch (at most the batch) whose step fits `budgetBytes`, with a margin for what
 * the profiler does not see (kernels' scratch space), and whose largest tensor fits `maxTensorBytes`
 * (a GPU's largest buffer binding). Throws with the budget and the need when not even one sample fits.
 */
export function planMicroBatch(batchSize: number, memory: StepMemory, budgetBytes: number, maxTensorBytes: number, budgetSource: string): MicroBatchPlan {
  // Kernel scratch (im2col, packed weights) is not in the profile; measured on wasm it stays under half again.
  const MARGIN = 1.5;
  const byBudget = Math.floor((budgetBytes / MARGIN - memory.fixedBytes) / Math.max(memory.perSampleBytes, 1));
  const byTensor = Math.floor(maxTensorBytes / memory.largestTensorPerSampleBytes);
  const size = Math.min(batchSize, byBudget, byTensor);
  const need = `${((MARGIN * (memory.fixedBytes + memory.perSampleBytes)) / MB).toFixed(0)} MB for one sample (${(memory.fixedBytes / MB).toFixed(0)} MB fixed + ${(memory.perSampleBytes / MB).toFixed(1)} MB per sample, × ${MARGIN} margin)`;
  if (size < 1) {
    throw new UserInputError(
      byTensor < 1
        ? `one sample's largest tensor (${(memory.largestTensorPerSampleBytes / MB).toFixed(0)} MB) exceeds the largest buffer the backend binds (${(maxTensorBytes / MB).toFixed(0)} MB)`
        : `a training step needs ${need}, more than the memory budget of ${(budgetBytes / MB).toFixed(0)} MB (${budgetSource})`,
    );
  }
  if (size >= batchSize) return { size: batchSize, reason: `the whole batch of ${batchSize} fits the memory budget of ${(budgetBytes / MB).toFixed(0)} MB (${budgetSource})` };
  return {
    size,
    reason: `a batch of ${batchSize} needs about ${((MARGIN * (memory.fixedBytes + batchSize * memory.perSampleBytes)) / MB).toFixed(0)} MB, more than the memory budget of ${(budgetBytes / MB).toFixed(0)} MB (${budgetSource})${byTensor < byBudget ? ` or its largest tensor more than the ${(maxTensorBytes / MB).toFixed(0)} MB the backend binds` : ''}: gradients are accumulated over micro-batches of ${size}`,
  };
}
