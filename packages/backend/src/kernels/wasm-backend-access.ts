import { getKernel, TensorInfo } from '@tensorflow/tfjs-core';

/** The parts of tfjs's wasm backend that mmfuse's kernels use (not in its public typings). */
export interface WasmBackend {
  readonly wasm: { readonly HEAPU8: Uint8Array };
  readonly dataIdMap: { get(dataId: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: 'float32' | 'int32' | 'bool', memoryOffset?: number, values?: ArrayLike<number>): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
  disposeData(dataId: object, force?: boolean): boolean;
  incRef(dataId: object): void;
}

/** Runs a stock wasm kernel directly (no engine bookkeeping); the caller frees what it returns. */
export function runWasmKernel(backend: WasmBackend, name: string, inputs: Record<string, TensorInfo>, attrs: Record<string, unknown> = {}): TensorInfo {
  const kernel = getKernel(name, 'wasm');
  if (!kernel) throw new Error(`the wasm backend has no ${name} kernel`);
  return kernel.kernelFunc({ inputs, backend: backend as never, attrs: attrs as never }) as TensorInfo;
}

/** A float32 view of the whole wasm heap; take it after the last allocation (the heap may grow). */
export function heapF32(backend: WasmBackend): Float32Array {
  return new Float32Array(backend.wasm.HEAPU8.buffer);
}

/** Byte address of a tensor's data in the wasm heap (what wasm code takes as a pointer). */
export function heapAddress(backend: WasmBackend, info: TensorInfo): number {
  // Unsigned: offsets pass 2 GiB on large heaps (wasm32 addresses go to 4 GiB).
  return backend.dataIdMap.get(info.dataId).memoryOffset >>> 0;
}

/** Index of a tensor's first element in `heapF32`. */
export function heapIndex(backend: WasmBackend, info: TensorInfo): number {
  return heapAddress(backend, info) >>> 2;
}

/** A new float32 tensor on the wasm heap holding `values`. */
export function wasmTensor(backend: WasmBackend, shape: number[], values: Float32Array): TensorInfo {
  return backend.makeOutput(shape, 'float32', undefined, values);
}

/** A stride-1 XNNPACK convolution with explicit pads [top, bottom, left, right] (and dilation). */
export function stride1Conv(backend: WasmBackend, x: TensorInfo, filter: TensorInfo, pads: readonly [number, number, number, number], dilations: readonly [number, number] = [1, 1]): TensorInfo {
  return runWasmKernel(
    backend,
    'Conv2D',
    { x, filter },
    { strides: [1, 1], pad: [[0, 0], [pads[0], pads[1]], [pads[2], pads[3]], [0, 0]], dataFormat: 'NHWC', dilations: [...dilations], dimRoundingMode: undefined },
  );
}
