import { seededUniform } from '../deterministic-random';

/** A seeded standard normal stream (Box–Muller on the package's own seeded uniforms). */
export function gaussianStream(seed: number): () => number {
  const uniform = seededUniform(seed);
  return () => {
    let u = 0;
    while (u === 0) u = uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  };
}

/** n rows of d independent N(0, 1) entries, with `shift` added to the first coordinate. */
export function gaussianRows(n: number, d: number, seed: number, shift = 0): number[][] {
  const normal = gaussianStream(seed);
  return Array.from({ length: n }, () => Array.from({ length: d }, (_, j) => normal() + (j === 0 ? shift : 0)));
}

/** Pearson correlation. */
export function correlation(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i] / n;
    my += y[i] / n;
  }
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/** Column c of a flat row-major matrix with `cols` columns. */
export function column(data: ArrayLike<number>, cols: number, c: number): Float64Array {
  const rows = data.length / cols;
  return Float64Array.from({ length: rows }, (_, i) => data[i * cols + c]);
}

/** Largest |a_i − b_i|. */
export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** Largest |a_i| (for scaling tolerances). */
export function maxAbs(a: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]));
  return worst;
}
