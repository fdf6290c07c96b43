import 'reflect-metadata';
import { join } from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { Container } from 'inversify';
import { initBackend } from '@mmfuse/backend';
import { ComponentRegistry, coreModule, loadPlugins } from '@mmfuse/core';
import { GatedFusion } from './gated-fusion';

function latents(widths: number[], batch: number, phase = 0): tf.Tensor2D[] {
  return widths.map((d, m) => tf.tensor2d(Float32Array.from({ length: batch * d }, (_, i) => Math.sin(i * 0.7 + m + phase)), [batch, d]));
}

describe('GatedFusion', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('computes Σ_m softmax gates ⊙ tanh projections, as written out by hand', () => {
    const fusion = new GatedFusion('fusion', [3, 2], { size: 4 }, 7);
    const hs = latents([3, 2], 2);
    const out = fusion.apply(hs).arraySync();
    const p = Object.fromEntries(fusion.parameters.map((q) => [q.name.replace('fusion/', ''), q.variable.arraySync() as number[][] | number[]]));
    const h = hs.map((t) => t.arraySync());
    for (let b = 0; b < 2; b++) {
      const joined = [...h[0][b], ...h[1][b]];
      const logits = (p['gate/bias'] as number[]).map((c, j) => c + joined.reduce((s, x, i) => s + x * (p['gate/kernel'] as number[][])[i][j], 0));
      for (let u = 0; u < 4; u++) {
        const a = [logits[u * 2], logits[u * 2 + 1]];
        const e = a.map((v) => Math.exp(v - Math.max(...a)));
        const g = e.map((v) => v / (e[0] + e[1]));
        const units = [0, 1].map((m) => Math.tanh((p[`projection${m}/bias`] as number[])[u] + h[m][b].reduce((s, x, i) => s + x * (p[`projection${m}/kernel`] as number[][])[i][u], 0)));
        expect(out[b][u]).toBeCloseTo(g[0] * units[0] + g[1] * units[1], 5);
      }
    }
    fusion.dispose();
  });

  it('has gates that sum to one over the modalities', () => {
    const fusion = new GatedFusion('fusion', [3, 2, 5], { size: 6 }, 1);
    const sums = tf.sum(fusion.gates(latents([3, 2, 5], 4)), 2).dataSync();
    sums.forEach((s) => expect(s).toBeCloseTo(1, 6));
    fusion.dispose();
  });

  it('has gradients that match central finite differences', () => {
    const fusion = new GatedFusion('fusion', [3, 2], { size: 4 }, 3);
    const hs = latents([3, 2], 2);
    const direction = latents([3, 2], 2, 1.3);
    const f = (shift: number) => tf.tidy(() => tf.sum(tf.square(fusion.apply(hs.map((h, m) => tf.add(h, tf.mul(direction[m], shift)) as tf.Tensor2D)))).dataSync()[0]);
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(fusion.apply([a as tf.Tensor2D, b as tf.Tensor2D]))))(hs);
    const analytic = grads.reduce((s, g, m) => s + tf.sum(tf.mul(g, direction[m])).dataSync()[0], 0);
    const eps = 1e-2;
    expect((f(eps) - f(-eps)) / (2 * eps)).toBeCloseTo(analytic, 2);
    fusion.dispose();
  });

  it('repeats from its seed, round-trips its config and leaks no tensors', () => {
    const before = tf.memory().numTensors;
    const a = new GatedFusion('fusion', [3, 2], { size: 4 }, 5);
    const b = new GatedFusion('fusion', [3, 2], a.getConfig() as never, 5);
    expect(a.getConfig()).toEqual({ type: 'gated', size: 4 });
    expect(b.parameters[0].variable.dataSync()).toEqual(a.parameters[0].variable.dataSync());
    const inputs = latents([3, 2], 2);
    const out = a.apply(inputs);
    tf.dispose([out, ...inputs]);
    a.dispose();
    b.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('needs two modalities', () => {
    expect(() => new GatedFusion('fusion', [3], { size: 2 }, 1)).toThrow('the gated fusion needs at least two modalities, got 1');
  });

  it('gives the same output on the wasm backend', async () => {
    const outputs: Float32Array[] = [];
    for (const backend of ['cpu', 'wasm'] as const) {
      await initBackend(backend);
      const fusion = new GatedFusion('fusion', [6, 3], { size: 5 }, 2);
      outputs.push(fusion.apply(latents([6, 3], 3)).dataSync() as Float32Array);
      fusion.dispose();
    }
    await initBackend('cpu');
    outputs[0].forEach((v, i) => expect(outputs[1][i]).toBeCloseTo(v, 5));
  });

  it('is loaded as a plugin from its folder and registers "gated"', () => {
    const container = new Container();
    container.load(coreModule);
    loadPlugins(container, ['.'], join(__dirname, '..'));
    const registry = container.get<ComponentRegistry>(ComponentRegistry);
    expect(registry.get('fusion', 'gated').source).toBe('mmfuse-fusion-gated');
  });
});
