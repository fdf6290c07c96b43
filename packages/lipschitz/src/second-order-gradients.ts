import * as tf from '@tensorflow/tfjs-core';

/**
 * JVPs differentiate a backward pass, so every kernel a backward pass uses needs a gradient of its
 * own. TensorFlow.js 4.22 has none for `EluGrad` (the ELU's backward kernel); this supplies it,
 * once, and only when no gradient is registered. EluGrad(dy, y) = dy where y ≥ 0, dy·(y + 1)
 * elsewhere (y = elu(x)), so ∂/∂dy is that same factor and ∂/∂y is dy where y < 0.
 */
const ELU_GRAD_GRADIENT: tf.GradConfig = {
  kernelName: 'EluGrad',
  inputsToSave: ['dy', 'y'],
  gradFunc: (ddx: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
    const [dy, y] = saved;
    const upstream = ddx as tf.Tensor;
    const negative = tf.less(y, 0);
    return {
      dy: () => tf.where(negative, tf.mul(upstream, tf.add(y, 1)), upstream),
      y: () => tf.where(negative, tf.mul(upstream, dy), tf.zerosLike(upstream)),
    };
  },
};

let ensured = false;

export function ensureSecondOrderGradients(): void {
  if (ensured) return;
  ensured = true;
  if (!tf.getGradient(ELU_GRAD_GRADIENT.kernelName)) tf.registerGradient(ELU_GRAD_GRADIENT);
}
