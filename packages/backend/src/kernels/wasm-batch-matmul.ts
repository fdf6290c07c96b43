import { broadcast_util, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { heapAddress as address, WasmBackend } from './wasm-backend-access';
import { ConvGemmExports, convGemm, FILTER_GRADIENT_CHUNK, MR, NR, withScratch } from './wasm-conv-gemm';

/** Swaps the last two axes in blocks of 32 × 32 (the stock wasm Transpose is slow on matrices). */
function transposeLastTwo(backend: WasmBackend, x: TensorInfo): TensorInfo {
  const rank = x.shape.length;
  const rows = x.shape[rank - 2];
  const cols = x.shape[rank - 1];
  const batches = x.shape.slice(0, rank - 2).reduce((p, d) => p * d, 1);
  const out = backend.makeOutput([...x.shape.slice(0, rank - 2), cols, rows], 'float32');
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const block = 32;
  for (let b = 0; b < batches; b++) {
    const base = b * rows * cols;
    for (let i0 = 0; i0 < rows; i0 += block) {
      const i1 = Math.min(rows, i0 + block);
      for (let j0 = 0; j0 < cols; j0 += block) {
        const j1 = Math.min(cols, j0 + block);
        for (let i = i0; i < i1; i++) for (let j = j0; j < j1; j++) dst[base + j * rows + i] = src[base + i * cols + j];
      }
    }
  }
  return out;
}

/** Shapes of a batched matrix product as tfjs's BatchMatMul defines it (rank ≥ 2, outer dims broadcast). */
interface MatMulShape {
  m: number;
  k: number;
  n: number;
  batchA: number;
  batchB: number;
  outShape: number[];
}

function matMulShape(a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): MatMulShape | undefined {
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra < 2 || rb < 2) return undefined;
  const [m, k] = transposeA ? [a.shape[ra - 1], a.shape[ra - 2]] : [a.shape[ra - 2], a.shape[ra - 1]];
  const [kb, n] = transposeB ? [b.shape[rb - 1], b.shape[rb - 2]] : [b.shape[rb - 2], b.shape[rb - 1]];
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = outerA.reduce((p, d) => p * d, 1);
  const batchB = outerB.reduce((p, d) => p * d, 1);
  // One operand's batch broadcast over the other's, or both the same; the rest is the stock kernel's.
  let outer: number[];
  try {
    outer = broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  } catch {
    return undefined;
  }
  if (k !== kb || outer.reduce((p, d) => p * d, 1) !== Math.max(batchA, batchB) || m * n * k === 0) return undefined;
  return { m, k, n, batchA, batchB, outShape: [...outer, m, n] };
}

/**
 * C = op(A)·op(B) for float32 operands through the convolution GEMM, or undefined for a case it
 * does not take (both operands transposed, a zero-sized dimension, outer dims that broadcast other
 * than one against many). In training every weight matrix is new each step, and XNNPACK's
 * fully-connected operator then repacks it on every call: tiny-64's 16 × 576 × 288 product took
 * 0.62 ms that way against 0.15 ms with its weights cached; this path packs as part of the product.
 * A·B is a 1 × 1 convolution (rows of A as pixels, B as the filter), A·Bᵀ the same with B packed
 * transposed, and Aᵀ·B the filter gradient of a 1 × 1 convolution (A's rows as pixels).
 */
export function gemmBatchMatMul(backend: WasmBackend, kernels: ConvGemmExports, a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): TensorInfo | undefined {
  const shape = matMulShape(a, b, transposeA, transposeB);
  if (!shape || (transposeA && transposeB)) return undefined;
  const { m, k, n, batchA, batchB } = shape;
  const batch = Math.max(batchA, batchB);
  const out = backend.makeOutput(shape.outShape, 'float32');
  const panels = Math.ceil(n / NR);
  if (transposeA) {
    // C[i][j] = Σ_r A[r][i] B[r][j]: the reduction runs over A's rows, in chunks as in a filter gradient.
    const chunk = Math.min(FILTER_GRADIENT_CHUNK, k);
    withScratch(backend, [chunk * MR * 4, panels * chunk * NR * 4, chunk * 4, m * 4, MR * NR * 4], ([apanel, bpanel, bases, koff, tile]) => {
      for (let i = 0; i < batch; i++) {
        const aAt = address(backend, a) + (batchA === 1 ? 0 : i * k * m * 4);
        const bAt = address(backend, b) + (batchB === 1 ? 0 : i * k * n * 4);
        kernels.conv2d_filter_grad(aAt, bAt, address(backend, out) + i * m * n * 4, apanel, bpanel, bases, koff, tile, 1, 1, k, m, 1, k, n, 1, 1, 1, 1, 1, 1, chunk, 0);
      }
    });
    return out;
  }
  // With one B for every A, the A matrices are one tall matrix: B is packed once.
  const rows = batchB === 1 ? batchA * m : m;
  const calls = batchB === 1 ? 1 : batch;
  withScratch(backend, [panels * k * NR * 4, k * MR * 4, MR * NR * 4], ([bp, apanel, tile]) => {
    for (let i = 0; i < calls; i++) {
      const bAt = address(backend, b) + i * k * n * 4;
      if (transposeB) kernels.pack_bt(bAt, bp, n, k);
      else kernels.pack_b(bAt, bp, k, n);
      const aAt = address(backend, a) + (batchA === 1 ? 0 : i * m * k * 4);
      kernels.conv2d(aAt, bp, address(backend, out) + i * rows * n * 4, apanel, tile, 1, 1, rows, k, 1, rows, n, 1, 1, 1, 1, 1, 1);
    }
  });
  return out;
}

/**
 * Float32 matrix products through mmfuse's GEMM module where it can share the backend's heap
 * (gemmBatchMatMul: it packs the weights as part of each product, where XNNPACK's cached operator
 * repacks a weight matrix that changes every step); with both operands transposed, A is
 * transposed first. Elsewhere (a threaded heap) the stock kernel, which runs products with a
 * transposed operand about ten times slower than plain ones, gets the operand transposed
 * explicitly first (a cheap copy).
 */
export function batchMatMulConfig(stock: KernelConfig | undefined): KernelConfig {
  const stockMatMul = stock?.kernelFunc;
  if (!stockMatMul) throw new Error('the wasm backend has no BatchMatMul kernel');
  const matMul: KernelFunc = (args) => {
    const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
    const { a: inA, b: inB } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const backend = args.backend as unknown as WasmBackend;
    const kernels = inA.dtype === 'float32' && inB.dtype === 'float32' ? convGemm(backend) : undefined;
    if (kernels) {
      const aT = transposeA && transposeB ? transposeLastTwo(backend, inA) : undefined;
      const out = gemmBatchMatMul(backend, kernels, aT ?? inA, inB, transposeA && !aT, transposeB);
      if (aT) backend.disposeData(aT.dataId);
      if (out) return out;
    }
    if ((!transposeA && !transposeB) || inA.dtype !== 'float32' || inB.dtype !== 'float32') return stockMatMul(args);
    const { a, b } = { a: inA, b: inB };
    const flip = (x: TensorInfo) => transposeLastTwo(backend, x);
    const [m, k] = inA.shape.slice(-2);
    const n = inB.shape[inB.shape.length - 2];
    if (transposeB && !transposeA && m * k + m * n < n * k) {
      // A·Bᵀ = (B·Aᵀ)ᵀ: with a small batch (dx = dy·Wᵀ) this moves far fewer values than Bᵀ.
      const aT = flip(inA);
      const product = stockMatMul({ ...args, inputs: { a: inB, b: aT }, attrs: { ...args.attrs, transposeA: false, transposeB: false } as never }) as TensorInfo;
      backend.disposeData(aT.dataId);
      const result = flip(product);
      backend.disposeData(product.dataId);
      return result;
    }
    const left = transposeA ? flip(a) : a;
    const right = transposeB ? flip(b) : b;
    const out = stockMatMul({ ...args, inputs: { a: left, b: right }, attrs: { ...args.attrs, transposeA: false, transposeB: false } as never }) as TensorInfo;
    if (left !== a) backend.disposeData(left.dataId);
    if (right !== b) backend.disposeData(right.dataId);
    return out;
  };
  return { kernelName: 'BatchMatMul', backendName: 'wasm', kernelFunc: matMul, setupFunc: stock?.setupFunc };
}
