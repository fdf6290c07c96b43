import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../select-backend';
import { ADAM_STEP_KERNEL, AdamStepAttrs, adamStepLoop } from './wasm-adam-step';
import { heapAddress, heapF32, wasmTensor, WasmBackend } from './wasm-backend-access';
import { convGemm, ConvGemmVariant } from './wasm-conv-gemm';

const f = Math.fround;

/** tfjs's AdamOptimizer as its eleven element-wise kernels compute it, one float32 rounding per operation. */
function reference(x: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, a: AdamStepAttrs): Float32Array[] {
  const out = [new Float32Array(x.length), new Float32Array(x.length), new Float32Array(x.length)];
  for (let i = 0; i < x.length; i++) {
    const first = f(f(m[i] * a.beta1) + f(g[i] * a.oneMinusBeta1));
    const second = f(f(v[i] * a.beta2) + f(f(g[i] * g[i]) * a.oneMinusBeta2));
    const denominator = f(f(Math.sqrt(f(second / a.oneMinusBeta2Power))) + a.epsilon);
    out[0][i] = f(f(f(f(first / a.oneMinusBeta1Power) / denominator) * a.negativeLearningRate) + x[i]);
    out[1][i] = first;
    out[2][i] = second;
  }
  return out;
}

/** Values over many magnitudes, zeros, negatives and float32 subnormals, so every rounding is exercised. */
function values(n: number, seed: number, scale: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => {
    if (i % 17 === 5) return 0;
    if (i % 23 === 7) return (i % 2 ? -1 : 1) * 1e-40;
    const t = Math.sin(i * 12.9898 + seed * 78.233) * 43758.5453;
    return (t - Math.floor(t) - 0.5) * scale * 10 ** ((i % 7) - 3);
  });
}

const ATTRS: AdamStepAttrs = {
  beta1: f(0.9),
  oneMinusBeta1: f(1 - f(0.9)),
  beta2: f(0.999),
  oneMinusBeta2: f(1 - f(0.999)),
  oneMinusBeta1Power: f(1 - f(0.9 ** 3)),
  oneMinusBeta2Power: f(1 - f(0.999 ** 3)),
  epsilon: f(1e-8),
  negativeLearningRate: f(-2e-3),
};

// Lengths around the four-lane loop, its two-fold unrolling and the scalar tail, and a large one.
const LENGTHS = [1, 3, 4, 5, 8, 9, 31, 12289, 100003];

describe('the fused Adam step', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  const inputs = (n: number) => {
    const x = values(n, 1, 1);
    const g = values(n, 2, 1);
    const m = values(n, 3, 0.1);
    // Second moments are non-negative.
    const v = values(n, 4, 0.01).map(Math.abs);
    return { x, g, m, v };
  };

  it.each(['simd128', 'relaxed-simd'] as ConvGemmVariant[])('%s module: tfjs\'s Adam bit for bit', (variant) => {
    const backend = tf.backend() as unknown as WasmBackend;
    const kernels = convGemm(backend, variant);
    if (!kernels) throw new Error('the module cannot share this backend\'s heap');
    for (const n of LENGTHS) {
      const { x, g, m, v } = inputs(n);
      const tensors = [x, g, m, v, x, x, x].map((data) => wasmTensor(backend, [n], data));
      const [xa, ga, ma, va, xo, mo, vo] = tensors.map((t) => heapAddress(backend, t));
      const a = ATTRS;
      kernels.adam_step(xa, ga, ma, va, xo, mo, vo, n, a.beta1, a.oneMinusBeta1, a.beta2, a.oneMinusBeta2, a.oneMinusBeta1Power, a.oneMinusBeta2Power, a.epsilon, a.negativeLearningRate);
      const heap = heapF32(backend);
      const got = [xo, mo, vo].map((address) => heap.slice(address >>> 2, (address >>> 2) + n));
      const expected = reference(x, g, m, v, ATTRS);
      got.forEach((values, k) => expect(Buffer.from(values.buffer).equals(Buffer.from(expected[k].buffer))).toBe(true));
      tensors.forEach((t) => backend.disposeData(t.dataId));
    }
  });

  it('kernel and JavaScript fallback give the same bits', () => {
    const backend = tf.backend() as unknown as WasmBackend;
    for (const n of LENGTHS) {
      const { x, g, m, v } = inputs(n);
      const [xt, gt, mt, vt] = [x, g, m, v].map((data) => tf.tensor1d(data));
      const viaKernel = tf.engine().runKernel(ADAM_STEP_KERNEL, { x: xt, g: gt, m: mt, v: vt }, ATTRS as unknown as tf.NamedAttrMap) as tf.Tensor[];
      const outputs = [0, 1, 2].map(() => backend.makeOutput([n], 'float32'));
      adamStepLoop(backend, [xt, gt, mt, vt], outputs, ATTRS, n);
      const heap = heapF32(backend);
      viaKernel.forEach((t, k) => {
        const address = heapAddress(backend, outputs[k]) >>> 2;
        expect(Buffer.from((t.dataSync() as Float32Array).buffer).equals(Buffer.from(heap.slice(address, address + n).buffer))).toBe(true);
      });
      tf.dispose([xt, gt, mt, vt, ...viaKernel]);
      outputs.forEach((t) => backend.disposeData(t.dataId));
    }
  });
});
