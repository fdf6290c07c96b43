import { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { heapF32, heapIndex, runWasmKernel, stride1Conv, WasmBackend, wasmTensor } from './wasm-backend-access';
import { ConvAttrs, gradientGeometry } from './wasm-conv2d';
import { convGemm, ConvGeometry, gemmConv2dInputGrad } from './wasm-conv-gemm';

/**
 * Input gradient of a 2-D convolution (and so the forward pass of a transposed convolution) for
 * the wasm backend, by sub-pixel decomposition: output rows y = s·Y + p of one phase p only meet
 * the filter taps k ≡ (p + pad) (mod s), so each of the s² phases is an ordinary stride-1
 * convolution of dy with a small flipped sub-filter, done by XNNPACK; the phases are then
 * interleaved into dx. The stock kernel's loops are about ten times slower. With few input
 * channels the phases are stacked as output channels of one convolution instead (XNNPACK is
 * inefficient with few output channels).
 */

/** How one output phase along one axis reads dy: taps, first filter tap, dy offset, length. */
interface PhaseAxis {
  /** Number of filter taps that reach this phase (0: the phase gets no contribution). */
  taps: number;
  /** First tap index of this phase in the full filter. */
  first: number;
  /** dx_phase[Y] = Σ_m dy[Y + offset + m] · F[m], m < taps (F flipped). */
  offset: number;
  /** Output positions of this phase: ceil((size − phase) / stride). */
  length: number;
}

function phaseAxis(phase: number, size: number, kernel: number, stride: number, padBefore: number): PhaseAxis {
  const first = (phase + padBefore) % stride;
  const q = Math.floor((phase + padBefore) / stride);
  const taps = first < kernel ? Math.floor((kernel - 1 - first) / stride) + 1 : 0;
  const length = phase < size ? Math.ceil((size - phase) / stride) : 0;
  return { taps, first, offset: q - taps + 1, length };
}

/** Pads (or crop) so that a stride-1 conv over dy with `taps` taps starting at `offset` yields ≥ `length` rows. */
function convWindow(offset: number, taps: number, length: number, dyLength: number): { crop: number; before: number; after: number } {
  const crop = Math.max(0, offset);
  const before = Math.max(0, -offset);
  const after = Math.max(0, length + taps - 1 - (dyLength - crop) - before);
  return { crop, before, after };
}

/** Sub-filter of one phase, `[taps_h, taps_w, Co, Ci]`, flipped, read from the full `[KH, KW, Ci, Co]` filter. */
function subFilter(filter: Float32Array, g: ConvGeometry, ph: PhaseAxis, pw: PhaseAxis, target: Float32Array, tapsH: number, tapsW: number, shiftH: number, shiftW: number, channelStride: number, channelOffset: number): void {
  const { kw, inChannels: ci, outChannels: co, sh, sw } = g;
  for (let a = 0; a < ph.taps; a++) {
    const khIndex = ph.first + sh * (ph.taps - 1 - a);
    for (let b = 0; b < pw.taps; b++) {
      const kwIndex = pw.first + sw * (pw.taps - 1 - b);
      for (let c = 0; c < co; c++) {
        const dst = (((a + shiftH) * tapsW + (b + shiftW)) * co + c) * channelStride + channelOffset;
        const src = (khIndex * kw + kwIndex) * ci * co + c;
        for (let i = 0; i < ci; i++) target[dst + i] = filter[src + i * co];
      }
    }
  }
  void tapsH;
}

function croppedDy(backend: WasmBackend, dy: TensorInfo, cropH: number, cropW: number): TensorInfo {
  if (cropH === 0 && cropW === 0) return dy;
  const [b, h, w, c] = dy.shape;
  return runWasmKernel(backend, 'Slice', { x: dy }, { begin: [0, cropH, cropW, 0], size: [b, h - cropH, w - cropW, c] });
}

/** Copies phase results (rows/cols < length, channels at `channelOffset` of `channelStride`) into dx. */
function interleave(heap: Float32Array, g: ConvGeometry, dxStart: number, srcStart: number, srcShape: number[], py: number, px: number, ph: PhaseAxis, pw: PhaseAxis, channelStride: number, channelOffset: number): void {
  const ci = g.inChannels;
  const [, srcH, srcW] = srcShape;
  for (let b = 0; b < g.batch; b++) {
    for (let y = 0; y < ph.length; y++) {
      const rowSrc = srcStart + ((b * srcH + y) * srcW) * channelStride + channelOffset;
      const rowDst = dxStart + ((b * g.height + y * g.sh + py) * g.width + px) * ci;
      for (let x = 0; x < pw.length; x++) {
        const s = rowSrc + x * channelStride;
        const d = rowDst + x * g.sw * ci;
        if (ci >= 8) heap.copyWithin(d, s, s + ci);
        else for (let i = 0; i < ci; i++) heap[d + i] = heap[s + i];
      }
    }
  }
}

/** Below this many input channels the phases share one convolution. */
const STACK_PHASES_BELOW_CHANNELS = 16;

/** The forward convolution's geometry, from the kernel's attributes. */
function geometryOf(filter: TensorInfo, attrs: unknown): ConvGeometry {
  const parsed = attrs as ConvAttrs & { inputShape: number[] };
  return gradientGeometry('Conv2DBackpropInput', parsed.inputShape, filter.shape, parsed);
}

/**
 * dx by sub-pixel phases, each a stride-1 convolution, for backends whose heap mmfuse's GEMM
 * module cannot share (the kernel below uses the module's direct input gradient otherwise).
 */
export function phasesInputGradient(backend: WasmBackend, dy: TensorInfo, filter: TensorInfo, attrs: unknown): TensorInfo {
  const g = geometryOf(filter, attrs);
  const filterValues = backend.typedArrayFromHeap(filter).slice();
  const rows = Array.from({ length: g.sh }, (_, p) => phaseAxis(p, g.height, g.kh, g.sh, g.top));
  const cols = Array.from({ length: g.sw }, (_, p) => phaseAxis(p, g.width, g.kw, g.sw, g.left));
  const live = rows.flatMap((ph, py) => cols.map((pw, px) => ({ py, px, ph, pw }))).filter((p) => p.ph.taps > 0 && p.pw.taps > 0 && p.ph.length > 0 && p.pw.length > 0);
  const dx = backend.makeOutput([g.batch, g.height, g.width, g.inChannels], 'float32');
  if (live.length < g.sh * g.sw) backend.typedArrayFromHeap(dx).fill(0);

  const results: Array<{ out: TensorInfo; phases: typeof live; channelStride: number }> = [];
  if (g.inChannels < STACK_PHASES_BELOW_CHANNELS && live.length > 1) {
    // One convolution: every phase's sub-filter placed at its own offset in a common window.
    const minH = Math.min(...live.map((p) => p.ph.offset));
    const minW = Math.min(...live.map((p) => p.pw.offset));
    const tapsH = Math.max(...live.map((p) => p.ph.offset - minH + p.ph.taps));
    const tapsW = Math.max(...live.map((p) => p.pw.offset - minW + p.pw.taps));
    const channels = live.length * g.inChannels;
    const stacked = new Float32Array(tapsH * tapsW * g.outChannels * channels);
    live.forEach((p, k) => subFilter(filterValues, g, p.ph, p.pw, stacked, tapsH, tapsW, p.ph.offset - minH, p.pw.offset - minW, channels, k * g.inChannels));
    const wh = convWindow(minH, tapsH, Math.max(...live.map((p) => p.ph.length)), g.outHeight);
    const ww = convWindow(minW, tapsW, Math.max(...live.map((p) => p.pw.length)), g.outWidth);
    const source = croppedDy(backend, dy, wh.crop, ww.crop);
    const f = wasmTensor(backend, [tapsH, tapsW, g.outChannels, channels], stacked);
    const out = stride1Conv(backend, source, f, [wh.before, wh.after, ww.before, ww.after]);
    backend.disposeData(f.dataId);
    if (source !== dy) backend.disposeData(source.dataId);
    results.push({ out, phases: live, channelStride: channels });
  } else {
    for (const p of live) {
      const values = new Float32Array(p.ph.taps * p.pw.taps * g.outChannels * g.inChannels);
      subFilter(filterValues, g, p.ph, p.pw, values, p.ph.taps, p.pw.taps, 0, 0, g.inChannels, 0);
      const wh = convWindow(p.ph.offset, p.ph.taps, p.ph.length, g.outHeight);
      const ww = convWindow(p.pw.offset, p.pw.taps, p.pw.length, g.outWidth);
      const source = croppedDy(backend, dy, wh.crop, ww.crop);
      const f = wasmTensor(backend, [p.ph.taps, p.pw.taps, g.outChannels, g.inChannels], values);
      const out = stride1Conv(backend, source, f, [wh.before, wh.after, ww.before, ww.after]);
      backend.disposeData(f.dataId);
      if (source !== dy) backend.disposeData(source.dataId);
      // Stride 1 with an exact fit: the convolution already is dx.
      if (live.length === 1 && out.shape[1] === g.height && out.shape[2] === g.width) {
        backend.disposeData(dx.dataId);
        return out;
      }
      results.push({ out, phases: [p], channelStride: g.inChannels });
    }
  }
  const heap = heapF32(backend);
  const dxStart = heapIndex(backend, dx);
  for (const { out, phases, channelStride } of results) {
    const start = heapIndex(backend, out);
    phases.forEach((p) => {
      const k = results.length === 1 && phases.length > 1 ? live.indexOf(p) : 0;
      interleave(heap, g, dxStart, start, out.shape, p.py, p.px, p.ph, p.pw, channelStride, k * g.inChannels);
    });
    backend.disposeData(out.dataId);
  }
  return dx;
}

/**
 * Conv2DBackpropInput on wasm: dy times the filter's transpose, added window by window into dx,
 * by mmfuse's GEMM module (wasm-conv-gemm.ts); by sub-pixel phases where it cannot run.
 */
const conv2DBackpropInput: KernelFunc = ({ inputs, backend: untyped, attrs }) => {
  const backend = untyped as unknown as WasmBackend;
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const kernels = convGemm(backend);
  if (!kernels) return phasesInputGradient(backend, dy, filter, attrs);
  return gemmConv2dInputGrad(backend, kernels, dy, filter, geometryOf(filter, attrs));
};

export const wasmConv2DBackpropInputConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropInput',
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInput,
};
