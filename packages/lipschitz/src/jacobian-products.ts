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

/**
 * `vjp` and f(x) from the same forward pass: row b of `product` is `u_bᵀ J_f(x_b)`, row b of
 * `value` is f(x_b). The caller disposes both.
 */
export function chunkedVjpWithValue(target: LipschitzTarget, x: tf.Tensor2D, u: tf.Tensor2D): { product: tf.Tensor2D; value: tf.Tensor2D } {
  const rows = rowsPerBatch(Math.max(target.inputSize, target.outputSize));
  const products: tf.Tensor2D[] = [];
  const values: tf.Tensor2D[] = [];
  for (let start = 0; start < x.shape[0]; start += rows) {
    const end = Math.min(x.shape[0], start + rows);
    let value: tf.Tensor2D | undefined;
    products.push(
      tf.tidy(() => {
        const xs = start === 0 && end === x.shape[0] ? x : sliceRows(x, start, end);
        const us = start === 0 && end === x.shape[0] ? u : sliceRows(u, start, end);
        return tf.grad((xx: tf.Tensor) => {
          // Kept past the gradient's scopes: the forward pass's output, wanted by the caller too.
          value = tf.keep(target.apply(xx as tf.Tensor2D));
          return tf.sum(tf.mul(value, us));
        })(xs) as tf.Tensor2D;
      }),
    );
    values.push(value!);
  }
  if (products.length === 1) return { product: products[0], value: values[0] };
  const out = { product: tf.concat(products, 0), value: tf.concat(values, 0) };
  tf.dispose([...products, ...values]);
  return out;
}

/**
 * Row b is approximately `J_f(x_b) v_b` by a forward difference from a known f(x):
 * (f(x + h v) − f(x)) / h with h = `relative` · max(1, ‖x_b‖) per row: one forward pass.
 */
export function chunkedJvpFromValue(target: LipschitzTarget, x: tf.Tensor2D, value: tf.Tensor2D, v: tf.Tensor2D, relative = 1e-3): tf.Tensor2D {
  return tf.tidy(() => {
    const h = tf.mul(tf.maximum(tf.sqrt(tf.sum(tf.square(x), 1, true)), 1), relative);
    const moved = chunkedApply(target, tf.add(x, tf.mul(v, h)) as tf.Tensor2D);
    return tf.div(tf.sub(moved, value), h) as tf.Tensor2D;
  });
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
