import { backend as currentBackend, getBackend, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { heapAddress, heapF32, heapIndex, WasmBackend } from './wasm-backend-access';
import { convGemm } from './wasm-conv-gemm';

/** Name of the fused Adam update kernel (mmfuse's own; no stock backend has it). */
export const ADAM_STEP_KERNEL = 'MmfuseAdamStep';

/**
 * Attributes of one Adam update, each already a float32 value as tfjs's AdamOptimizer's scalar
 * tensors hold it: β₁, 1 − β₁, β₂, 1 − β₂, 1 − β₁ᵗ, 1 − β₂ᵗ, ε and −lr.
 */
export interface AdamStepAttrs {
  beta1: number;
  oneMinusBeta1: number;
  beta2: number;
  oneMinusBeta2: number;
  oneMinusBeta1Power: number;
  oneMinusBeta2Power: number;
  epsilon: number;
  negativeLearningRate: number;
}

/**
 * x, m, v ← Adam(x, g, m, v) in one pass: the same float32 operations, in the same order, as
 * tfjs's AdamOptimizer's eleven element-wise kernels, so the result is bit for bit the same. One
 * kernel instead of eleven saves the engine's per-kernel cost, which dominates on the small
 * tensors of most layers. mmfuse's wasm module does it four lanes at a time (`adam_step` in
 * wasm/conv-gemm.c); where the module cannot share the heap, a JavaScript loop rounds every step
 * to float32 with Math.fround (float64 arithmetic rounded once is exact for +, −, ×, ÷ and √ of
 * float32 values).
 */
const adamStep: KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as unknown as WasmBackend;
  const { x, g, m, v } = inputs as { x: TensorInfo; g: TensorInfo; m: TensorInfo; v: TensorInfo };
  const a = attrs as unknown as AdamStepAttrs;
  const outputs = [x, m, v].map((t) => wasm.makeOutput([...t.shape], 'float32'));
  const n = outputs[0].shape.reduce((p, d) => p * d, 1);
  const kernels = convGemm(wasm);
  if (kernels) {
    const [xa, ga, ma, va, xo, mo, vo] = [x, g, m, v, ...outputs].map((t) => heapAddress(wasm, t));
    kernels.adam_step(xa, ga, ma, va, xo, mo, vo, n, a.beta1, a.oneMinusBeta1, a.beta2, a.oneMinusBeta2, a.oneMinusBeta1Power, a.oneMinusBeta2Power, a.epsilon, a.negativeLearningRate);
    return outputs;
  }
  adamStepLoop(wasm, [x, g, m, v], outputs, a, n);
  return outputs;
};

/** The update in JavaScript, each operation rounded to float32. */
export function adamStepLoop(wasm: WasmBackend, [x, g, m, v]: TensorInfo[], outputs: TensorInfo[], a: AdamStepAttrs, n: number): void {
  // Views after the last allocation: the heap may have grown.
  const heap = heapF32(wasm);
  const [xi, gi, mi, vi] = [x, g, m, v].map((t) => heapIndex(wasm, t));
  const [xo, mo, vo] = outputs.map((t) => heapIndex(wasm, t));
  const f = Math.fround;
  const { beta1, oneMinusBeta1, beta2, oneMinusBeta2, oneMinusBeta1Power, oneMinusBeta2Power, epsilon, negativeLearningRate } = a;
  for (let i = 0; i < n; i++) {
    const grad = heap[gi + i];
    const first = f(f(heap[mi + i] * beta1) + f(grad * oneMinusBeta1));
    const second = f(f(heap[vi + i] * beta2) + f(f(grad * grad) * oneMinusBeta2));
    const firstHat = f(first / oneMinusBeta1Power);
    const secondHat = f(second / oneMinusBeta2Power);
    const step = f(f(firstHat / f(f(Math.sqrt(secondHat)) + epsilon)) * negativeLearningRate);
    heap[xo + i] = f(step + heap[xi + i]);
    heap[mo + i] = first;
    heap[vo + i] = second;
  }
}

/**
 * Above this many elements the JavaScript loop (about 10 ns per element) loses to tfjs's eleven
 * SIMD kernels (about 5, plus a fixed 0.1 ms per variable): equal at about 16,000 elements.
 */
const LOOP_MAX_SIZE = 12288;

/**
 * The largest variable the fused step should update on the current backend: every one where
 * mmfuse's module runs it, four lanes at a time; up to `LOOP_MAX_SIZE` elements for the
 * JavaScript loop, larger ones being faster with tfjs's own kernels.
 */
export function adamStepMaxSize(): number {
  return getBackend() === 'wasm' && convGemm(currentBackend() as unknown as WasmBackend) ? Infinity : LOOP_MAX_SIZE;
}

export const wasmAdamStepConfig: KernelConfig = { kernelName: ADAM_STEP_KERNEL, backendName: 'wasm', kernelFunc: adamStep };
