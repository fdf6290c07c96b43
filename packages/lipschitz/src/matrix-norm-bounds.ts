import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@mmfuse/core';
import { gaussianTensor } from './random-tensors';
import { readAndDispose } from './row-ops';

/** Rigorous bounds on a matrix's spectral norm ‖A‖₂, and how they were found. */
export interface NormBounds {
  readonly upper: number;
  readonly lower: number;
  readonly method: string;
}

/**
 * Relative margin added to upper bounds (and taken from lower bounds) for float32 rounding in the
 * Gram matrix and its squarings; typical rounding there is about √n · 2⁻²⁴, far below it.
 */
export const FLOAT32_MARGIN = 1e-3;

export interface SpectralNormBoundOptions {
  /** Most squarings of the Gram matrix G (the bound uses tr(G^(2^j))). */
  maxSquarings?: number;
  /** Stop once upper / lower ≤ 1 + tolerance. */
  tolerance?: number;
  /** Stop early once the lower bound reaches this (the caller only needs to know it is larger). */
  stopAbove?: number;
  seed?: number;
}

/**
 * ‖A‖₂ bracketed without trusting an iteration to have converged. With G = AᵀA (or AAᵀ, the smaller
 * one, of size k) and p = 2^j, the eigenvalues λ_i ≥ 0 of G satisfy
 *   λ_max^p ≤ tr(G^p) = Σ λ_i^p ≤ k λ_max^p,
 * so ‖A‖₂ = √λ_max lies in [(tr(G^p)/k)^(1/2p), tr(G^p)^(1/2p)], a bracket of width k^(1/2p) that
 * shrinks with every squaring. G^p comes from repeated squaring, rescaled at each step to trace 1
 * (the scales are kept as logarithms), so nothing overflows. A second lower bound is ‖A v‖/‖v‖ for
 * v = G^p r (r random), which is close to the top singular vector once G^p is nearly rank one.
 */
export async function spectralNormBounds(a: tf.Tensor2D, options: SpectralNormBoundOptions = {}): Promise<NormBounds> {
  const maxSquarings = options.maxSquarings ?? 12;
  const tolerance = options.tolerance ?? 1e-3;
  const [m, n] = a.shape;
  const onColumns = n <= m;
  const k = onColumns ? n : m;
  const entries = await a.data();
  let frobenius2 = 0;
  for (let i = 0; i < entries.length; i++) frobenius2 += entries[i] * entries[i];
  if (frobenius2 === 0 || !Number.isFinite(frobenius2)) {
    return { upper: Number.isFinite(frobenius2) ? 0 : Infinity, lower: 0, method: frobenius2 === 0 ? 'zero matrix' : 'non-finite entries' };
  }
  let m0 = tf.tidy(() => tf.div(onColumns ? tf.matMul(a, a, true, false) : tf.matMul(a, a, false, true), frobenius2) as tf.Tensor2D);
  let logTrace = Math.log(frobenius2); // log tr(G^(2^j)), with tr(M_j) = 1
  let squarings = 0;
  let upper = Math.sqrt(frobenius2);
  let lower = 0;
  const eye = tf.eye(k);
  const rng = createRng(options.seed ?? 0);
  const probe = gaussianTensor(rng, [k, 1]) as tf.Tensor2D;
  for (;;) {
    const p = 2 ** (squarings + 1); // exponent in ‖A‖₂ = λ_max^(1/2): bound is tr(G^(2^j))^(1/2^(j+1))
    upper = Math.exp(logTrace / p);
    const traceLower = Math.exp((logTrace - Math.log(k)) / p);
    lower = Math.max(lower, traceLower, await powerLower(a, m0, probe, onColumns));
    if (upper <= lower * (1 + tolerance) || squarings >= maxSquarings || lower >= (options.stopAbove ?? Infinity)) break;
    const next = tf.tidy(() => {
      const square = tf.matMul(m0, m0);
      return tf.div(tf.add(square, tf.transpose(square)), 2) as tf.Tensor2D;
    });
    const trace = tf.tidy(() => tf.sum(tf.mul(next, eye)));
    const t = (await readAndDispose(trace))[0];
    m0.dispose();
    if (!(t > 0) || !Number.isFinite(t)) {
      next.dispose();
      m0 = tf.zeros([1, 1]);
      break;
    }
    m0 = tf.tidy(() => tf.div(next, t) as tf.Tensor2D);
    next.dispose();
    logTrace = 2 * logTrace + Math.log(t);
    squarings++;
  }
  tf.dispose([m0, eye, probe]);
  return {
    upper: upper * (1 + FLOAT32_MARGIN),
    lower: lower * (1 - FLOAT32_MARGIN),
    method: `trace of (AᵀA)^${2 ** squarings} (${squarings} squarings of a ${k}×${k} Gram matrix, float32 margin ${FLOAT32_MARGIN})`,
  };
}

/** ‖A v‖/‖v‖ (or ‖Aᵀv‖/‖v‖) for v = M r: a lower bound of ‖A‖₂ for any v ≠ 0. */
async function powerLower(a: tf.Tensor2D, m: tf.Tensor2D, probe: tf.Tensor2D, onColumns: boolean): Promise<number> {
  const [num, den] = tf.tidy(() => {
    const v = tf.matMul(m, probe);
    const image = onColumns ? tf.matMul(a, v) : tf.matMul(a, v, true, false);
    return [tf.sum(tf.square(image)), tf.sum(tf.square(v))];
  });
  const [numerator] = await readAndDispose(num);
  const [denominator] = await readAndDispose(den);
  return denominator > 0 ? Math.sqrt(numerator / denominator) : 0;
}
