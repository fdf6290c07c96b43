import { getKernel, KernelConfig, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import { wasmAdamStepConfig } from './wasm-adam-step';
import { batchMatMulConfig } from './wasm-batch-matmul';
import { biasAddConfig } from './wasm-bias-add';
import { conv2DConfig } from './wasm-conv2d';
import { wasmConv2DBackpropFilterConfig } from './wasm-conv2d-backprop-filter';
import { wasmConv2DBackpropInputConfig } from './wasm-conv2d-backprop-input';
import { sharedCastConfig, wasmSharedIdentityConfig } from './wasm-shared-identity';
import { sumLeadingAxesConfig } from './wasm-sum-leading-axes';

let registered: KernelConfig[] | undefined;
/** The stock kernels that mmfuse's replaced, captured before they were. */
const stock = new Map<string, KernelConfig>();

/**
 * Kernels mmfuse adds to, or replaces in, the stock wasm backend so that it trains, and fast.
 * Replacements that delegate to the stock kernel for other cases capture it before replacing it.
 */
export function registerWasmKernels(): readonly KernelConfig[] {
  if (registered) return registered;
  registered = [
    conv2DConfig(getKernel('Conv2D', 'wasm')),
    wasmConv2DBackpropFilterConfig,
    wasmConv2DBackpropInputConfig,
    wasmSharedIdentityConfig,
    sharedCastConfig(getKernel('Cast', 'wasm')),
    sumLeadingAxesConfig(getKernel('Sum', 'wasm')),
    batchMatMulConfig(getKernel('BatchMatMul', 'wasm')),
    biasAddConfig(getKernel('Add', 'wasm')),
    wasmAdamStepConfig,
  ];
  for (const config of registered) {
    const replaced = getKernel(config.kernelName, config.backendName);
    if (replaced) stock.set(config.kernelName, replaced);
    if (replaced) unregisterKernel(config.kernelName, config.backendName);
    registerKernel(config);
  }
  return registered;
}

/** Names of the kernels mmfuse registers on the wasm backend. */
export const WASM_KERNEL_NAMES: readonly string[] = ['Conv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'Identity', 'Cast', 'Sum', 'BatchMatMul', 'Add', 'MmfuseAdamStep'];

/**
 * The stock wasm kernel (XNNPACK's, mostly) that mmfuse's of that name replaced, for benchmarks
 * that compare the two; undefined before `registerWasmKernels` or for a kernel mmfuse adds.
 */
export function stockWasmKernel(name: string): KernelConfig | undefined {
  return stock.get(name);
}
