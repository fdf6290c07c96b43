import 'reflect-metadata';
import { join } from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { Container } from 'inversify';
import { initBackend } from '@mmfuse/backend';
import { ComponentRegistry, coreModule, loadPlugins } from '@mmfuse/core';
import { SumFusion } from './sum-fusion';

beforeAll(async () => {
  await initBackend('cpu');
});

describe('SumFusion', () => {
  it('adds the latents element-wise', () => {
    const fusion = new SumFusion('fusion', [3, 3, 3]);
    const out = fusion.apply([tf.tensor2d([[1, 2, 3]]), tf.tensor2d([[10, 20, 30]]), tf.tensor2d([[100, 200, 300]])]);
    expect(Array.from(out.dataSync())).toEqual([111, 222, 333]);
    expect(fusion.outputSize).toBe(3);
    expect(fusion.parameters).toEqual([]);
  });

  it('refuses latents of different widths, naming each modality', () => {
    expect(() => new SumFusion('fusion', [288, 32], ['camera', 'joints'])).toThrow('the sum fusion adds latents, so all must have one width; got camera 288, joints 32. Give the encoders equal latent sizes, or use concat');
  });

  it('has gradient one for every input', () => {
    const fusion = new SumFusion('fusion', [2, 2]);
    const a = tf.tensor2d([[1, 2]]);
    const b = tf.tensor2d([[3, 4]]);
    const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(fusion.apply([x as tf.Tensor2D, y as tf.Tensor2D]), tf.tensor2d([[5, 7]]))))([a, b]);
    expect(Array.from(ga.dataSync())).toEqual([5, 7]);
    expect(Array.from(gb.dataSync())).toEqual([5, 7]);
  });

  it('certifies √M under the product norm, attained by equal perturbations', () => {
    const fusion = new SumFusion('fusion', [4, 4, 4]);
    expect(fusion.certifiedLipschitz().value).toBeCloseTo(Math.sqrt(3), 12);
    const d = tf.tensor2d([[0.1, -0.2, 0.3, 0.05]]);
    const norm = (t: tf.Tensor) => Math.sqrt(tf.sum(tf.square(t)).dataSync()[0]);
    const out = fusion.apply([d, d, d]);
    expect(norm(out) / Math.sqrt(3 * norm(d) ** 2)).toBeCloseTo(Math.sqrt(3), 5);
  });

  it('is found as a plugin from its package folder and registers "sum"', () => {
    const container = new Container();
    container.load(coreModule);
    loadPlugins(container, ['.'], join(__dirname, '..'));
    const registry = container.get<ComponentRegistry>(ComponentRegistry);
    expect(registry.get('fusion', 'sum').source).toBe('@mmfuse/fusion-sum');
    const fusion = registry.create('fusion', { type: 'sum' }, { name: 'fusion', modalities: [], inputSizes: [4, 4], seed: 0 });
    expect(fusion.getConfig()).toEqual({ type: 'sum' });
  });
});
