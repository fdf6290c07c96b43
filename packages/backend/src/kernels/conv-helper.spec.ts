import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../select-backend';
import { explicit, filled, maxRelativeError, Pad } from './conformance-cases';
import { convHelper, convolutionHelperStats, setConvolutionThreads, splitTesting } from './conv-helper';
import { WasmBackend } from './wasm-backend-access';
import { forwardGeometry } from './wasm-conv2d';
import { convGemm, ConvGemmVariant, convGemmVariant, ConvGeometry, gemmConv2d, gemmConv2dFilterGrad, gemmConv2dInputGrad } from './wasm-conv-gemm';

type Shape4 = [number, number, number, number];
type Case = [Shape4, Shape4, [number, number], Pad, [number, number]];

/**
 * Convolutions split between the calling thread and the helper (every size, with the threshold
 * at 0): odd and even batches, cropped and direct input gradients, a filter gradient over several
 * chunks on the helper, dilation.
 */
const CASES: Case[] = [
  [[4, 15, 15, 16], [5, 5, 16, 32], [2, 2], explicit(1, 1, 1, 1), [1, 1]],
  [[3, 16, 16, 20], [5, 5, 20, 24], [2, 2], 'same', [1, 1]],
  [[5, 9, 9, 16], [3, 3, 16, 16], [1, 1], 'valid', [1, 1]],
  [[6, 33, 33, 3], [5, 5, 3, 16], [2, 2], explicit(1, 1, 1, 1), [1, 1]],
  [[4, 12, 11, 24], [3, 3, 24, 40], [1, 1], 'same', [2, 2]],
];

/** Below the default split threshold (8 million multiply-adds): one thread computes it all. */
const SMALL: Case = [[2, 15, 15, 32], [3, 3, 32, 32], [1, 1], 'same', [1, 1]];

interface Results {
  y: Float32Array;
  dw?: Float32Array;
  dx?: Float32Array;
}

/**
 * y, dW and dx in float64 straight from the definition, with Σ|term| of every element: a float32
 * sum of n products, in any order, lies within γ(n) = nu/(1 − nu) of Σ|term| of the exact value
 * (Higham, Accuracy and Stability of Numerical Algorithms, §3.1), u = 2⁻²⁴.
 */
function reference(x: Float32Array, f: Float32Array, dy: Float32Array, g: ConvGeometry) {
  const { batch, height, width, inChannels: ci, outHeight, outWidth, outChannels: co, kh, kw, sh, sw, dh, dw, top, left } = g;
  const y = new Float64Array(batch * outHeight * outWidth * co);
  const yAbs = new Float64Array(y.length);
  const dW = new Float64Array(kh * kw * ci * co);
  const dWAbs = new Float64Array(dW.length);
  const dx = new Float64Array(batch * height * width * ci);
  const dxAbs = new Float64Array(dx.length);
  for (let b = 0; b < batch; b++)
    for (let oy = 0; oy < outHeight; oy++)
      for (let ox = 0; ox < outWidth; ox++)
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - top + ky * dh;
          if (iy < 0 || iy >= height) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw - left + kx * dw;
            if (ix < 0 || ix >= width) continue;
            const xAt = ((b * height + iy) * width + ix) * ci;
            const yAt = ((b * outHeight + oy) * outWidth + ox) * co;
            for (let c = 0; c < ci; c++) {
              const fAt = ((ky * kw + kx) * ci + c) * co;
              for (let o = 0; o < co; o++) {
                const fy = x[xAt + c] * f[fAt + o];
                y[yAt + o] += fy;
                yAbs[yAt + o] += Math.abs(fy);
                const fw = x[xAt + c] * dy[yAt + o];
                dW[fAt + o] += fw;
                dWAbs[fAt + o] += Math.abs(fw);
                const fx = dy[yAt + o] * f[fAt + o];
                dx[xAt + c] += fx;
                dxAbs[xAt + c] += Math.abs(fx);
              }
            }
          }
        }
  return { y: { value: y, abs: yAbs, terms: kh * kw * ci }, dw: { value: dW, abs: dWAbs, terms: batch * outHeight * outWidth }, dx: { value: dx, abs: dxAbs, terms: kh * kw * co } };
}

/** The largest |computed − exact| / (γ(terms + 1) Σ|term|) over the elements: ≤ 1 proves every one within the bound. */
function boundRatio(computed: Float32Array, exact: { value: Float64Array; abs: Float64Array; terms: number }): number {
  const u = 2 ** -24;
  // One more rounding than products: the sum of the two threads' partial dW.
  const n = exact.terms + 1;
  const gamma = (n * u) / (1 - n * u);
  let worst = 0;
  for (let i = 0; i < computed.length; i++) worst = Math.max(worst, Math.abs(computed[i] - exact.value[i]) / (gamma * exact.abs[i] + 1e-30));
  return worst;
}

/** The three GEMM kernels on wasm with `threads` convolution threads. */
async function wasmResults(variant: ConvGemmVariant, threads: number, [xShape, filterShape, strides, pad, dilations]: Case, minMultiplyAdds?: number) {
  await initBackend('wasm');
  setConvolutionThreads(threads, minMultiplyAdds);
  const backend = tf.backend() as unknown as WasmBackend;
  const kernels = convGemm(backend, variant)!;
  const x = filled(xShape, 0.4);
  const f = filled(filterShape, 1.3);
  const g = forwardGeometry(x.shape, f.shape, { strides, pad, dilations });
  const dy = filled([g.batch, g.outHeight, g.outWidth, g.outChannels], 2.2);
  const take = (info: tf.TensorInfo) => {
    const values = backend.typedArrayFromHeap(info).slice();
    backend.disposeData(info.dataId);
    return values;
  };
  // Each kernel starts with the helper idle, so that each is split (a helper still ending a sample
  // taken over from it leaves the next kernel to the calling thread).
  const idle = () => {
    const helper = threads > 1 ? convHelper(variant) : undefined;
    while (helper && !helper.idle());
  };
  idle();
  const result: Results = { y: take(gemmConv2d(backend, kernels, x, f, g)) };
  if (dilations[0] === 1 && dilations[1] === 1) {
    idle();
    result.dw = take(gemmConv2dFilterGrad(backend, kernels, x, dy, g));
    idle();
    result.dx = take(gemmConv2dInputGrad(backend, kernels, dy, f, g));
  }
  const inputs = { x: x.dataSync() as Float32Array, f: f.dataSync() as Float32Array, dy: dy.dataSync() as Float32Array, g };
  tf.dispose([x, f, dy]);
  return { result, inputs };
}

describe('convolutions split with the helper thread', () => {
  afterEach(() => setConvolutionThreads(1));

  afterEach(() => Object.assign(splitTesting, { helperPauseMs: 0, callerLeavesSamples: false }));

  // However the samples fall between the threads: as they come, all of the helper's part on the
  // helper, or the helper pausing in each sample it takes, so that the calling thread takes it over.
  const schedules = [
    ['as the threads run', {}],
    ['the helper computing its whole part', { callerLeavesSamples: true }],
    ['the calling thread taking over from a stalled helper', { helperPauseMs: 40 }],
  ] as const;
  describe.each(['simd128', 'relaxed-simd'] as ConvGemmVariant[])('%s', (variant) => {
    describe.each(schedules)('%s', (schedule, knobs) => {
      it.each(CASES)('computes every element within the float32 summation bound of the exact value, y as one thread does: x %j, filter %j, strides %j, pad %j, dilations %j', async (...testCase) => {
        const one = (await wasmResults(variant, 1, testCase)).result;
        expect(convHelper(variant)).toBeUndefined();
        setConvolutionThreads(2, 0);
        const helper = convHelper(variant)!;
        const [programs, samples] = [helper.programs, helper.samplesComputed];
        Object.assign(splitTesting, knobs);
        const { result: two, inputs } = await wasmResults(variant, 2, testCase, 0);
        const kernels = two.dw ? 3 : 1;
        // Every kernel was split; its helper's part is half the batch, rounded down.
        expect(helper.programs - programs).toBe(kernels);
        const part = Math.floor(inputs.g.batch / 2);
        if ('callerLeavesSamples' in knobs) expect(helper.samplesComputed - samples).toBe(kernels * part);
        if ('helperPauseMs' in knobs) expect(helper.samplesComputed - samples).toBe(0);
        // Each element of y is the same sum in the same order, whichever thread computes it.
        expect(two.y).toEqual(one.y);
        const exact = reference(inputs.x, inputs.f, inputs.dy, inputs.g);
        expect(boundRatio(two.y, exact.y)).toBeLessThanOrEqual(1);
        if (two.dw && two.dx) {
          // dW adds partial sums (the calling thread's, the helper's, samples taken back), and a
          // part of dx that ends mid-tile takes the kernel's remainder path: the same terms,
          // grouped otherwise.
          expect(boundRatio(two.dw, exact.dw)).toBeLessThanOrEqual(1);
          expect(boundRatio(two.dx, exact.dx)).toBeLessThanOrEqual(1);
          expect(maxRelativeError(two.dw, one.dw!)).toBeLessThan(1e-3);
          expect(maxRelativeError(two.dx, one.dx!)).toBeLessThan(1e-5);
        }
      }, 60000);
    });
  });

  it('has a bound that catches a lost term', async () => {
    const { result, inputs } = await wasmResults('relaxed-simd', 1, CASES[0]);
    const exact = reference(inputs.x, inputs.f, inputs.dy, inputs.g);
    expect(boundRatio(result.dw!, exact.dw)).toBeLessThanOrEqual(1);
    // dW without the last sample's first output pixel: one term missing from every element.
    const { x, dy, g } = inputs;
    const dw = result.dw!.slice();
    const b = g.batch - 1;
    for (let ky = 0; ky < g.kh; ky++)
      for (let kx = 0; kx < g.kw; kx++) {
        const iy = -g.top + ky;
        const ix = -g.left + kx;
        if (iy < 0 || ix < 0) continue;
        for (let c = 0; c < g.inChannels; c++)
          for (let o = 0; o < g.outChannels; o++) dw[((ky * g.kw + kx) * g.inChannels + c) * g.outChannels + o] -= x[((b * g.height + iy) * g.width + ix) * g.inChannels + c] * dy[b * g.outHeight * g.outWidth * g.outChannels + o];
      }
    expect(boundRatio(dw, exact.dw)).toBeGreaterThan(1);
  });

  it('leaves a kernel below the default threshold on the calling thread', async () => {
    const one = (await wasmResults('relaxed-simd', 1, SMALL)).result;
    setConvolutionThreads(2);
    const before = convHelper('relaxed-simd')!.programs;
    const two = (await wasmResults('relaxed-simd', 2, SMALL)).result;
    expect(convHelper('relaxed-simd')!.programs).toBe(before);
    expect(two).toEqual(one);
  });

  it('trains through tf.conv2d and its gradients with either thread count to the same values, splitting a kernel above the default threshold', async () => {
    await initBackend('wasm');
    const run = (threads: number) => {
      setConvolutionThreads(threads);
      const x = filled([8, 33, 33, 16], 0.1);
      const f = filled([5, 5, 16, 16], 0.7);
      const loss = (w: tf.Tensor4D) => tf.sum(tf.square(tf.conv2d(x, w, 2, 'same'))) as tf.Scalar;
      const { value, grad } = tf.valueAndGrad(loss)(f);
      const out = { value: value.dataSync()[0], grad: grad.dataSync() as Float32Array, programs: convHelper(convGemmVariant())?.programs ?? 0 };
      tf.dispose([x, f, value, grad]);
      return out;
    };
    const one = run(1);
    expect(convolutionHelperStats()).toBeUndefined();
    const two = run(2);
    expect(two.programs).toBeGreaterThan(0);
    // The counters a benchmark reads: as many programs as the helper ran, never more samples computed than offered.
    const stats = convolutionHelperStats()!;
    expect(stats.programs).toBe(two.programs);
    expect(stats.samplesComputed).toBeLessThanOrEqual(stats.samplesOffered);
    expect(stats.samplesOffered).toBe(stats.programs * 4);
    expect(stats.waitMs).toBeGreaterThanOrEqual(0);
    expect(Math.abs(two.value - one.value) / one.value).toBeLessThan(1e-6);
    expect(maxRelativeError(two.grad, one.grad)).toBeLessThan(1e-5);
  }, 60000);

  it('grows its heap on demand up to 1 GiB, and says no past it (the kernel then runs on one thread)', async () => {
    await initBackend('wasm');
    setConvolutionThreads(2);
    const helper = convHelper(convGemmVariant())!;
    expect(helper.reserve(3 * 2 ** 20)).toBe(true);
    expect(helper.floats().length * 4).toBeGreaterThanOrEqual(3 * 2 ** 20);
    expect(helper.reserve(2 ** 30 + 1)).toBe(false);
  });

  it('refuses a thread count that is not a positive integer', () => {
    expect(() => setConvolutionThreads(0)).toThrow('convolution threads: expected an integer ≥ 1, got 0');
    expect(() => setConvolutionThreads(1.5)).toThrow('expected an integer ≥ 1');
    expect(() => setConvolutionThreads(2, -1)).toThrow('convolution threads: expected a multiply-add threshold ≥ 0, got -1');
  });
});
