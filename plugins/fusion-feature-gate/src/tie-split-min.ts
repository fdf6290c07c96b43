import * as tf from '@tensorflow/tfjs-core';

/**
 * For `stacked` `[B, M, d]` and its minimum over axis 1 `[B, d]`: each modality's share of the
 * minimum, 1/k for the k modalities that attain it and 0 for the others, `[B, M, d]`.
 */
export function minShares(stacked: tf.Tensor, minimum: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const attains = tf.cast(tf.equal(stacked, tf.expandDims(minimum, 1)), 'float32');
    return tf.div(attains, tf.sum(attains, 1, true));
  });
}

const minWithSplitGradient = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [stacked, save] = args as [tf.Tensor, tf.GradSaveFunc];
  const value = tf.min(stacked, 1);
  save([stacked, value]);
  return {
    value,
    gradFunc: (dy: tf.Tensor, [x, minimum]: tf.Tensor[]) => tf.mul(tf.expandDims(dy, 1), minShares(x, minimum)),
  };
});

/**
 * The minimum over axis 1 of `[B, M, d]`, with a gradient that splits among tied entries.
 * tf.min passes the full gradient to every tied entry, so at a tie (two latents that are both 0
 * after a ReLU, say) the gradient would count twice. The split gradient is a Clarke subgradient
 * (a convex combination of the tied entries' own gradients), exact along directions that move the
 * tied entries together, and the rule the modality weights use.
 */
export function tieSplitMin(stacked: tf.Tensor): tf.Tensor {
  return minWithSplitGradient(stacked);
}
