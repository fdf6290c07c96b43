import 'reflect-metadata';
import { join } from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { Container } from 'inversify';
import { initBackend } from '@mmfuse/backend';
import { ComponentRegistry, coreModule, loadPlugins } from '@mmfuse/core';
import { ConcatFusion } from './concat-fusion';

beforeAll(async () => {
  await initBackend('cpu');
});

describe('ConcatFusion', () => {
  it('joins latents of different widths in modality order', () => {
    const fusion = new ConcatFusion('fusion', [2, 3]);
    const out = fusion.apply([tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5, 6, 7], [8, 9, 10]])]);
    expect(out.shape).toEqual([2, 5]);
    expect(Array.from(out.dataSync())).toEqual([1, 2, 5, 6, 7, 3, 4, 8, 9, 10]);
    expect(fusion.outputSize).toBe(5);
  });

  it('routes each output gradient back to its own modality only', () => {
    const fusion = new ConcatFusion('fusion', [1, 2]);
    const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(fusion.apply([x as tf.Tensor2D, y as tf.Tensor2D]), tf.tensor2d([[2, 3, 4]]))))([tf.tensor2d([[1]]), tf.tensor2d([[1, 1]])]);
    expect(Array.from(ga.dataSync())).toEqual([2]);
    expect(Array.from(gb.dataSync())).toEqual([3, 4]);
  });

  it('certifies constant 1: it preserves the product norm', () => {
    const fusion = new ConcatFusion('fusion', [2, 3]);
    expect(fusion.certifiedLipschitz().value).toBe(1);
    const a = tf.tensor2d([[0.3, -1]]);
    const b = tf.tensor2d([[2, 0.5, -0.25]]);
    const sq = (t: tf.Tensor) => tf.sum(tf.square(t)).dataSync()[0];
    expect(sq(fusion.apply([a, b]))).toBeCloseTo(sq(a) + sq(b), 5);
  });

  it('is found as a plugin from its package folder and registers "concat"', () => {
    const container = new Container();
    container.load(coreModule);
    loadPlugins(container, ['.'], join(__dirname, '..'));
    const registry = container.get<ComponentRegistry>(ComponentRegistry);
    expect(registry.get('fusion', 'concat').source).toBe('@mmfuse/fusion-concat');
    expect(registry.create('fusion', { type: 'concat' }, { name: 'fusion', modalities: [], inputSizes: [4, 2], seed: 0 }).outputSize).toBe(6);
  });
});
