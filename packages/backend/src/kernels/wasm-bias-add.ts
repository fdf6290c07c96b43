import { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { heapAddress as address, heapF32, WasmBackend } from './wasm-backend-access';
import { ConvGemmExports, convGemm, withScratch } from './wasm-conv-gemm';

/** Below this many elements the stock kernel is as fast; the module's call costs the same either way. */
const MIN_ELEMENTS = 1024;

/** Whether `bias` is a vector along x's last axis (shape [c], [1, c], …, no larger than x's rank). */
export function isBiasOf(x: TensorInfo, bias: TensorInfo): boolean {
  const rank = x.shape.length;
  const c = x.shape[rank - 1];
  const b = bias.shape;
  return rank >= 2 && b.length >= 1 && b.length <= rank && b[b.length - 1] === c && b.slice(0, -1).every((d) => d === 1);
}

/** x + bias for a bias of x's last dimension, as a new tensor of x's shape (`add_bias` in the module). */
export function gemmAddBias(backend: WasmBackend, kernels: ConvGemmExports, x: TensorInfo, bias: TensorInfo): TensorInfo {
  const out = backend.makeOutput([...x.shape], 'float32');
  const cols = x.shape[x.shape.length - 1];
  const rows = x.shape.slice(0, -1).reduce((p, d) => p * d, 1);
  withScratch(backend, [4 * cols * 4], ([pattern]) => {
    const heap = heapF32(backend);
    const b = heap.subarray(address(backend, bias) >>> 2, (address(backend, bias) >>> 2) + cols);
    for (let r = 0; r < 4; r++) heap.set(b, (pattern >>> 2) + r * cols);
    kernels.add_bias(address(backend, x), pattern, address(backend, out), rows, cols);
  });
  return out;
}

/**
 * Add on wasm with a layer's bias (x + b, b along x's last axis) through mmfuse's module: the stock
 * kernel broadcast it element by element, 0.69–0.72 ms for tiny-64's [16, 64, 64, 3] + [3]
 * decoder output, several times a plain pass over the tensor. Every other Add goes to the stock
 * kernel, captured before this one replaced it.
 */
export function biasAddConfig(stock: KernelConfig | undefined): KernelConfig {
  const stockAdd = stock?.kernelFunc;
  if (!stockAdd) throw new Error('the wasm backend has no Add kernel');
  const add: KernelFunc = (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const backend = args.backend as unknown as WasmBackend;
    if (a.dtype === 'float32' && b.dtype === 'float32') {
      const [x, bias] = isBiasOf(a, b) ? [a, b] : isBiasOf(b, a) ? [b, a] : [];
      const kernels = x && x.shape.reduce((p, d) => p * d, 1) >= MIN_ELEMENTS ? convGemm(backend) : undefined;
      if (x && bias && kernels) return gemmAddBias(backend, kernels, x, bias);
    }
    return stockAdd(args);
  };
  return { kernelName: 'Add', backendName: 'wasm', kernelFunc: add, setupFunc: stock?.setupFunc };
}
