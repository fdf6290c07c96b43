import { backend_util, KernelConfig, KernelFunc, TensorInfo, util } from '@tensorflow/tfjs-core';
import type { WasmBackend } from './wasm-backend-access';

/**
 * Sum over leading axes (the bias gradient: [B, H, W, C] → [C]) as one pass over the rows,
 * accumulating in float64. The stock Sum first transposes the whole tensor so that the reduced
 * axes come last (about 5× slower; a ones-vector product in the wasm matrix kernel is no faster).
 * Other reductions go to the stock kernel.
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
    const totals = new Float64Array(cols);
    const values = backend.typedArrayFromHeap(x);
    for (let r = 0, i = 0; r < rows; r++) for (let c = 0; c < cols; c++, i++) totals[c] += values[i];
    const outShape = keepDims ? backend_util.expandShapeToKeepDim(x.shape.slice(axes.length), axes) : x.shape.slice(axes.length);
    return backend.makeOutput(outShape, 'float32', undefined, Float32Array.from(totals));
  };
  // Keep the stock setup: it binds the wasm function the stock kernel calls.
  return { kernelName: 'Sum', backendName: 'wasm', kernelFunc: sum, setupFunc: stock?.setupFunc };
}
