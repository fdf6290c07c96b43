import * as tf from '@tensorflow/tfjs-core';
import type { MultimodalModel, SubModel } from '@mmfuse/core';

/** What a target function is, for reports and for choosing a certified bound. */
export type TargetKind = 'function' | 'encoder' | 'decoder' | 'fusion' | 'model';

/**
 * A function whose Lipschitz behaviour is estimated, seen on flat rows: `[N, inputSize]` →
 * `[N, outputSize]`. Rows must not interact (no batch statistics): estimators stack samples,
 * probes and perturbations along the first axis and rely on each row depending on its own input.
 */
export interface LipschitzTarget {
  readonly name: string;
  readonly kind: TargetKind;
  readonly inputSize: number;
  readonly outputSize: number;
  /** Norms on inputs and outputs, in words. */
  readonly norm: string;
  apply(x: tf.Tensor2D): tf.Tensor2D;
  /** The sub-model or model behind the function, for certified bounds. */
  readonly source?: SubModel | MultimodalModel;
}

/**
 * Any TensorFlow.js function `f: [N, ...inputShape] → [N, ...]` as a target. The output size is
 * found by one call on a single zero sample.
 */
export function functionTarget(name: string, f: (x: tf.Tensor) => tf.Tensor, inputShape: readonly number[]): LipschitzTarget {
  const inputSize = inputShape.reduce((a, b) => a * b, 1);
  const outputSize = tf.tidy(() => f(tf.zeros([1, ...inputShape])).size);
  return {
    name,
    kind: 'function',
    inputSize,
    outputSize,
    norm: 'l2 on the flattened input and output',
    apply: (x) =>
      tf.tidy(() => {
        const out = f(tf.reshape(x, [x.shape[0], ...inputShape]));
        return tf.reshape(out, [x.shape[0], outputSize]) as tf.Tensor2D;
      }),
  };
}
