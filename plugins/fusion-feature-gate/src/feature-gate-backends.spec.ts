import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@mmfuse/backend';
import { createRng } from '@mmfuse/core';
import { FeatureGateFusion } from './feature-gate-fusion';
import { FeatureGateOptions } from './feature-gate-options';
import { gaussianRows } from './testing/feature-gate-test-utils';

/** Output, gate, modality weights and the gradients of a squared loss w.r.t. the latents and every parameter, on the current backend. */
function forwardAndGradients(options: Partial<FeatureGateOptions>): Record<string, number[]> {
  const M = 3;
  const fusion = new FeatureGateFusion('fusion', new Array(M).fill(5), { hiddenSize: 6, ...options }, 12);
  const data = Array.from({ length: M }, (_, m) => gaussianRows(createRng(`backend-${m}`), 7, 5, 1.3));
  // dead ReLU encoders: two latents all zero in one sample, so the minimum ties there
  data[0][3] = new Array(5).fill(0);
  data[2][3] = new Array(5).fill(0);
  const result = tf.tidy(() => {
    const latents = data.map((rows) => tf.tensor2d(rows));
    const target = tf.tensor2d(gaussianRows(createRng('target'), 7, 5));
    const loss = (...xs: tf.Tensor[]) => tf.mean(tf.squaredDifference(fusion.apply(xs as tf.Tensor2D[]), target)) as tf.Scalar;
    const { grads } = tf.variableGrads(() => loss(...latents));
    const values: Record<string, tf.Tensor> = {
      output: fusion.apply(latents),
      gates: fusion.gates(latents),
      modalityWeights: fusion.modalityWeights(latents),
      ...Object.fromEntries(tf.grads(loss)(latents).map((g, m) => [`d/dx${m}`, g])),
      ...Object.fromEntries(fusion.parameters.map((p) => [`d/d${p.name}`, grads[p.variable.name]])),
    };
    return Object.fromEntries(Object.entries(values).map(([key, t]) => [key, Array.from(t.dataSync())]));
  });
  fusion.dispose();
  return result;
}

describe.each<[string, Partial<FeatureGateOptions>]>([
  ['defaults', {}],
  ['residual mean, he initialisation', { residual: true, init: 'he' }],
])('feature-gate fusion on the wasm and cpu backends: %s', (_, options) => {
  it('computes the same output, gates, weights and gradients', async () => {
    await initBackend('cpu');
    const cpu = forwardAndGradients(options);
    await initBackend('wasm');
    expect(tf.getBackend()).toBe('wasm');
    const wasm = forwardAndGradients(options);
    expect(Object.keys(wasm)).toEqual(Object.keys(cpu));
    for (const [key, values] of Object.entries(cpu)) {
      const scale = Math.max(1e-3, ...values.map(Math.abs));
      const worst = Math.max(...values.map((v, i) => Math.abs(v - wasm[key][i])));
      expect({ key, close: worst < 2e-5 * scale, finite: values.every(Number.isFinite) }).toEqual({ key, close: true, finite: true });
    }
  });
});
