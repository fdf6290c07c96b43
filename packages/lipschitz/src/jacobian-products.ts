import * as tf from '@tensorflow/tfjs-core';
import type { LipschitzTarget } from './lipschitz-target';
import { rowsPerBatch, sliceRows } from './row-ops';
import { ensureSecondOrderGradients } from './second-order-gradients';

type RowFunction = (x: tf.Tensor2D) => tf.Tensor2D;

/**
 * Row b of the result is `u_bᵀ J_f(x_b)`: one reverse pass serves every row at once, because
 * rows do not interact, so the gradient of Σ_b ⟨f(x_b), u_b⟩ splits by row.
 */
export function vjp(f: RowFunction, x: tf.Tensor2D, u: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(f(xx as tf.Tensor2D), u)))(x) as tf.Tensor2D);
}

/**
 * Row b of the result is `J_f(x_b) v_b`. TensorFlow.js has no forward mode, so this
 * differentiates the VJP, which is linear in u: ∇_u ⟨Jᵀu, v⟩ = J v (exact, not a finite difference).
 */
export function jvp(f: RowFunction, x: tf.Tensor2D, v: tf.Tensor2D, outputSize: number): tf.Tensor2D {
  ensureSecondOrderGradients();
  return tf.tidy(() => {
    const u = tf.zeros([x.shape[0], outputSize]);
    return tf.grad((uu: tf.Tensor) => tf.sum(tf.mul(vjp(f, x, uu as tf.Tensor2D), v)))(u) as tf.Tensor2D;
  });
}

/** `vjp` in slices of rows small enough for memory; `u` may be built per slice. */
export function chunkedVjp(target: LipschitzTarget, x: tf.Tensor2D, u: tf.Tensor2D): tf.Tensor2D {
  const rows = rowsPerBatch(Math.max(target.inputSize, target.outputSize));
  if (x.shape[0] <= rows) return vjp((t) => target.apply(t), x, u);
  const parts: tf.Tensor2D[] = [];
  for (let start = 0; start < x.shape[0]; start += rows) {
    const end = Math.min(x.shape[0], start + rows);
    parts.push(tf.tidy(() => vjp((t) => target.apply(t), sliceRows(x, start, end), sliceRows(u, start, end))));
  }
  const out = tf.concat(parts, 0);
  tf.dispose(parts);
  return out;
}

/** `jvp` in slices of rows. */
export function chunkedJvp(target: LipschitzTarget, x: tf.Tensor2D, v: tf.Tensor2D): tf.Tensor2D {
  const rows = rowsPerBatch(Math.max(target.inputSize, target.outputSize));
  if (x.shape[0] <= rows) return jvp((t) => target.apply(t), x, v, target.outputSize);
  const parts: tf.Tensor2D[] = [];
  for (let start = 0; start < x.shape[0]; start += rows) {
    const end = Math.min(x.shape[0], start + rows);
    parts.push(tf.tidy(() => jvp((t) => target.apply(t), sliceRows(x, start, end), sliceRows(v, start, end), target.outputSize)));
  }
  const out = tf.concat(parts, 0);
  tf.dispose(parts);
  return out;
}

/**
 * Row b is approximately `J_f(x_b) v_b` by a central difference, (f(x + h v) − f(x − h v)) / 2h,
 * both sides in one batched forward pass, with h = `relative` · max(1, ‖x_b‖) per row. Two forward
 * passes instead of a reverse pass through a reverse pass: for choosing power-iteration
 * directions, where only the direction matters and every reported value is an exact VJP norm.
 */
export function chunkedJvpByDifference(target: LipschitzTarget, x: tf.Tensor2D, v: tf.Tensor2D, relative = 1e-3): tf.Tensor2D {
  return tf.tidy(() => {
    const h = tf.mul(tf.maximum(tf.sqrt(tf.sum(tf.square(x), 1, true)), 1), relative);
    const step = tf.mul(v, h);
    const both = chunkedApply(target, tf.concat([tf.add(x, step), tf.sub(x, step)], 0) as tf.Tensor2D);
    const n = x.shape[0];
    const plus = tf.slice(both, [0, 0], [n, both.shape[1]]);
    const minus = tf.slice(both, [n, 0], [n, both.shape[1]]);
    return tf.div(tf.sub(plus, minus), tf.mul(h, 2)) as tf.Tensor2D;
  });
}

/** `f` on many rows, in slices. */
export function chunkedApply(target: LipschitzTarget, x: tf.Tensor2D): tf.Tensor2D {
  const rows = rowsPerBatch(Math.max(target.inputSize, target.outputSize));
  if (x.shape[0] <= rows) return target.apply(x);
  const parts: tf.Tensor2D[] = [];
  for (let start = 0; start < x.shape[0]; start += rows) {
    const end = Math.min(x.shape[0], start + rows);
    parts.push(tf.tidy(() => target.apply(sliceRows(x, start, end))));
  }
  const out = tf.concat(parts, 0);
  tf.dispose(parts);
  return out;
}
