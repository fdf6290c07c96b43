export { BackendChoice, BackendInfo, BACKEND_CHOICES } from './backend-info';
export { BackendUnavailableError, currentBackendName, initBackend } from './select-backend';
export { registerWasmKernels, WASM_KERNEL_NAMES } from './kernels/register-wasm-kernels';
