import * as tf from '@tensorflow/tfjs-core';
import type { LayerDescription } from '@mmfuse/core';
import { spectralNormBounds } from './matrix-norm-bounds';
import { gaussianTensor } from './random-tensors';
import { createRng } from '@mmfuse/core';

type ConvLayer = Extract<LayerDescription, { kind: 'conv2d' | 'conv2d-transpose' }>;

/**
 * A zero-padded strided 2-D convolution as a linear operator `[H, W, C] → [h, w, c]`
 * (`y = conv2d(x, kernel, stride, pads)`), whose adjoint is `conv2dTranspose` with the same kernel.
 */
export interface ConvOperator {
  /** `[kh, kw, in, out]`, conv2d layout. */
  readonly kernel: tf.Tensor4D;
  readonly inShape: readonly [number, number, number];
  readonly outShape: readonly [number, number, number];
  readonly stride: readonly [number, number];
  /** [top, bottom, left, right]. */
  readonly pads: readonly [number, number, number, number];
}

/**
 * The operator of a described layer. A transposed convolution is the adjoint of the convolution
 * from its output shape to its input shape with the same kernel, and has the same norm.
 */
export function convOperator(layer: ConvLayer): ConvOperator {
  const kernel = layer.kernel as unknown as tf.Tensor4D;
  return layer.kind === 'conv2d'
    ? { kernel, inShape: layer.inShape, outShape: layer.outShape, stride: layer.stride, pads: layer.pads }
    : { kernel, inShape: layer.outShape, outShape: layer.inShape, stride: layer.stride, pads: layer.pads };
}

function padArray(op: ConvOperator): [[number, number], [number, number], [number, number], [number, number]] {
  const [t, b, l, r] = op.pads;
  return [[0, 0], [t, b], [l, r], [0, 0]];
}

export function applyConv(op: ConvOperator, x: tf.Tensor4D): tf.Tensor4D {
  return tf.conv2d(x, op.kernel, op.stride as [number, number], padArray(op) as never);
}

export function applyConvAdjoint(op: ConvOperator, y: tf.Tensor4D): tf.Tensor4D {
  return tf.conv2dTranspose(y, op.kernel, [y.shape[0], ...op.inShape] as [number, number, number, number], op.stride as [number, number], padArray(op) as never);
}

/**
 * Power iteration on AᵀA with the operator itself (conv2d and its adjoint). Converges from below:
 * each value is ‖Aᵀŷ‖ for a unit ŷ, a lower bound of ‖A‖₂, never a certificate.
 */
export function convPowerIteration(op: ConvOperator, iterations: number, start?: tf.Tensor4D, seed = 0): { lower: number; vector: tf.Tensor4D } {
  let x = start ? tf.clone(start) : (gaussianTensor(createRng(seed), [1, ...op.inShape]) as tf.Tensor4D);
  let lower = 0;
  for (let t = 0; t < iterations; t++) {
    const [next, value] = tf.tidy(() => {
      const unit = tf.div(x, tf.maximum(tf.norm(x), 1e-30));
      const y = applyConv(op, unit as tf.Tensor4D);
      const unitY = tf.div(y, tf.maximum(tf.norm(y), 1e-30));
      const back = applyConvAdjoint(op, unitY as tf.Tensor4D);
      return [back, tf.norm(back)];
    });
    lower = Math.max(lower, value.dataSync()[0]);
    tf.dispose([x, value]);
    x = next as tf.Tensor4D;
  }
  return { lower, vector: x };
}

/**
 * The polyphase form of a strided convolution: the stride-s convolution equals a stride-1
 * convolution over the s_h·s_w phase images of the padded input (x_p[n] = x[s·n + p], a unitary
 * rearrangement), with sub-kernels K_p[a] = K[p + s·a]. Result `[⌈kh/sh⌉, ⌈kw/sw⌉, sh·sw·in, out]`.
 */
export function polyphaseKernel(kernel: tf.Tensor4D, stride: readonly [number, number]): tf.Tensor4D {
  const [kh, kw, cin, cout] = kernel.shape;
  const [sh, sw] = stride;
  if (sh === 1 && sw === 1) return tf.clone(kernel);
  const a = Math.ceil(kh / sh);
  const b = Math.ceil(kw / sw);
  const source = kernel.dataSync();
  const out = new Float32Array(a * b * sh * sw * cin * cout);
  const phases = sh * sw * cin;
  for (let u = 0; u < kh; u++) {
    for (let v = 0; v < kw; v++) {
      const [p, ia] = [u % sh, Math.floor(u / sh)];
      const [q, ib] = [v % sw, Math.floor(v / sw)];
      for (let c = 0; c < cin; c++) {
        const channel = (p * sw + q) * cin + c;
        for (let o = 0; o < cout; o++) out[((ia * b + ib) * phases + channel) * cout + o] = source[((u * kw + v) * cin + c) * cout + o];
      }
    }
  }
  return tf.tensor4d(out, [a, b, phases, cout]);
}

export interface ConvNormBound {
  readonly upper: number;
  readonly method: string;
  /** Every rigorous candidate, by name. */
  readonly candidates: Readonly<Record<string, number>>;
}

/**
 * A rigorous upper bound of ‖A‖₂ for the zero-padded strided convolution, from the kernel alone.
 *
 * On the whole plane, A is a restriction of a convolution whose norm is sup_ω ‖K̂(ω)‖₂ with
 * K̂(ω) = Σ_{u,v} e^{-i(ω₁u+ω₂v)} K_uv (K_uv the `out × in` tap matrix); padding and cropping
 * only shrink it. Writing K̂(ω) as a product of a phase block of norm √a or √b and a reshape of the
 * kernel gives, for an `a × b` kernel, ‖K̂(ω)‖₂ ≤ √(ab) · ‖R_i‖₂ for four reshapes R_i
 * (rows × columns: (u,out)×(v,in), (v,out)×(u,in), out×(u,v,in), (u,v,out)×in), applied to the
 * polyphase kernel (the stride folded into the channels; the phase split is unitary, so the
 * operator's norm is that of a stride-1 convolution). Each ‖R_i‖₂ is bounded rigorously by
 * `spectralNormBounds`. The Schur test √(‖A‖₁‖A‖∞) from |kernel| is one more candidate; the
 * least of them is the bound.
 */
export function convNormUpperBound(op: ConvOperator): ConvNormBound {
  const candidates: Record<string, number> = {};
  const schur = schurBound(op);
  candidates.schur = schur;
  // The polyphase kernel has every tap of the plain one (R3, R4 hold the same entries plus zeros)
  // with a smaller a·b, so its reshapes are never worse than the plain kernel's on the same view.
  const k = polyphaseKernel(op.kernel, op.stride);
  const [a, b, cin, cout] = k.shape;
  const prefactor = Math.sqrt(a * b);
  const views: Array<[string, number[], [number, number]]> = [
    ['R1', [0, 3, 1, 2], [a * cout, b * cin]],
    ['R2', [1, 3, 0, 2], [b * cout, a * cin]],
    ['R3', [3, 0, 1, 2], [cout, a * b * cin]],
    ['R4', [0, 1, 3, 2], [a * b * cout, cin]],
  ];
  const reshapes = views.map(([name, perm, shape]) => ({ name, prefactor, matrix: tf.tidy(() => tf.reshape(tf.transpose(k, perm), shape) as tf.Tensor2D) }));
  k.dispose();
  // Every reshape has the kernel's Frobenius norm F, so ‖R‖₂ ≥ F/√min(rows, cols): try the most
  // promising first, and stop refining a candidate as soon as its lower bound shows it cannot win.
  const promise = (r: { prefactor: number; matrix: tf.Tensor2D }) => r.prefactor / Math.sqrt(Math.min(...r.matrix.shape));
  reshapes.sort((x, y) => promise(x) - promise(y));
  let best = schur;
  let bestName = 'schur';
  for (const r of reshapes) {
    const bounds = spectralNormBounds(r.matrix, { stopAbove: best / r.prefactor });
    const value = r.prefactor * bounds.upper;
    candidates[r.name] = value;
    if (value < best) {
      best = value;
      bestName = r.name;
    }
    r.matrix.dispose();
  }
  const method = bestName === 'schur' ? 'Schur test √(‖A‖₁‖A‖∞) from |kernel|' : `√(ab)·‖${bestName}‖₂ of the polyphase kernel (symbol bound; ‖${bestName}‖₂ by the Gram trace bound)`;
  return { upper: best, method, candidates };
}

/**
 * ‖A‖₂ ≤ √(‖A‖₁‖A‖∞): the largest absolute column sum (an input pixel meets the taps of its
 * stride phase once each) and row sum (an output meets every tap once); borders only drop terms.
 */
export function schurBound(op: ConvOperator): number {
  const [kh, kw, cin, cout] = op.kernel.shape;
  const [sh, sw] = op.stride;
  const k = op.kernel.dataSync();
  const rows = new Float64Array(cout);
  const columns = new Float64Array(sh * sw * cin);
  for (let u = 0; u < kh; u++) {
    for (let v = 0; v < kw; v++) {
      for (let c = 0; c < cin; c++) {
        const column = ((u % sh) * sw + (v % sw)) * cin + c;
        for (let o = 0; o < cout; o++) {
          const value = Math.abs(k[((u * kw + v) * cin + c) * cout + o]);
          rows[o] += value;
          columns[column] += value;
        }
      }
    }
  }
  return Math.sqrt(Math.max(...rows) * Math.max(...columns));
}
