import * as tf from '@tensorflow/tfjs-core';

/**
 * Euclidean norm of each row of `[rows, cols]`, in float64 on the JavaScript side. Read
 * asynchronously: GPU backends under Node have no synchronous read, and on the others a resolved
 * promise costs nothing measurable.
 */
export async function rowNorms(t: tf.Tensor2D): Promise<number[]> {
  const squares = tf.tidy(() => tf.sum(tf.square(t), 1));
  const values = await squares.data();
  squares.dispose();
  return Array.from(values, (v) => Math.sqrt(v));
}

/** The values of a tensor computed on the backend, read asynchronously; the tensor is disposed. */
export async function readAndDispose(t: tf.Tensor): Promise<Float32Array> {
  try {
    return (await t.data()) as Float32Array;
  } finally {
    t.dispose();
  }
}

/**
 * Each row scaled to unit length; a zero row (a dead ReLU region, a constant map) is replaced
 * by the matching row of `fallback`, so that iterations never divide by zero.
 */
export async function normalizeRows(t: tf.Tensor2D, fallback: tf.Tensor2D | (() => tf.Tensor2D)): Promise<tf.Tensor2D> {
  const norms = tf.tidy(() => tf.sqrt(tf.sum(tf.square(t), 1, true)));
  try {
    // A fallback given as a function is made only when a row needs it (random rows of a wide
    // input cost more than the rest of the normalisation).
    const needed = typeof fallback !== 'function' || !(await norms.data()).every((n) => n > 1e-30);
    return tf.tidy(() => {
      const scaled = tf.div(t, tf.maximum(norms, 1e-30)) as tf.Tensor2D;
      if (!needed) return scaled;
      const zero = tf.tile(tf.lessEqual(norms, 1e-30), [1, t.shape[1]]);
      return tf.where(zero, typeof fallback === 'function' ? fallback() : fallback, scaled) as tf.Tensor2D;
    });
  } finally {
    norms.dispose();
  }
}

/** `[rows, cols]` → `[rows·copies, cols]`, each row repeated `copies` times in a row (sample-major). */
export function repeatRows(t: tf.Tensor2D, copies: number): tf.Tensor2D {
  if (copies === 1) return tf.clone(t);
  return tf.tidy(() => tf.reshape(tf.tile(tf.expandDims(t, 1), [1, copies, 1]), [t.shape[0] * copies, t.shape[1]]) as tf.Tensor2D);
}

/** Rows `[start, end)`. */
export function sliceRows(t: tf.Tensor2D, start: number, end: number): tf.Tensor2D {
  return tf.slice(t, [start, 0], [end - start, t.shape[1]]);
}

/** Largest number of rows per batch keeping each `[rows, width]` tensor under `limit` elements. */
export function rowsPerBatch(width: number, limit = 1 << 22): number {
  return Math.max(1, Math.floor(limit / Math.max(1, width)));
}

export function maxOf(values: readonly number[]): number {
  return values.reduce((m, v) => (v > m ? v : m), 0);
}

export function meanOf(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((s, v) => s + v, 0) / values.length;
}
