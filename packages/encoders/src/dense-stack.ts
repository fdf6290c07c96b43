import * as tf from '@tensorflow/tfjs-core';
import type { LayerDescription } from '@mmfuse/core';
import { activate, ActivationName, ACTIVATION_LIPSCHITZ } from './activations';
import { ParameterSet } from './parameters';

/** Fully connected layers `sizes[0] → sizes[1] → …`, activation between (and optionally after the last). */
export class DenseStack {
  private readonly kernels: tf.Variable[] = [];
  private readonly biases: tf.Variable[] = [];

  constructor(
    params: ParameterSet,
    readonly sizes: readonly number[],
    private readonly activation: ActivationName,
    private readonly lastActivation: ActivationName,
  ) {
    for (let i = 0; i + 1 < sizes.length; i++) {
      this.kernels.push(params.create(`dense${i}/kernel`, [sizes[i], sizes[i + 1]], sizes[i], sizes[i + 1]));
      this.biases.push(params.create(`dense${i}/bias`, [sizes[i + 1]], sizes[i], sizes[i + 1], true));
    }
  }

  describeLayers(): LayerDescription[] {
    return this.kernels.flatMap((kernel, i) => {
      const act = i === this.kernels.length - 1 ? this.lastActivation : this.activation;
      const dense: LayerDescription = { kind: 'dense', name: `dense${i}`, kernel };
      return act === 'linear' ? [dense] : [dense, { kind: 'activation' as const, name: act, lipschitz: ACTIVATION_LIPSCHITZ[act] }];
    });
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    let h = x;
    this.kernels.forEach((kernel, i) => {
      h = tf.add(tf.matMul(h, kernel as tf.Tensor2D), this.biases[i]);
      h = activate(h, i === this.kernels.length - 1 ? this.lastActivation : this.activation) as tf.Tensor2D;
    });
    return h;
  }
}
