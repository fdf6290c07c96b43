import { certifyLargestEigenvalue, gamma, SymmetricFamily } from '@mmfuse/core';

/** Per axis, the Taylor correction c = 1 − τ²h²/2 of a sampled axis is kept at or above this. */
const CORRECTION_FLOOR = 0.99;

/** How one axis of the frequency plane is covered. */
export interface FrequencyAxis {
  /** Frequencies 2πk/points, k = 0..points−1. */
  readonly points: number;
  /**
   * `circular`: the layer is a restriction of a circular convolution on this many phase positions,
   * whose norm is the max over exactly these frequencies (c = 1). `sampled`: a sample of the whole
   * circle, with the correction c < 1 for what lies between the samples.
   */
  readonly kind: 'circular' | 'sampled';
  readonly correction: number;
}

export interface SymbolBound {
  /** Rigorous upper bound of the layer's l2 operator norm. */
  readonly upper: number;
  /** max over the sampled frequencies of σ_max of the symbol (Rayleigh quotients): not a bound of the layer's norm. */
  readonly symbolLower: number;
  readonly axes: readonly [FrequencyAxis, FrequencyAxis];
  readonly frequencies: number;
  readonly factorisations: number;
}

/**
 * Taps of a strided convolution's polyphase form in float64, `[a, b, phases, out]` with
 * a = ⌈kh/sh⌉, b = ⌈kw/sw⌉, phases = sh·sw·in: tap (u, v) of the kernel lands in sub-kernel
 * position (⌊u/sh⌋, ⌊v/sw⌋) at input channel ((u mod sh)·sw + v mod sw)·in + c.
 */
export function polyphaseTaps(kernel: ArrayLike<number>, [kh, kw, cin, cout]: readonly number[], [sh, sw]: readonly number[]): { values: Float64Array; shape: [number, number, number, number] } {
  const a = Math.ceil(kh / sh);
  const b = Math.ceil(kw / sw);
  const phases = sh * sw * cin;
  const values = new Float64Array(a * b * phases * cout);
  for (let u = 0; u < kh; u++) {
    for (let v = 0; v < kw; v++) {
      const position = Math.floor(u / sh) * b + Math.floor(v / sw);
      for (let c = 0; c < cin; c++) {
        const channel = ((u % sh) * sw + (v % sw)) * cin + c;
        for (let o = 0; o < cout; o++) values[(position * phases + channel) * cout + o] = kernel[((u * kw + v) * cin + c) * cout + o];
      }
    }
  }
  return { values, shape: [a, b, phases, cout] };
}

/**
 * One axis: a layer with `outputs` positions and `taps` polyphase taps along it reads phase
 * positions 0..outputs+taps−2 only, so on a circle of N = outputs + taps − 1 positions nothing wraps
 * and the layer is a restriction of that circular convolution (c = 1). When N is large, a grid of
 * M ≥ τπ/√(2(1 − CORRECTION_FLOOR)) points (τ = (taps − 1)/2) on the whole circle is cheaper.
 */
export function frequencyAxis(outputs: number, taps: number): FrequencyAxis {
  const tau = (taps - 1) / 2;
  const circular = outputs + taps - 1;
  const sampled = tau === 0 ? 1 : Math.ceil((tau * Math.PI) / Math.sqrt(2 * (1 - CORRECTION_FLOOR)));
  if (circular <= sampled) return { points: circular, kind: 'circular', correction: 1 };
  const h = Math.PI / sampled;
  return { points: sampled, kind: 'sampled', correction: 1 - (tau * tau * h * h) / 2 };
}

/**
 * A rigorous upper bound of ‖A‖₂ for the zero-padded strided convolution A with this kernel, from
 * the largest singular value of its symbol over a grid of frequencies, in float64.
 *
 * - Polyphase form: the stride-s convolution of the padded input equals a stride-1 convolution of
 *   its s_h·s_w phase images (a unitary rearrangement) with the taps of `polyphaseTaps`; its symbol
 *   is M(ω) = Σ_t T_t e^{−iω·t}, a c_out × (s_h s_w c_in) matrix.
 * - Zero padding, cropping and the finite image make A a restriction (rows and columns taken out)
 *   of a convolution on a larger domain, which cannot raise the norm: on a circle of N positions
 *   per axis (see `frequencyAxis`) the norm is max over ω = 2πk/N of σ_max(M(ω)); on the whole line
 *   it is sup_ω σ_max(M(ω)). For the line, Bernstein's inequality (Re ⟨v, M(ω)w⟩ is of exponential
 *   type τ once centred, τ = (taps − 1)/2) bounds the second derivative at the maximum by τ²·sup,
 *   so the sup exceeds the max over M equispaced points by at most a factor 1/(1 − τ²(π/M)²/2),
 *   per axis.
 * - σ_max(M(ω))² = λ_max(H(ω)) for H = M Mᴴ (or MᴴM, the smaller), H(ω) = Σ_d G_d e^{−iω·d} with
 *   the real spatial Gram taps G_d = Σ_{t−t'=d} U_t U_{t'}ᵀ; the Hermitian H = X + iY is certified
 *   through its real symmetric form [[X, −Y], [Y, X]] (same eigenvalues) by
 *   `certifyLargestEigenvalue`. H(−ω) = conj H(ω) has the same spectrum, so half the grid suffices.
 * - Rounding: products of float32 weights are exact in float64; the sums forming G_d and H(ω) err by
 *   at most γ_{m}·F² in spectral norm (m terms, F = Σ_t ‖U_t‖_F), which is added to λ_max.
 */
export function convSymbolBound(kernel: ArrayLike<number>, kernelShape: readonly number[], stride: readonly number[], outShape: readonly number[]): SymbolBound {
  const { values, shape } = polyphaseTaps(kernel, kernelShape, stride);
  const [a, b, phases, cout] = shape;
  const axes: [FrequencyAxis, FrequencyAxis] = [frequencyAxis(outShape[0], a), frequencyAxis(outShape[1], b)];
  // U_t: k × wide, with k the smaller of c_out and the polyphase input channels.
  const k = Math.min(phases, cout);
  const wide = Math.max(phases, cout);
  const taps = a * b;
  const u = new Float64Array(taps * k * wide);
  let frobeniusSum = 0;
  for (let t = 0; t < taps; t++) {
    let square = 0;
    for (let p = 0; p < phases; p++) {
      for (let o = 0; o < cout; o++) {
        const value = values[(t * phases + p) * cout + o];
        u[cout <= phases ? (t * k + o) * wide + p : (t * k + p) * wide + o] = value;
        square += value * value;
      }
    }
    frobeniusSum += Math.sqrt(square);
  }
  const grams = spatialGrams(u, a, b, k, wide);
  const frequencies: Array<[number, number]> = [];
  for (let k1 = 0; k1 < axes[0].points; k1++) {
    for (let k2 = 0; k2 <= Math.floor(axes[1].points / 2); k2++) frequencies.push([(2 * Math.PI * k1) / axes[0].points, (2 * Math.PI * k2) / axes[1].points]);
  }
  const parts = { x: new Float64Array(k * k), y: new Float64Array(k * k) };
  const family: SymmetricFamily = {
    count: frequencies.length,
    size: 2 * k,
    build: (f, out) => symbolGram(grams, k, frequencies[f], parts, out),
  };
  const certificate = certifyLargestEigenvalue(family);
  const rounding = 2 * gamma(taps * wide + grams.offsets.length + 4) * frobeniusSum * frobeniusSum;
  const correction = axes[0].correction * axes[1].correction;
  // 2⁻⁴⁰ covers the last few roundings (square root, division).
  const upper = (Math.sqrt(certificate.upper + rounding) / correction) * (1 + 2 ** -40);
  return { upper, symbolLower: Math.sqrt(certificate.lower), axes, frequencies: frequencies.length, factorisations: certificate.factorisations };
}

interface SpatialGrams {
  /** Offsets d = t − t' with d lexicographically ≥ 0 (G_{−d} = G_dᵀ). */
  readonly offsets: Array<[number, number]>;
  /** Per offset, G_d + G_dᵀ (for d = 0: G_0) and G_d − G_dᵀ, each k × k. */
  readonly symmetric: Float64Array[];
  readonly antisymmetric: Float64Array[];
}

function spatialGrams(u: Float64Array, a: number, b: number, k: number, wide: number): SpatialGrams {
  const offsets: Array<[number, number]> = [];
  const symmetric: Float64Array[] = [];
  const antisymmetric: Float64Array[] = [];
  const block = k * wide;
  for (let d1 = 0; d1 < a; d1++) {
    for (let d2 = d1 === 0 ? 0 : 1 - b; d2 < b; d2++) {
      const g = new Float64Array(k * k);
      for (let t1 = d1; t1 < a; t1++) {
        for (let t2 = Math.max(0, d2); t2 < b + Math.min(0, d2); t2++) {
          const left = (t1 * b + t2) * block;
          const right = ((t1 - d1) * b + (t2 - d2)) * block;
          for (let i = 0; i < k; i++) {
            const rowI = left + i * wide;
            for (let j = 0; j < k; j++) {
              const rowJ = right + j * wide;
              let sum = 0;
              for (let l = 0; l < wide; l++) sum += u[rowI + l] * u[rowJ + l];
              g[i * k + j] += sum;
            }
          }
        }
      }
      const sym = new Float64Array(k * k);
      const anti = new Float64Array(k * k);
      const zero = d1 === 0 && d2 === 0;
      for (let i = 0; i < k; i++) {
        for (let j = 0; j < k; j++) {
          sym[i * k + j] = zero ? g[i * k + j] : g[i * k + j] + g[j * k + i];
          anti[i * k + j] = zero ? 0 : g[i * k + j] - g[j * k + i];
        }
      }
      offsets.push([d1, d2]);
      symmetric.push(sym);
      antisymmetric.push(anti);
    }
  }
  return { offsets, symmetric, antisymmetric };
}

/** [[X, −Y], [Y, X]] for H(ω) = X + iY = G_0 + Σ_{d>0} (G_d + G_dᵀ) cos(ω·d) − i (G_d − G_dᵀ) sin(ω·d). */
function symbolGram(grams: SpatialGrams, k: number, [w1, w2]: [number, number], { x, y }: { x: Float64Array; y: Float64Array }, out: Float64Array): void {
  x.fill(0);
  y.fill(0);
  grams.offsets.forEach(([d1, d2], index) => {
    const theta = w1 * d1 + w2 * d2;
    const [cos, sin] = index === 0 ? [1, 0] : [Math.cos(theta), Math.sin(theta)];
    const sym = grams.symmetric[index];
    const anti = grams.antisymmetric[index];
    for (let e = 0; e < k * k; e++) {
      x[e] += sym[e] * cos;
      y[e] -= anti[e] * sin;
    }
  });
  const n = 2 * k;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const [re, im] = [x[i * k + j], y[i * k + j]];
      out[i * n + j] = re;
      out[(i + k) * n + j + k] = re;
      out[i * n + j + k] = -im;
      out[(i + k) * n + j] = im;
    }
  }
}
