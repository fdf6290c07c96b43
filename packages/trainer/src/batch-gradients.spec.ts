import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@mmfuse/backend';
import { ConcatFusion } from '@mmfuse/fusion-concat';
import { partGradients } from './batch-gradients';
import { layout, randomBatch, smallAutoencoder } from './testing/small-autoencoder';
import { MultimodalAutoencoder } from '@mmfuse/model';

const model = (): MultimodalAutoencoder => smallAutoencoder((latent) => ({ fusion: new ConcatFusion('fusion', [latent, 5]), jointsLatent: 5 }));
const batch = randomBatch;

function flat(grads: tf.NamedTensorMap, variables: tf.Variable[]): Float32Array[] {
  return variables.map((v) => grads[v.name].dataSync() as Float32Array);
}

describe('partGradients', () => {
  it('gives parts of a batch whose gradients add up to the whole batch\'s', async () => {
    await initBackend('cpu');
    const m = model();
    const variables = m.subModels().flatMap((s) => s.parameters.map((p) => p.variable));
    const b = batch(6);
    const whole = await partGradients(m, variables, layout, b, 0, 6, []);
    const first = await partGradients(m, variables, layout, b, 0, 4, []);
    const second = await partGradients(m, variables, layout, b, 4, 6, []);
    const [w, f, s] = [whole, first, second].map((r) => flat(r.grads, variables));
    w.forEach((g, i) => g.forEach((v, j) => expect(f[i][j] + s[i][j]).toBeCloseTo(v, 5)));
    whole.losses.forEach((l, k) => expect(first.losses[k] + second.losses[k]).toBeCloseTo(l, 6));
    [whole, first, second].forEach((r) => tf.dispose(Object.values(r.grads)));
    m.dispose();
  });

  it('computes the same whole-model gradient on the wasm and the cpu backend', async () => {
    const results: Record<string, Float32Array[]> = {};
    for (const backend of ['cpu', 'wasm'] as const) {
      await initBackend(backend);
      const m = model();
      const variables = m.subModels().flatMap((s) => s.parameters.map((p) => p.variable));
      const r = await partGradients(m, variables, layout, batch(5), 0, 5, []);
      results[backend] = flat(r.grads, variables);
      tf.dispose(Object.values(r.grads));
      m.dispose();
    }
    results.cpu.forEach((expected, i) => {
      const scale = Math.max(...Array.from(expected, Math.abs), 1e-12);
      const worst = Math.max(...Array.from(expected, (v, j) => Math.abs(v - results.wasm[i][j])));
      expect(worst / scale).toBeLessThan(1e-4);
    });
  });
});
