import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@mmfuse/backend';
import { TokenAttentionFusion } from './token-attention-fusion';
import { TokenAttentionOptions } from './token-attention-options';
import { createRng, gaussianMatrix, randomizeParameters } from './testing/token-attention-reference';

interface Result {
  readonly output: number[];
  readonly weights: number[];
  readonly inputGrads: number[][];
  readonly parameterGrads: Record<string, number[]>;
}

/** One training-style step on the current backend: output, modality weights, gradients w.r.t. inputs and weights. */
function step(options: Partial<TokenAttentionOptions>): Result {
  const widths = [5, 3, 4];
  const fusion = new TokenAttentionFusion('fusion', widths, { tokenSize: 6, ...options }, 12);
  // weights large enough for a non-uniform softmax (and σ > 1 under spectral normalisation)
  randomizeParameters(fusion, createRng('weights'), 0.8);
  const latents = widths.map((d, i) => tf.tensor2d(gaussianMatrix(createRng(`b${i}`), 7, d, 1.3)));
  const target = tf.tensor2d(gaussianMatrix(createRng('target'), 7, 18));
  const loss = (...xs: tf.Tensor[]) => tf.mean(tf.squaredDifference(fusion.apply(xs as tf.Tensor2D[]), target)) as tf.Scalar;
  const output = fusion.apply(latents);
  const weights = fusion.modalityWeights(latents);
  const inputGrads = tf.grads(loss)(latents);
  const { value, grads } = tf.variableGrads(() => loss(...latents));
  const result: Result = {
    output: Array.from(output.dataSync()),
    weights: Array.from(weights.dataSync()),
    inputGrads: inputGrads.map((g) => Array.from(g.dataSync())),
    parameterGrads: Object.fromEntries(fusion.parameters.map((p) => [p.name, Array.from(grads[p.variable.name].dataSync())])),
  };
  tf.dispose([output, weights, value, target, ...latents, ...inputGrads, ...Object.values(grads)]);
  fusion.dispose();
  return result;
}

function expectClose(a: number[], b: number[]): void {
  const scale = Math.max(1e-3, ...a.map(Math.abs));
  expect(a.length).toBe(b.length);
  const worst = Math.max(...a.map((v, i) => Math.abs(v - b[i])));
  expect(worst).toBeLessThan(2e-5 * scale);
}

describe.each<[string, Partial<TokenAttentionOptions>]>([
  ['defaults (three heads here, residual)', { heads: 3 }],
  ['spectral norm, two heads', { heads: 2, spectralNorm: true }],
  ['one head, no residual', { heads: 1, residual: false }],
])('token attention on the wasm and cpu backends: %s', (_, options) => {
  it('computes the same output, modality weights and gradients', async () => {
    await initBackend('cpu');
    const cpu = step(options);
    await initBackend('wasm');
    expect(tf.getBackend()).toBe('wasm');
    const wasm = step(options);
    expectClose(wasm.output, cpu.output);
    expectClose(wasm.weights, cpu.weights);
    wasm.inputGrads.forEach((g, i) => expectClose(g, cpu.inputGrads[i]));
    expect(Object.keys(wasm.parameterGrads)).toEqual(Object.keys(cpu.parameterGrads));
    for (const name of Object.keys(cpu.parameterGrads)) expectClose(wasm.parameterGrads[name], cpu.parameterGrads[name]);
    expect(cpu.inputGrads.flat().every(Number.isFinite)).toBe(true);
    // the weights are input-dependent here, so agreeing on them means something
    expect(Math.max(...cpu.weights.map((w) => Math.abs(w - 1)))).toBeGreaterThan(0.05);
  });
});
