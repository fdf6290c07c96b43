import { getKernel, KernelConfig, registerKernel } from '@tensorflow/tfjs-core';
import { wasmConv2DBackpropFilterConfig } from './wasm-conv2d-backprop-filter';

/** Kernels mmfuse adds to (or replaces in) the stock wasm backend so that it can train. */
export const WASM_KERNELS: readonly KernelConfig[] = [wasmConv2DBackpropFilterConfig];

let registered = false;

export function registerWasmKernels(): void {
  if (registered) return;
  registered = true;
  for (const config of WASM_KERNELS) {
    if (getKernel(config.kernelName, config.backendName)) continue;
    registerKernel(config);
  }
}
