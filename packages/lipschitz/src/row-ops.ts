import * as tf from '@tensorflow/tfjs-core';

/** Euclidean norm of each row of `[rows, cols]`, in float64 on the JavaScript side. */
export function rowNorms(t: tf.Tensor2D): number[] {
  const squares = tf.tidy(() => tf.sum(tf.square(t), 1));
  const values = squares.dataSync();
  squares.dispose();
  return Array.from(values, (v) => Math.sqrt(v));
}

/**
 * Each row scaled to unit length; a zero row (a dead ReLU region, a constant map) is replaced
 * by the matching row of `fallback`, so that iterations never divide by zero.
 */
export function normalizeRows(t: tf.Tensor2D, fallback: tf.Tensor2D | (() => tf.Tensor2D)): tf.Tensor2D {
  return tf.tidy(() => {
    const norms = tf.sqrt(tf.sum(tf.square(t), 1, true));
    const scaled = tf.div(t, tf.maximum(norms, 1e-30)) as tf.Tensor2D;
    // A fallback given as a function is made only when a row needs it (random rows of a wide
    // input cost more than the rest of the normalisation).
    if (typeof fallback === 'function' && norms.dataSync().every((n) => n > 1e-30)) return scaled;
    const zero = tf.tile(tf.lessEqual(norms, 1e-30), [1, t.shape[1]]);
    return tf.where(zero, typeof fallback === 'function' ? fallback() : fallback, scaled) as tf.Tensor2D;
  });
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
