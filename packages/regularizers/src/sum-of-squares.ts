import * as tf from '@tensorflow/tfjs-core';

/** λ Σ ‖v‖² as one differentiable scalar (0 for no variables). */
export function sumOfSquares(variables: readonly tf.Variable[], lambda: number): tf.Scalar {
  return tf.tidy(() => {
    if (variables.length === 0) return tf.scalar(0);
    const squares = variables.map((v) => tf.sum(tf.square(v)));
    return tf.mul(squares.length === 1 ? squares[0] : tf.addN(squares), lambda) as tf.Scalar;
  });
}
