import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@mmfuse/backend';
import { AttentionFusion } from './attention-fusion';
import { AttentionFusionOptions } from './attention-fusion-options';
import { createRng, gaussianMatrix } from './testing/fusion-test-utils';

interface Result {
  readonly output: number[];
  readonly inputGrads: number[][];
  readonly parameterGrads: Record<string, number[]>;
}

/** One training-style step on the current backend: output, and gradients w.r.t. inputs and weights. */
function step(options: Partial<AttentionFusionOptions>): Result {
  const widths = [5, 3, 4];
  const fusion = new AttentionFusion('fusion', widths, { projectionSize: 6, ...options }, 12);
  const data = widths.map((d, i) => gaussianMatrix(createRng(`b${i}`), 7, d, 1.3));
  data[2][3] = new Array(4).fill(0);
  const latents = data.map((rows) => tf.tensor2d(rows));
  const target = tf.tensor2d(gaussianMatrix(createRng('target'), 7, 12));
  const loss = (...xs: tf.Tensor[]) => tf.mean(tf.squaredDifference(fusion.apply(xs as tf.Tensor2D[]), target)) as tf.Scalar;
  const output = fusion.apply(latents);
  const inputGrads = tf.grads(loss)(latents);
  const { value, grads } = tf.variableGrads(() => loss(...latents));
  const result: Result = {
    output: Array.from(output.dataSync()),
    inputGrads: inputGrads.map((g) => Array.from(g.dataSync())),
    parameterGrads: Object.fromEntries(fusion.parameters.map((p) => [p.name, Array.from(grads[p.variable.name].dataSync())])),
  };
  tf.dispose([output, value, target, ...latents, ...inputGrads, ...Object.values(grads)]);
  fusion.dispose();
  return result;
}

function expectClose(a: number[], b: number[]): void {
  const scale = Math.max(1e-3, ...a.map(Math.abs));
  expect(a.length).toBe(b.length);
  const worst = Math.max(...a.map((v, i) => Math.abs(v - b[i])));
  expect(worst).toBeLessThan(2e-5 * scale);
}

describe.each<[string, Partial<AttentionFusionOptions>]>([
  ['defaults (normalised, spectral norm, scaled)', {}],
  ['mlp projections, α scales x̂_i', { projection: 'mlp', scale: 'normalized' }],
  ['raw inputs', { normalizeInputs: false, spectralNorm: false }],
  ['query-key scores, softmax gate, learned gain, W/σ', { scores: 'query-key', gate: 'softmax', learnGain: true, spectralMode: 'rescale' }],
  ['pairwise scores, exponential gate', { gate: 'exponential' }],
])('attention fusion on the wasm and cpu backends: %s', (_, options) => {
  it('computes the same output and gradients', async () => {
    await initBackend('cpu');
    const cpu = step(options);
    await initBackend('wasm');
    expect(tf.getBackend()).toBe('wasm');
    const wasm = step(options);
    expectClose(wasm.output, cpu.output);
    wasm.inputGrads.forEach((g, i) => expectClose(g, cpu.inputGrads[i]));
    expect(Object.keys(wasm.parameterGrads)).toEqual(Object.keys(cpu.parameterGrads));
    for (const name of Object.keys(cpu.parameterGrads)) expectClose(wasm.parameterGrads[name], cpu.parameterGrads[name]);
    expect(cpu.inputGrads.flat().every(Number.isFinite)).toBe(true);
  });
});
