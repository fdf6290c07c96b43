import * as tf from '@tensorflow/tfjs-core';
import type { MultimodalModel, Regularizer } from '@mmfuse/core';

/** One batch of every modality, row-major: `inputs[m]` (maybe corrupted) and clean `targets[m]`. */
export interface BatchArrays {
  readonly count: number;
  readonly inputs: readonly Float32Array[];
  readonly targets: readonly Float32Array[];
}

export interface LossLayout {
  readonly shapes: readonly (readonly number[])[];
  readonly sizes: readonly number[];
  readonly weights: readonly number[];
}

export interface PartGradients {
  /** Gradient of this part's share of the batch loss, by variable name. */
  readonly grads: tf.NamedTensorMap;
  /** This part's share of each modality's batch MSE (the shares of all parts add up to it). */
  readonly losses: number[];
  /** This part's share of the objective, penalties included. */
  readonly objective: number;
}

function rows(array: Float32Array, size: number, start: number, end: number): Float32Array {
  return array.subarray(start * size, end * size);
}

/**
 * Gradients of the rows `[start, end)` of a batch of `batch.count` samples, with the loss scaled
 * so that the parts of a batch add up to the whole batch's loss, Σ_m w_m · MSE_m (+ penalties,
 * given to one part only). This is what lets several workers each take part of a batch and sum
 * their gradients into exactly the full-batch gradient (up to float summation order).
 */
export async function partGradients(
  model: MultimodalModel,
  variables: tf.Variable[],
  layout: LossLayout,
  batch: BatchArrays,
  start: number,
  end: number,
  regularizers: readonly Regularizer[],
): Promise<PartGradients> {
  const count = end - start;
  const tensors: tf.Tensor[] = [];
  const inputs = layout.sizes.map((size, m) => {
    const t = tf.tensor(rows(batch.inputs[m], size, start, end), [count, ...layout.shapes[m]]);
    tensors.push(t);
    return t;
  });
  const targets = layout.sizes.map((size, m) => {
    if (batch.targets[m] === batch.inputs[m]) return inputs[m];
    const t = tf.tensor(rows(batch.targets[m], size, start, end), [count, ...layout.shapes[m]]);
    tensors.push(t);
    return t;
  });
  const shares: tf.Scalar[] = [];
  const { value, grads } = tf.variableGrads(() => {
    const outputs = model.apply(inputs);
    const parts = outputs.map((o, m) => tf.div(tf.sum(tf.squaredDifference(o, targets[m])), batch.count * layout.sizes[m]) as tf.Scalar);
    shares.push(...parts.map((p) => tf.keep(p)));
    let total = tf.addN(parts.map((p, m) => tf.mul(p, layout.weights[m]))) as tf.Scalar;
    for (const regularizer of regularizers) if (regularizer.penalty) total = tf.add(total, regularizer.penalty(model));
    return total;
  }, variables);
  // One read for every loss, and asynchronous: a GPU backend under Node cannot read synchronously.
  const together = tf.stack([...shares, value]);
  const read = await together.data();
  tf.dispose([together, value, ...shares, ...tensors]);
  return { grads, losses: Array.from(read.subarray(0, shares.length)), objective: read[shares.length] };
}
