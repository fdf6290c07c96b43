import { TensorInfo } from '@tensorflow/tfjs-core';
import { setFlagsFromString } from 'v8';
import { CONV_GEMM_RELAXED_SIMD_BASE64, CONV_GEMM_SIMD128_BASE64 } from './conv-gemm-binary';
import { ConvHelper, convHelper, HelperCall, MAX_SAMPLES, minSplitMultiplyAdds } from './conv-helper';
import { heapAddress as address, heapF32, WasmBackend } from './wasm-backend-access';

/**
 * mmfuse's convolution kernels (wasm/conv-gemm.c): an implicit-im2col GEMM on a 4×8 WebAssembly
 * SIMD tile, with both operands packed so that every load in the inner loop is at a fixed offset,
 * and fused multiply-adds where the runtime has relaxed SIMD. The module imports the backend's own
 * memory, so it reads and writes tensors where they are, with scratch from tfjs's allocator.
 */
export interface ConvGemmExports {
  pack_b(w: number, bp: number, k: number, n: number): void;
  pad_nhwc(x: number, xp: number, batch: number, h: number, w: number, c: number, top: number, bottom: number, left: number, right: number): void;
  conv2d(xp: number, bp: number, y: number, apanel: number, scratch: number, batch: number, hp: number, wp: number, ci: number, oh: number, ow: number, co: number, kh: number, kw: number, sh: number, sw: number, dh: number, dw: number): void;
  simd_peak(rounds: number, seed: number): number;
  tile_loop(a: number, b: number, c: number, k: number, reps: number): void;
  adam_step(x: number, g: number, m: number, v: number, xo: number, mo: number, vo: number, n: number, beta1: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number, oneMinusBeta1Power: number, oneMinusBeta2Power: number, epsilon: number, negativeLearningRate: number): void;
  pack_bt(w: number, bt: number, k: number, n: number): void;
  crop_nhwc(xp: number, x: number, batch: number, h: number, w: number, c: number, hp: number, wp: number, top: number, left: number): void;
  conv2d_input_grad(dy: number, bt: number, dxp: number, apanel: number, koff: number, scratch: number, batch: number, oh: number, ow: number, co: number, hp: number, wp: number, ci: number, kh: number, kw: number, sh: number, sw: number): void;
  conv2d_filter_grad(xp: number, dy: number, dw: number, apanel: number, bpanel: number, bases: number, koff: number, scratch: number, batch: number, hp: number, wp: number, ci: number, oh: number, ow: number, co: number, kh: number, kw: number, sh: number, sw: number, dh: number, dwl: number, mc: number, accumulate: number): void;
  add_bias(x: number, pattern: number, y: number, rows: number, cols: number): void;
  sum_rows(x: number, acc: number, out: number, rows: number, cols: number): void;
}

/** Sizes, strides, dilations and pads of one NHWC convolution (pads as the forward pass reads them). */
export interface ConvGeometry {
  batch: number;
  height: number;
  width: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  top: number;
  left: number;
}

/** The allocator and memory of tfjs's Emscripten module (not in its public typings). */
interface EmscriptenHeap {
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  asm?: { memory?: unknown };
}

/** The GEMM tile: 4 rows (MR) by 8 columns (NR). */
export const MR = 4;
export const NR = 8;
/** Output pixels per chunk of the filter gradient's reduction: its packed dy (co × 2 KB) stays in L2. */
export const FILTER_GRADIENT_CHUNK = 512;

/** The WebAssembly JS API (this package compiles without the DOM library that types it). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  Memory: new (descriptor: never) => { buffer: ArrayBufferLike };
}
const webAssembly = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

/** Which build of the module runs: with relaxed SIMD's fused multiply-add, or plain SIMD128. */
export type ConvGemmVariant = 'relaxed-simd' | 'simd128';

const compiled = new Map<ConvGemmVariant, object>();
const instances = new Map<ConvGemmVariant, WeakMap<object, ConvGemmExports>>();
let preferred: ConvGemmVariant | undefined;

function compile(variant: ConvGemmVariant): object {
  let module = compiled.get(variant);
  if (!module) {
    module = new webAssembly.Module(Buffer.from(variant === 'relaxed-simd' ? CONV_GEMM_RELAXED_SIMD_BASE64 : CONV_GEMM_SIMD128_BASE64, 'base64'));
    compiled.set(variant, module);
  }
  return module;
}

/**
 * The build this process uses: relaxed SIMD where the runtime validates it, after switching on
 * V8's `--experimental-wasm-relaxed-simd` where the feature ships behind that flag (Node 20; on
 * by default from Node 22), else SIMD128. Relaxed multiply-add is fused on CPUs with FMA and
 * unfused elsewhere, so results may differ between machines in the last bits only.
 */
export function convGemmVariant(): ConvGemmVariant {
  if (preferred) return preferred;
  const tryRelaxed = (): boolean => {
    try {
      compile('relaxed-simd');
      return true;
    } catch {
      return false;
    }
  };
  if (!tryRelaxed()) setFlagsFromString('--experimental-wasm-relaxed-simd');
  preferred = tryRelaxed() ? 'relaxed-simd' : 'simd128';
  return preferred;
}

/**
 * The kernels bound to this backend's heap (in the given build, by default the process's), or
 * undefined where they cannot run on it (a threaded build's shared memory, or an Emscripten
 * module without the fields used here).
 */
export function convGemm(backend: WasmBackend, variant: ConvGemmVariant = convGemmVariant()): ConvGemmExports | undefined {
  const heap = backend.wasm as unknown as EmscriptenHeap;
  const memory = heap.asm?.memory;
  if (!(memory instanceof webAssembly.Memory) || typeof heap._malloc !== 'function') return undefined;
  if (typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer) return undefined;
  let byMemory = instances.get(variant);
  if (!byMemory) instances.set(variant, (byMemory = new WeakMap()));
  let exports = byMemory.get(memory);
  if (!exports) {
    exports = new webAssembly.Instance(compile(variant), { env: { memory } }).exports as unknown as ConvGemmExports;
    byMemory.set(memory, exports);
    variants.set(exports, variant);
  }
  return exports;
}

/** The build of each instance's kernels, so that a helper thread runs the same one. */
const variants = new WeakMap<ConvGemmExports, ConvGemmVariant>();

/** What computes convolutions on this backend, in words (for `mmfuse doctor` and run.json). */
export function convolutionPath(backend: WasmBackend): string {
  if (!convGemm(backend)) return "XNNPACK (mmfuse's GEMM module cannot share this backend's heap)";
  return convGemmVariant() === 'relaxed-simd' ? "mmfuse's GEMM, relaxed SIMD (fused multiply-add)" : "mmfuse's GEMM, SIMD128";
}

/** Runs `body` with scratch blocks of the given byte sizes from tfjs's allocator, freed afterwards. */
export function withScratch<T>(backend: WasmBackend, bytes: number[], body: (pointers: number[]) => T): T {
  const heap = backend.wasm as unknown as EmscriptenHeap;
  const pointers: number[] = [];
  try {
    for (const size of bytes) {
      // malloc's i32 result is negative past 2 GiB; addresses are unsigned.
      const pointer = heap._malloc(Math.max(16, size)) >>> 0;
      if (pointer === 0) throw new Error(`wasm heap: cannot allocate ${size} bytes of convolution scratch`);
      pointers.push(pointer);
    }
    return body(pointers);
  } finally {
    for (const pointer of pointers) heap._free(pointer);
  }
}

/** Padded height and width so that every window of the output fits, and the far-side pads. */
function paddedSize(g: ConvGeometry): { hp: number; wp: number; bottom: number; right: number } {
  const hp = Math.max(g.height + g.top, (g.outHeight - 1) * g.sh + (g.kh - 1) * g.dh + 1);
  const wp = Math.max(g.width + g.left, (g.outWidth - 1) * g.sw + (g.kw - 1) * g.dw + 1);
  return { hp, wp, bottom: hp - g.height - g.top, right: wp - g.width - g.left };
}

/** True when every window of the output lies inside x (no zero border needed). */
function unpadded(g: ConvGeometry): boolean {
  const { bottom, right } = paddedSize(g);
  return g.top === 0 && g.left === 0 && bottom === 0 && right === 0;
}

/**
 * The first `samples` of x with zero borders in scratch (or x itself when no border is needed),
 * then `body`.
 */
function withPaddedInput<T>(backend: WasmBackend, kernels: ConvGemmExports, x: TensorInfo, g: ConvGeometry, samples: number, extra: number[], body: (xp: number, pointers: number[]) => T): T {
  const { hp, wp, bottom, right } = paddedSize(g);
  const paddedBytes = unpadded(g) ? 0 : samples * hp * wp * g.inChannels * 4;
  return withScratch(backend, [paddedBytes, ...extra], ([padded, ...pointers]) => {
    if (unpadded(g)) return body(address(backend, x), pointers);
    kernels.pad_nhwc(address(backend, x), padded, samples, g.height, g.width, g.inChannels, g.top, bottom, g.left, right);
    return body(padded, pointers);
  });
}

/** Where the helper thread takes the last `samples` of a batch: its heap's regions, in floats. */
interface HelperPart {
  helper: ConvHelper;
  samples: number;
  /** Start of each region in the helper's heap, in floats (64-byte aligned). */
  at: number[];
}

/**
 * The helper's part of a kernel over `g.batch` samples (the last half, rounded down), with its
 * heap grown to hold regions of the given sizes (floats, each a function of the part's samples),
 * or undefined when the kernel runs on the calling thread alone: too small, no helper, or the
 * helper still ending a sample the calling thread took over in the previous kernel.
 */
function helperPart(kernels: ConvGemmExports, g: ConvGeometry, multiplyAdds: number, regions: (samples: number) => number[]): HelperPart | undefined {
  if (g.batch < 2 || multiplyAdds < minSplitMultiplyAdds()) return undefined;
  const helper = convHelper(variants.get(kernels) ?? convGemmVariant());
  if (!helper || !helper.idle()) return undefined;
  const samples = Math.min(MAX_SAMPLES, Math.floor(g.batch / 2));
  const at: number[] = [];
  let end = 0;
  for (const size of regions(samples)) {
    at.push(end);
    end += Math.ceil(size / 16) * 16;
  }
  return helper.reserve(end * 4) ? { helper, samples, at } : undefined;
}

/** Copies `count` floats from float index `from` of tfjs's heap to float index `to` of the helper's. */
function toHelper(backend: WasmBackend, part: HelperPart, from: number, count: number, to: number): void {
  part.helper.floats().set(heapF32(backend).subarray(from, from + count), to);
}

/** Copies `count` floats from float index `from` of the helper's heap to float index `to` of tfjs's. */
function fromHelper(backend: WasmBackend, part: HelperPart, from: number, count: number, to: number): void {
  heapF32(backend).set(part.helper.floats().subarray(from, from + count), to);
}

/**
 * Runs the calling thread's samples with `computeOwn`, then shares out the helper's: see
 * ConvHelper.settle. The helper's sample s is the batch's sample `own + s`.
 */
function computeSplit(part: HelperPart, own: number, computeOwn: () => void, computeOne: (sample: number) => void): boolean[] {
  const started = performance.now();
  computeOwn();
  // About one sample's time: what waiting for the helper's sample in hand may cost before taking it over.
  const patience = 0.05 + (performance.now() - started) / own;
  return part.helper.settle((s) => computeOne(own + s), patience);
}

/** In floats: a helper region's start for sample s, as a per-sample argument in bytes. */
const perSample = (at: number, size: number): [number, number] => [at * 4, size * 4];

/**
 * The helper's per-sample calls that pad its sample of x (copied raw to `rawAt`) into `paddedAt`,
 * none where x needs no border, and where its padded sample then is (floats, as a per-sample argument).
 */
function helperInput(g: ConvGeometry, rawAt: number, paddedAt: number): [HelperCall[], [number, number]] {
  const rawSize = g.height * g.width * g.inChannels;
  if (unpadded(g)) return [[], perSample(rawAt, rawSize)];
  const { hp, wp, bottom, right } = paddedSize(g);
  const padded = hp * wp * g.inChannels;
  return [[['pad_nhwc', perSample(rawAt, rawSize), perSample(paddedAt, padded), 1, g.height, g.width, g.inChannels, g.top, bottom, g.left, right]], perSample(paddedAt, padded)];
}

/** Sample n of x as this thread reads it: padded into the one-sample block `block`, or in place where no border is needed. */
function oneSample(backend: WasmBackend, kernels: ConvGemmExports, x: TensorInfo, g: ConvGeometry, n: number, block: number): number {
  const sample = address(backend, x) + n * g.height * g.width * g.inChannels * 4;
  if (unpadded(g)) return sample;
  const { bottom, right } = paddedSize(g);
  kernels.pad_nhwc(sample, block, 1, g.height, g.width, g.inChannels, g.top, bottom, g.left, right);
  return block;
}

/** y = conv2d(x, filter) for a filter `[kh, kw, ci, co]`, as a new `[batch, oh, ow, co]` tensor. */
export function gemmConv2d(backend: WasmBackend, kernels: ConvGemmExports, x: TensorInfo, filter: TensorInfo, g: ConvGeometry): TensorInfo {
  const out = backend.makeOutput([g.batch, g.outHeight, g.outWidth, g.outChannels], 'float32');
  const k = g.kh * g.kw * g.inChannels;
  const panels = Math.ceil(g.outChannels / NR);
  const { hp, wp } = paddedSize(g);
  const rawSize = g.height * g.width * g.inChannels;
  const ySize = g.outHeight * g.outWidth * g.outChannels;
  const padded = unpadded(g) ? 0 : hp * wp * g.inChannels;
  const part = helperPart(kernels, g, g.batch * ySize * k, (n) => [n * rawSize, n * padded, panels * k * NR, n * ySize, k * MR, MR * NR]);
  const own = g.batch - (part?.samples ?? 0);
  const conv = (xp: number, bp: number, y: number, apanel: number, scratch: number, samples: number) =>
    kernels.conv2d(xp, bp, y, apanel, scratch, samples, hp, wp, g.inChannels, g.outHeight, g.outWidth, g.outChannels, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw);
  // Each thread pads its own samples: the helper's travel raw, and are padded over there; a sample
  // this thread takes back is padded into a one-sample block.
  withPaddedInput(backend, kernels, x, g, own, [panels * k * NR * 4, k * MR * 4, MR * NR * 4, part ? padded * 4 : 0], (xp, [bp, apanel, scratch, one]) => {
    kernels.pack_b(address(backend, filter), bp, k, g.outChannels);
    const y = address(backend, out);
    if (!part) return conv(xp, bp, y, apanel, scratch, own);
    const [raw, xps, bs, ys, as, ts] = part.at;
    toHelper(backend, part, (address(backend, x) >>> 2) + own * rawSize, part.samples * rawSize, raw);
    toHelper(backend, part, bp >>> 2, panels * k * NR, bs);
    const [pad, helperX] = helperInput(g, raw, xps);
    part.helper.begin({ once: [], samples: part.samples, perSample: [...pad, ['conv2d', helperX, bs * 4, perSample(ys, ySize), as * 4, ts * 4, 1, hp, wp, g.inChannels, g.outHeight, g.outWidth, g.outChannels, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw]] });
    const helpers = computeSplit(part, own, () => conv(xp, bp, y, apanel, scratch, own), (n) => {
      conv(oneSample(backend, kernels, x, g, n, one), bp, y + n * ySize * 4, apanel, scratch, 1);
    });
    helpers.forEach((done, s) => done && fromHelper(backend, part, ys + s * ySize, ySize, (y >>> 2) + (own + s) * ySize));
  });
  return out;
}

/** dW[kh, kw, ci, co] = Σ over output pixels of x's window · dy, as a new tensor. */
export function gemmConv2dFilterGrad(backend: WasmBackend, kernels: ConvGemmExports, x: TensorInfo, dy: TensorInfo, g: ConvGeometry): TensorInfo {
  const out = backend.makeOutput([g.kh, g.kw, g.inChannels, g.outChannels], 'float32');
  const k = g.kh * g.kw * g.inChannels;
  if (g.batch * g.outHeight * g.outWidth === 0) {
    backend.typedArrayFromHeap(out).fill(0);
    return out;
  }
  const pixels = g.outHeight * g.outWidth;
  const chunk = Math.min(FILTER_GRADIENT_CHUNK, g.batch * pixels);
  const one = Math.min(FILTER_GRADIENT_CHUNK, pixels);
  const panels = Math.ceil(g.outChannels / NR);
  const { hp, wp } = paddedSize(g);
  const rawSize = g.height * g.width * g.inChannels;
  const padded = unpadded(g) ? 0 : hp * wp * g.inChannels;
  const ySize = pixels * g.outChannels;
  const wSize = k * g.outChannels;
  const part = helperPart(kernels, g, g.batch * ySize * k, (n) => [n * rawSize, n * padded, n * ySize, wSize, wSize, one * MR, panels * one * NR, one, k, MR * NR]);
  const own = g.batch - (part?.samples ?? 0);
  const scratch = [chunk * MR * 4, panels * chunk * NR * 4, chunk * 4, k * 4, MR * NR * 4, part ? padded * 4 : 0];
  withPaddedInput(backend, kernels, x, g, own, scratch, (xp, [apanel, bpanel, bases, koff, tile, onePadded]) => {
    const dyAt = address(backend, dy);
    const grad = (xpAt: number, dyFrom: number, samples: number, mc: number, accumulate: number) =>
      kernels.conv2d_filter_grad(xpAt, dyFrom, address(backend, out), apanel, bpanel, bases, koff, tile, samples, hp, wp, g.inChannels, g.outHeight, g.outWidth, g.outChannels, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, mc, accumulate);
    if (!part) return grad(xp, dyAt, own, chunk, 0);
    // The helper's samples give a second partial sum of dW, each added to it once confirmed the
    // helper's (a sample this thread took over is not), then added to this thread's below.
    const [raw, xps, ds, ws, temp, as, bs, helperBases, ks, ts] = part.at;
    toHelper(backend, part, (address(backend, x) >>> 2) + own * rawSize, part.samples * rawSize, raw);
    toHelper(backend, part, (dyAt >>> 2) + own * ySize, part.samples * ySize, ds);
    const [pad, helperX] = helperInput(g, raw, xps);
    part.helper.begin({
      once: [['zero', ws * 4, wSize]],
      samples: part.samples,
      perSample: [...pad, ['conv2d_filter_grad', helperX, perSample(ds, ySize), temp * 4, as * 4, bs * 4, helperBases * 4, ks * 4, ts * 4, 1, hp, wp, g.inChannels, g.outHeight, g.outWidth, g.outChannels, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, one, 0]],
      afterSample: [['accumulate', ws * 4, temp * 4, wSize]],
    });
    const helpers = computeSplit(part, own, () => grad(xp, dyAt, own, chunk, 0), (n) => {
      grad(oneSample(backend, kernels, x, g, n, onePadded), dyAt + n * ySize * 4, 1, one, 1);
    });
    if (helpers.some((done) => done)) {
      const sum = backend.typedArrayFromHeap(out);
      const partial = part.helper.floats().subarray(ws, ws + wSize);
      for (let i = 0; i < sum.length; i++) sum[i] += partial[i];
    }
  });
  return out;
}

/**
 * dx of a convolution (the forward pass of a transposed one) for a filter `[kh, kw, ci, co]`: dy
 * times the filter's transpose, each tile added into a zeroed, padded dx, which is then cropped.
 */
export function gemmConv2dInputGrad(backend: WasmBackend, kernels: ConvGemmExports, dy: TensorInfo, filter: TensorInfo, g: ConvGeometry): TensorInfo {
  const out = backend.makeOutput([g.batch, g.height, g.width, g.inChannels], 'float32');
  const k = g.kh * g.kw * g.inChannels;
  const { hp, wp } = paddedSize(g);
  const direct = hp === g.height && wp === g.width;
  const paddedBytes = direct ? 0 : g.batch * hp * wp * g.inChannels * 4;
  const btSize = Math.ceil(k / NR) * g.outChannels * NR;
  const scratch = [paddedBytes, btSize * 4, g.outChannels * MR * 4, k * 4, (MR + 1) * NR * 4];
  const ySize = g.outHeight * g.outWidth * g.outChannels;
  const xpSize = hp * wp * g.inChannels;
  const xSize = g.height * g.width * g.inChannels;
  const part = helperPart(kernels, g, g.batch * ySize * k, (n) => [n * ySize, btSize, n * xpSize, g.outChannels * MR, k, (MR + 1) * NR, direct ? 0 : n * xSize]);
  const own = g.batch - (part?.samples ?? 0);
  withScratch(backend, scratch, ([padded, bt, apanel, koff, tile]) => {
    // dx padded for the whole batch (dx itself where no border is needed): a sample this thread
    // takes back from the helper goes to its place there.
    const dxp = direct ? address(backend, out) : padded;
    const dyAt = address(backend, dy);
    const compute = (first: number, samples: number) => {
      heapF32(backend).fill(0, (dxp >>> 2) + first * xpSize, (dxp >>> 2) + (first + samples) * xpSize);
      kernels.conv2d_input_grad(dyAt + first * ySize * 4, bt, dxp + first * xpSize * 4, apanel, koff, tile, samples, g.outHeight, g.outWidth, g.outChannels, hp, wp, g.inChannels, g.kh, g.kw, g.sh, g.sw);
      if (!direct) kernels.crop_nhwc(dxp + first * xpSize * 4, address(backend, out) + first * xSize * 4, samples, g.height, g.width, g.inChannels, hp, wp, g.top, g.left);
    };
    kernels.pack_bt(address(backend, filter), bt, k, g.outChannels);
    if (!part) return compute(0, own);
    const [ds, bs, xps, as, ks, ts, xs] = part.at;
    toHelper(backend, part, (dyAt >>> 2) + own * ySize, part.samples * ySize, ds);
    toHelper(backend, part, bt >>> 2, btSize, bs);
    part.helper.begin({
      once: [],
      samples: part.samples,
      perSample: [
        ['zero', perSample(xps, xpSize), xpSize],
        ['conv2d_input_grad', perSample(ds, ySize), bs * 4, perSample(xps, xpSize), as * 4, ks * 4, ts * 4, 1, g.outHeight, g.outWidth, g.outChannels, hp, wp, g.inChannels, g.kh, g.kw, g.sh, g.sw],
        ...(direct ? [] : [['crop_nhwc', perSample(xps, xpSize), perSample(xs, xSize), 1, g.height, g.width, g.inChannels, hp, wp, g.top, g.left] as HelperCall]),
      ],
    });
    const helpers = computeSplit(part, own, () => compute(0, own), (n) => compute(n, 1));
    const result = direct ? xps : xs;
    helpers.forEach((done, s) => done && fromHelper(backend, part, result + s * xSize, xSize, (address(backend, out) >>> 2) + (own + s) * xSize));
  });
  return out;
}

