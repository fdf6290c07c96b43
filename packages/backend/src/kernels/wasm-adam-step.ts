import { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { heapF32, heapIndex, WasmBackend } from './wasm-backend-access';

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
 * tfjs's AdamOptimizer's eleven element-wise kernels, so the result is bit for bit the same (every
 * step is rounded to float32 with Math.fround; float64 arithmetic rounded once is exact for +, −,
 * ×, ÷ and √ of float32 values). One kernel instead of eleven saves the engine's per-kernel cost,
 * which dominates on the small tensors of most layers.
 */
const adamStep: KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as unknown as WasmBackend;
  const { x, g, m, v } = inputs as { x: TensorInfo; g: TensorInfo; m: TensorInfo; v: TensorInfo };
  const a = attrs as unknown as AdamStepAttrs;
  const outputs = [x, m, v].map((t) => wasm.makeOutput([...t.shape], 'float32'));
  // Views after the last allocation: the heap may have grown.
  const heap = heapF32(wasm);
  const [xi, gi, mi, vi] = [x, g, m, v].map((t) => heapIndex(wasm, t));
  const [xo, mo, vo] = outputs.map((t) => heapIndex(wasm, t));
  const f = Math.fround;
  const { beta1, oneMinusBeta1, beta2, oneMinusBeta2, oneMinusBeta1Power, oneMinusBeta2Power, epsilon, negativeLearningRate } = a;
  const n = outputs[0].shape.reduce((p, d) => p * d, 1);
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
  return outputs;
};

export const wasmAdamStepConfig: KernelConfig = { kernelName: ADAM_STEP_KERNEL, backendName: 'wasm', kernelFunc: adamStep };
