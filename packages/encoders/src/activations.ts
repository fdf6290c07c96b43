import * as tf from '@tensorflow/tfjs-core';

export type ActivationName = 'relu' | 'leaky-relu' | 'elu' | 'tanh' | 'sigmoid' | 'softplus' | 'gelu' | 'linear';

export const ACTIVATIONS: readonly ActivationName[] = ['relu', 'leaky-relu', 'elu', 'tanh', 'sigmoid', 'softplus', 'gelu', 'linear'];

/** Lipschitz constant of each activation (for certified bounds). */
export const ACTIVATION_LIPSCHITZ: Record<ActivationName, number> = {
  relu: 1,
  'leaky-relu': 1,
  elu: 1,
  tanh: 1,
  sigmoid: 0.25,
  softplus: 1,
  gelu: 1.1289,
  linear: 1,
};

export function activationSchema(defaultValue: ActivationName, description: string): Record<string, unknown> {
  return { enum: [...ACTIVATIONS], default: defaultValue, description };
}

export function activate(x: tf.Tensor, name: ActivationName): tf.Tensor {
  switch (name) {
    case 'relu':
      return tf.relu(x);
    case 'leaky-relu':
      return tf.leakyRelu(x, 0.01);
    case 'elu':
      return tf.elu(x);
    case 'tanh':
      return tf.tanh(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'softplus':
      return tf.softplus(x);
    case 'gelu':
      // tanh approximation (Hendrycks & Gimpel); tfjs-core has no gelu op.
      return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3)))))));
    case 'linear':
      return x;
  }
}
