import * as tf from '@tensorflow/tfjs-core';
import { createRng, LayerDescription, spectralNormFromGram } from '@mmfuse/core';
import { convSymbolBound, polyphaseTaps } from './conv-symbol-bound';
import { gaussianTensor } from './random-tensors';
import { readAndDispose } from './row-ops';

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
export async function convPowerIteration(op: ConvOperator, iterations: number, start?: tf.Tensor4D, seed = 0): Promise<{ lower: number; vector: tf.Tensor4D }> {
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
    x.dispose();
    lower = Math.max(lower, (await readAndDispose(value))[0]);
    x = next as tf.Tensor4D;
  }
  return { lower, vector: x };
}

/**
 * The polyphase form of a strided convolution as a tensor (see `polyphaseTaps`): the stride-s
 * convolution equals a stride-1 convolution over the s_h·s_w phase images of the padded input
 * (x_p[n] = x[s·n + p], a unitary rearrangement). Result `[⌈kh/sh⌉, ⌈kw/sw⌉, sh·sw·in, out]`.
 */
export function polyphaseKernel(kernel: tf.Tensor4D, stride: readonly [number, number]): tf.Tensor4D {
  const { values, shape } = polyphaseTaps(kernel.dataSync(), kernel.shape, stride);
  return tf.tensor4d(Float32Array.from(values), shape);
}

export interface ConvNormBound {
  readonly upper: number;
  readonly method: string;
  /** Every rigorous candidate, by name. */
  readonly candidates: Readonly<Record<string, number>>;
}

/** Operators with at most this many rows or columns (the smaller side) are also bounded as matrices. */
export const DENSE_SIDE_LIMIT = 256;
const DENSE_ENTRY_LIMIT = 2 ** 21;

/**
 * A rigorous upper bound of ‖A‖₂ for the zero-padded strided convolution, from the kernel alone,
 * the least of: the polyphase symbol's σ_max over a frequency grid (`convSymbolBound`, within a few
 * per cent of ‖A‖₂ except on small maps, where borders matter); for small operators, the
 * operator as a matrix (`denseConvBound`, near exact); and the Schur test.
 */
export async function convNormUpperBound(op: ConvOperator): Promise<ConvNormBound> {
  const kernel = await op.kernel.data();
  const symbol = convSymbolBound(kernel, op.kernel.shape, op.stride, op.outShape);
  const candidates: Record<string, number> = { symbol: symbol.upper, schur: schurBound(op, kernel) };
  const axes = symbol.axes.map((a) => (a.kind === 'circular' ? `${a.points} (circular)` : `${a.points} (sampled, ×1/${a.correction.toFixed(4)})`)).join(' × ');
  const methods: Record<string, string> = {
    symbol: `max over a ${axes} frequency grid of σ_max of the polyphase symbol (Cholesky-certified in float64)`,
    schur: 'Schur test √(‖A‖₁‖A‖∞) from |kernel|',
  };
  const dense = denseConvBound(kernel, op);
  if (dense) {
    candidates.dense = dense.upper;
    methods.dense = `σ_max of the ${dense.rows}×${dense.columns} operator matrix (its Gram matrix in float64, Cholesky-certified)`;
  }
  const best = Object.keys(candidates).reduce((x, y) => (candidates[y] < candidates[x] ? y : x));
  return { upper: candidates[best], method: methods[best], candidates };
}

/**
 * ‖A‖₂ of a small operator as a matrix: its smaller Gram matrix (AAᵀ or AᵀA) in float64, bounded
 * by `spectralNormFromGram` (entries are sums of products of two taps). Undefined when the
 * operator is too large.
 */
export function denseConvBound(kernel: ArrayLike<number>, op: ConvOperator): { upper: number; rows: number; columns: number } | undefined {
  const [height, width, cin] = op.inShape;
  const [oh, ow, cout] = op.outShape;
  const rows = oh * ow * cout;
  const columns = height * width * cin;
  const side = Math.min(rows, columns);
  if (side > DENSE_SIDE_LIMIT || rows * columns > DENSE_ENTRY_LIMIT) return undefined;
  const { gram, terms } = rows <= columns ? outputGram(kernel, op) : inputGram(kernel, op);
  return { upper: spectralNormFromGram(gram, side, terms), rows, columns };
}

/**
 * AAᵀ over the outputs (i, j, o), from the taps alone: outputs P and P′ meet at the input pixels
 * both read, where P uses tap t and P′ the tap t′ = t + s·(P − P′), so their block is the sum over
 * those pixels of T_{t,t′} = Σ_c K[t, c, ·]ᵀ K[t′, c, ·] (c_out × c_out, formed once per tap pair).
 * That is kh·kw·c_in terms per entry at most, against the input size for rows of A materialised
 * (a 7 × 7 × 16 → 3 × 3 × 16 layer with 5 × 5 taps: 1.2 million multiply-adds instead of 8).
 */
function outputGram(kernel: ArrayLike<number>, op: ConvOperator): { gram: Float64Array; terms: number } {
  const [kh, kw, cin, cout] = op.kernel.shape;
  const [height, width] = op.inShape;
  const [oh, ow] = op.outShape;
  const [sh, sw] = op.stride;
  const [top, , left] = op.pads;
  const taps = kh * kw;
  const side = oh * ow * cout;
  const pairs: Array<Float64Array | undefined> = new Array(taps * taps);
  const pairGram = (t: number, t2: number): Float64Array => {
    let block = pairs[t * taps + t2];
    if (!block) {
      block = new Float64Array(cout * cout);
      for (let c = 0; c < cin; c++) {
        const a = (t * cin + c) * cout;
        const b = (t2 * cin + c) * cout;
        for (let o = 0; o < cout; o++) for (let o2 = 0; o2 < cout; o2++) block[o * cout + o2] += kernel[a + o] * kernel[b + o2];
      }
      pairs[t * taps + t2] = block;
    }
    return block;
  };
  const gram = new Float64Array(side * side);
  for (let i = 0; i < oh; i++) {
    for (let j = 0; j < ow; j++) {
      const r0 = (i * ow + j) * cout;
      // Blocks on and below the diagonal (P′ ≤ P), mirrored afterwards.
      for (let i2 = 0; i2 <= i; i2++) {
        for (let j2 = 0; j2 < (i2 === i ? j + 1 : ow); j2++) {
          const c0 = (i2 * ow + j2) * cout;
          for (let u = 0; u < kh; u++) {
            const u2 = u + (i - i2) * sh;
            const y = i * sh + u - top;
            if (u2 >= kh || y < 0 || y >= height) continue;
            for (let v = 0; v < kw; v++) {
              const v2 = v + (j - j2) * sw;
              const x = j * sw + v - left;
              if (v2 < 0 || v2 >= kw || x < 0 || x >= width) continue;
              const block = pairGram(u * kw + v, u2 * kw + v2);
              for (let o = 0; o < cout; o++) {
                const row = (r0 + o) * side + c0;
                for (let o2 = 0; o2 < cout; o2++) gram[row + o2] += block[o * cout + o2];
              }
            }
          }
        }
      }
    }
  }
  for (let p = 0; p < side; p++) for (let q = 0; q < p; q++) gram[q * side + p] = gram[p * side + q];
  return { gram, terms: taps * cin };
}

/** AᵀA over the input pixels and channels, from the rows of A materialised entry by entry. */
function inputGram(kernel: ArrayLike<number>, op: ConvOperator): { gram: Float64Array; terms: number } {
  const [kh, kw, cin, cout] = op.kernel.shape;
  const [height, width] = op.inShape;
  const [oh, ow] = op.outShape;
  const rows = oh * ow * cout;
  const side = height * width * cin;
  // Column c of A (one input pixel and channel) at [c·rows + r].
  const matrix = new Float64Array(rows * side);
  for (let i = 0; i < oh; i++) {
    for (let u = 0; u < kh; u++) {
      const y = i * op.stride[0] + u - op.pads[0];
      if (y < 0 || y >= height) continue;
      for (let j = 0; j < ow; j++) {
        for (let v = 0; v < kw; v++) {
          const x = j * op.stride[1] + v - op.pads[2];
          if (x < 0 || x >= width) continue;
          for (let c = 0; c < cin; c++) {
            const column = (y * width + x) * cin + c;
            for (let o = 0; o < cout; o++) matrix[column * rows + (i * ow + j) * cout + o] = kernel[((u * kw + v) * cin + c) * cout + o];
          }
        }
      }
    }
  }
  const gram = new Float64Array(side * side);
  for (let p = 0; p < side; p++) {
    for (let q = 0; q <= p; q++) {
      let sum = 0;
      for (let l = 0; l < rows; l++) sum += matrix[p * rows + l] * matrix[q * rows + l];
      gram[p * side + q] = sum;
      gram[q * side + p] = sum;
    }
  }
  return { gram, terms: rows };
}

/**
 * ‖A‖₂ ≤ √(‖A‖₁‖A‖∞): the largest absolute column sum (an input pixel meets the taps of its
 * stride phase once each) and row sum (an output meets every tap once); borders only drop terms.
 */
export function schurBound(op: ConvOperator, kernel?: ArrayLike<number>): number {
  const [kh, kw, cin, cout] = op.kernel.shape;
  const [sh, sw] = op.stride;
  // The kernel's values when the caller has read them (a synchronous read fails on WebGPU under Node).
  const k = kernel ?? op.kernel.dataSync();
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
