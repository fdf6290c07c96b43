import { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmBackend } from './wasm-backend-access';

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

/**
 * Matrix products with a transposed operand (every matmul of a backward pass: dx = dy·Wᵀ,
 * dW = xᵀ·dy): the stock wasm kernel runs these about ten times slower than plain products, so
 * the operand is transposed explicitly first (a cheap copy) and the fast plain product is used.
 */
export function batchMatMulConfig(stock: KernelConfig | undefined): KernelConfig {
  const stockMatMul = stock?.kernelFunc;
  if (!stockMatMul) throw new Error('the wasm backend has no BatchMatMul kernel');
  const matMul: KernelFunc = (args) => {
    const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
    const { a: inA, b: inB } = args.inputs as { a: TensorInfo; b: TensorInfo };
    if ((!transposeA && !transposeB) || inA.dtype !== 'float32' || inB.dtype !== 'float32') return stockMatMul(args);
    const backend = args.backend as unknown as WasmBackend;
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
