import * as tf from '@tensorflow/tfjs-core';
import { createHash } from 'crypto';
import { readFileSync } from 'fs';
import { join } from 'path';
import { initBackend } from '../select-backend';
import { CONV_GEMM_RELAXED_SIMD_BASE64, CONV_GEMM_SIMD128_BASE64, CONV_GEMM_SOURCE_SHA256 } from './conv-gemm-binary';
import { CONV_CASES, filled, maxRelativeError, Pad } from './conformance-cases';
import { heapF32, WasmBackend } from './wasm-backend-access';
import { forwardGeometry, gemmSuitsOutChannels } from './wasm-conv2d';
import { convGemm, ConvGemmVariant, convGemmVariant, gemmConv2d, gemmConv2dFilterGrad, gemmConv2dInputGrad } from './wasm-conv-gemm';

type Shape4 = [number, number, number, number];

/** The parts of the WebAssembly JS API used here (the package compiles without the DOM library). */
interface WebAssemblyApi {
  Module: {
    new (bytes: Uint8Array): object;
    imports(module: object): Array<{ module: string; name: string; kind: string }>;
    exports(module: object): Array<{ name: string; kind: string }>;
  };
}
const webAssembly = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

const VARIANTS: ConvGemmVariant[] = ['simd128', 'relaxed-simd'];

/** Dilated cases (the filter gradient's old formulation used them; models may too) and wide outputs with ragged edges. */
const EXTRA_CASES: Array<[Shape4, Shape4, [number, number], Pad, [number, number]]> = [
  [[2, 12, 11, 5], [3, 3, 5, 9], [1, 1], 'same', [2, 2]],
  [[1, 15, 13, 8], [3, 2, 8, 17], [1, 1], 'valid', [1, 3]],
  [[3, 9, 9, 12], [5, 5, 12, 33], [2, 2], [[0, 0], [2, 2], [2, 2], [0, 0]], [1, 1]],
];

const ALL_CASES: Array<[Shape4, Shape4, [number, number], Pad, [number, number]]> = [...CONV_CASES.map(([x, f, s, p]) => [x, f, s, p, [1, 1]] as [Shape4, Shape4, [number, number], Pad, [number, number]]), ...EXTRA_CASES];

async function cpuConv(xShape: Shape4, filterShape: Shape4, strides: [number, number], pad: Pad, dilations: [number, number]): Promise<{ y: Float32Array; dw: Float32Array; dx: Float32Array; dyShape: number[] }> {
  await initBackend('cpu');
  const x = filled(xShape, 0.4);
  const f = filled(filterShape, 1.3);
  const y = tf.conv2d(x, f, strides, pad, 'NHWC', dilations);
  const dy = filled(y.shape, 2.2);
  const undilated = dilations[0] === 1 && dilations[1] === 1;
  const dw = undilated ? tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides, pad, dataFormat: 'NHWC', filterShape } as never) as tf.Tensor : tf.zeros([1]);
  const dx = undilated ? tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: f }, { strides, pad, dataFormat: 'NHWC', inputShape: xShape } as never) as tf.Tensor : tf.zeros([1]);
  const result = { y: y.dataSync() as Float32Array, dw: dw.dataSync() as Float32Array, dx: dx.dataSync() as Float32Array, dyShape: y.shape };
  tf.dispose([x, f, y, dy, dw, dx]);
  return result;
}

describe('mmfuse convolution GEMM module (wasm/conv-gemm.c)', () => {
  it('is built from the C source in the repository', () => {
    const source = readFileSync(join(__dirname, '..', '..', 'wasm', 'conv-gemm.c'));
    expect(createHash('sha256').update(source).digest('hex')).toBe(CONV_GEMM_SOURCE_SHA256);
  });

  it.each([['simd128', CONV_GEMM_SIMD128_BASE64], ['relaxed-simd', CONV_GEMM_RELAXED_SIMD_BASE64]])('the %s build imports only memory and keeps no static data', async (variant) => {
    await initBackend('wasm');
    convGemmVariant(); // switches relaxed SIMD on where the runtime needs a flag for it
    const bytes = Buffer.from(variant === 'simd128' ? CONV_GEMM_SIMD128_BASE64 : CONV_GEMM_RELAXED_SIMD_BASE64, 'base64');
    const module = new webAssembly.Module(bytes);
    expect(webAssembly.Module.imports(module)).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
    expect(webAssembly.Module.exports(module).filter((e) => e.kind === 'function').map((e) => e.name).sort()).toEqual(['adam_step', 'add_bias', 'conv2d', 'conv2d_filter_grad', 'conv2d_input_grad', 'crop_nhwc', 'pack_b', 'pack_bt', 'pad_nhwc', 'simd_peak', 'sum_rows', 'tile_loop']);
    // Section 11 holds data segments; walk the section headers.
    const ids: number[] = [];
    for (let at = 8; at < bytes.length; ) {
      ids.push(bytes[at++]);
      let size = 0;
      for (let shift = 0; ; shift += 7) {
        const byte = bytes[at++];
        size |= (byte & 0x7f) << shift;
        if ((byte & 0x80) === 0) break;
      }
      at += size;
    }
    expect(ids).toContain(10);
    expect(ids).not.toContain(11);
  });

  it.each(VARIANTS)('%s: its peak loop computes c ← c + x·c, i.e. s·(1 + s)ⁿ per accumulator', async (variant) => {
    await initBackend('wasm');
    const kernels = convGemm(tf.backend() as unknown as WasmBackend, variant);
    const s = 1e-3;
    const n = 1000;
    // Six accumulators start at s and grow by (1 + s), six at s/2 by (1 + s/2); lanes 0 and 3 summed.
    const expected = 2 * (6 * s * (1 + s) ** n + 6 * (s / 2) * (1 + s / 2) ** n);
    expect(Math.abs((kernels?.simd_peak(n, s) ?? NaN) - expected) / expected).toBeLessThan(1e-4);
  });

  it.each(VARIANTS)('%s: its tile loop computes c = aᵀb for a [K][4] and b [K][8]', async (variant) => {
    await initBackend('wasm');
    const backend = tf.backend() as unknown as WasmBackend;
    const kernels = convGemm(backend, variant);
    const k = 37;
    const a = Float32Array.from({ length: k * 4 }, (_, i) => Math.sin(i * 0.7));
    const b = Float32Array.from({ length: k * 8 }, (_, i) => Math.cos(i * 0.3));
    const heap = backend.wasm as unknown as { _malloc(n: number): number; _free(p: number): void };
    const [pa, pb, pc] = [a.length, b.length, 32].map((n) => heap._malloc(n * 4) >>> 0);
    heapF32(backend).set(a, pa >>> 2);
    heapF32(backend).set(b, pb >>> 2);
    kernels?.tile_loop(pa, pb, pc, k, 3);
    const c = heapF32(backend).slice(pc >>> 2, (pc >>> 2) + 32);
    [pa, pb, pc].forEach((p) => heap._free(p));
    for (let r = 0; r < 4; r++)
      for (let j = 0; j < 8; j++) {
        let sum = 0;
        for (let i = 0; i < k; i++) sum += a[i * 4 + r] * b[i * 8 + j];
        expect(Math.abs(c[r * 8 + j] - sum)).toBeLessThan(1e-5 * (1 + Math.abs(sum)));
      }
  });

  it('runs the relaxed SIMD build on this Node', async () => {
    await initBackend('wasm');
    expect(convGemmVariant()).toBe('relaxed-simd');
  });

  describe.each(VARIANTS)('%s', (variant) => {
    it.each(ALL_CASES)('convolves like the cpu backend, and its filter and input gradients too: x %j, filter %j, strides %j, pad %j, dilations %j', async (xShape, filterShape, strides, pad, dilations) => {
      const expected = await cpuConv(xShape, filterShape, strides, pad, dilations);
      await initBackend('wasm');
      const backend = tf.backend() as unknown as WasmBackend;
      const kernels = convGemm(backend, variant);
      if (!kernels) throw new Error('the GEMM module cannot share this backend\'s heap');
      const x = filled(xShape, 0.4);
      const f = filled(filterShape, 1.3);
      const dy = filled(expected.dyShape, 2.2);
      // A tensor allocated around the calls must come out untouched.
      const sentinel = filled([3, 5, 7, 2], 0.9);
      const sentinelBefore = sentinel.dataSync().slice();
      const g = forwardGeometry(x.shape, f.shape, { strides, pad, dilations });
      const y = gemmConv2d(backend, kernels, x, f, g);
      expect(y.shape).toEqual(expected.dyShape);
      expect(maxRelativeError(backend.typedArrayFromHeap(y), expected.y)).toBeLessThan(1e-4);
      backend.disposeData(y.dataId);
      if (dilations[0] === 1 && dilations[1] === 1) {
        const dw = gemmConv2dFilterGrad(backend, kernels, x, dy, g);
        expect(dw.shape).toEqual(filterShape);
        expect(maxRelativeError(backend.typedArrayFromHeap(dw), expected.dw)).toBeLessThan(1e-4);
        backend.disposeData(dw.dataId);
        const dx = gemmConv2dInputGrad(backend, kernels, dy, f, g);
        expect(dx.shape).toEqual(xShape);
        expect(maxRelativeError(backend.typedArrayFromHeap(dx), expected.dx)).toBeLessThan(1e-4);
        backend.disposeData(dx.dataId);
      }
      expect(sentinel.dataSync()).toEqual(sentinelBefore);
      tf.dispose([x, f, dy, sentinel]);
    });
  });

  it('takes convolutions whose output channels fill 8-wide panels to within a fifth', () => {
    expect([1, 3, 4, 9, 12, 33].filter(gemmSuitsOutChannels)).toEqual([]);
    expect([7, 8, 15, 16, 20, 24, 32, 40, 64].every(gemmSuitsOutChannels)).toBe(true);
  });

  it('is what tf.conv2d on wasm runs where it suits, and matches the cpu backend either way', async () => {
    for (const [xShape, filterShape, strides, pad, dilations] of ALL_CASES) {
      const expected = await cpuConv(xShape, filterShape, strides, pad, dilations);
      await initBackend('wasm');
      const x = filled(xShape, 0.4);
      const f = filled(filterShape, 1.3);
      const y = tf.conv2d(x, f, strides, pad, 'NHWC', dilations);
      expect(maxRelativeError(y.dataSync(), expected.y)).toBeLessThan(1e-4);
      tf.dispose([x, f, y]);
    }
  });
});
