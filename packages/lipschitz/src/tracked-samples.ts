import * as tf from '@tensorflow/tfjs-core';
import { createRng, gatherSamples, MultimodalDataset, MultimodalModel, permutation, sampleSize, UserInputError } from '@mmfuse/core';

/**
 * `count` training samples drawn once per trial (seeded), one tensor per modality in the order of
 * `model.encoders`: the fixed points at which a trial's Lipschitz curves are measured.
 */
export function drawTrackedSamples(model: MultimodalModel, data: MultimodalDataset, count: number, seed: number): tf.Tensor[] {
  const n = Math.min(count, data.train.size);
  if (n < 1) throw new UserInputError('the lipschitz callback needs at least one training sample, but the training split is empty');
  const order = permutation(data.train.size, createRng(seed)).subarray(0, n);
  return model.encoders.map((encoder) => {
    const name = encoder.modality.name;
    const source = data.train.arrays[name];
    if (!source) throw new UserInputError(`the lipschitz callback found no training data for modality "${name}"; the data provide ${Object.keys(data.train.arrays).join(', ')}`);
    const size = sampleSize(encoder.modality);
    return tf.tensor(gatherSamples(source, size, order, 0, n), [n, ...encoder.modality.shape]);
  });
}
