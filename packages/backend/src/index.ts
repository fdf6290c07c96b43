export { BackendChoice, BackendInfo, BACKEND_CHOICES, GpuAdapterInfo } from './backend-info';
export { BackendProvider, backendProviders, BackendStart, registerBackendProvider } from './backend-registry';
export { BackendUnavailableError, currentBackendName, initBackend } from './select-backend';
export { registerWasmKernels, stockWasmKernel, WASM_KERNEL_NAMES } from './kernels/register-wasm-kernels';
export { ADAM_STEP_KERNEL, AdamStepAttrs, adamStepMaxSize } from './kernels/wasm-adam-step';
export { ConvGemmVariant, convGemmVariant } from './kernels/wasm-conv-gemm';
export { simdPeakGflops, tileLoopGflops } from './kernels/conv-gemm-peak';
export { convolutionHelperStats, setConvolutionThreads } from './kernels/conv-helper';
