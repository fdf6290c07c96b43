import { backend_util, KernelConfig, KernelFunc, TensorInfo, util } from '@tensorflow/tfjs-core';
import { heapAddress, WasmBackend } from './wasm-backend-access';
import { convGemm, withScratch } from './wasm-conv-gemm';

/**
 * Column sums of a row-major `rows × cols` matrix in float64. Eight rows per pass: the running totals
 * are loaded and stored an eighth as often (2.4× faster on a 32 × 63 × 63 × 64 bias gradient).
 */
function sumRows(values: Float32Array, rows: number, cols: number): Float64Array {
  const totals = new Float64Array(cols);
  const [c2, c3, c4, c5, c6, c7] = [2, 3, 4, 5, 6, 7].map((k) => k * cols);
  let r = 0;
  for (; r + 8 <= rows; r += 8) {
    for (let c = 0, i = r * cols; c < cols; c++, i++) {
      totals[c] += values[i] + values[i + cols] + (values[i + c2] + values[i + c3]) + (values[i + c4] + values[i + c5] + (values[i + c6] + values[i + c7]));
    }
  }
  for (; r < rows; r++) for (let c = 0, i = r * cols; c < cols; c++, i++) totals[c] += values[i];
  return totals;
}

/**
 * Sum over leading axes (the bias gradient: [B, H, W, C] → [C]) as one pass over the rows,
 * accumulating in float64: in mmfuse's module (`sum_rows`, two lanes of float64 per vector) where it
 * shares the heap, else in JavaScript. The stock Sum first transposes the whole tensor so that the
 * reduced axes come last (about 5× slower; a ones-vector product in the wasm matrix kernel is no
 * faster). Other reductions go to the stock kernel.
 */
export function sumLeadingAxesConfig(stock: KernelConfig | undefined): KernelConfig {
  const stockSum = stock?.kernelFunc;
  const sum: KernelFunc = (args) => {
    const backend = args.backend as unknown as WasmBackend;
    const x = (args.inputs as { x: TensorInfo }).x;
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const axes = util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
    const leading = axes.length > 0 && axes.length < x.shape.length && axes.every((a, i) => a === i);
    if (!leading || x.dtype !== 'float32') {
      if (!stockSum) throw new Error('the wasm backend has no Sum kernel');
      return stockSum(args);
    }
    const rows = util.sizeFromShape(x.shape.slice(0, axes.length));
    const cols = util.sizeFromShape(x.shape.slice(axes.length));
    const outShape = keepDims ? backend_util.expandShapeToKeepDim(x.shape.slice(axes.length), axes) : x.shape.slice(axes.length);
    const kernels = convGemm(backend);
    if (kernels) {
      const out = backend.makeOutput(outShape, 'float32');
      withScratch(backend, [4 * cols * 8], ([acc]) => kernels.sum_rows(heapAddress(backend, x), acc, heapAddress(backend, out), rows, cols));
      return out;
    }
    const totals = sumRows(backend.typedArrayFromHeap(x), rows, cols);
    return backend.makeOutput(outShape, 'float32', undefined, Float32Array.from(totals));
  };
  // Keep the stock setup: it binds the wasm function the stock kernel calls.
  return { kernelName: 'Sum', backendName: 'wasm', kernelFunc: sum, setupFunc: stock?.setupFunc };
}
