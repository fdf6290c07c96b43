import { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmBackend } from './wasm-backend-access';

/**
 * Identity and same-dtype Cast without a copy (and Cast to bool done right). The stock wasm kernels copy the whole tensor, and
 * tfjs calls Identity for every tensor it saves for the backward pass; sharing the data with a
 * reference count is what the cpu backend does (tfjs kernels never write into their inputs).
 */
function share(backend: WasmBackend, x: TensorInfo): TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

const identity: KernelFunc = ({ inputs, backend }) => share(backend as unknown as WasmBackend, (inputs as { x: TensorInfo }).x);

export function sharedCastConfig(stock: KernelConfig | undefined): KernelConfig {
  const stockCast = stock?.kernelFunc;
  const cast: KernelFunc = (args) => {
    const x = (args.inputs as { x: TensorInfo }).x;
    const dtype = (args.attrs as { dtype: string }).dtype;
    const backend = args.backend as unknown as WasmBackend;
    if (x.dtype === dtype) return share(backend, x);
    if (dtype === 'bool') {
      // The stock kernel copies values into the byte array (−2 becomes 254); bool means x ≠ 0.
      const values = backend.typedArrayFromHeap(x);
      const out = backend.makeOutput([...x.shape], 'bool');
      const bytes = backend.typedArrayFromHeap(out) as unknown as Uint8Array;
      for (let i = 0; i < values.length; i++) bytes[i] = values[i] !== 0 ? 1 : 0;
      return out;
    }
    if (!stockCast) throw new Error('the wasm backend has no Cast kernel');
    return stockCast(args);
  };
  return { kernelName: 'Cast', backendName: 'wasm', kernelFunc: cast, setupFunc: stock?.setupFunc };
}

export const wasmSharedIdentityConfig: KernelConfig = { kernelName: 'Identity', backendName: 'wasm', kernelFunc: identity };
