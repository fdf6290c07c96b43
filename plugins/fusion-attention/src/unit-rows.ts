import * as tf from '@tensorflow/tfjs-core';

/**
 * x / max(‖x‖, ε) row by row, as x · rsqrt(max(‖x‖², ε²)): no square root of zero, so a zero
 * latent has gradient 1/ε instead of NaN.
 */
export function unitRows(x: tf.Tensor2D, epsilon: number): tf.Tensor2D {
  return tf.mul(x, tf.rsqrt(tf.maximum(tf.sum(tf.square(x), 1, true), epsilon * epsilon))) as tf.Tensor2D;
}
