import 'reflect-metadata';
import { join } from 'path';
import * as tf from '@tensorflow/tfjs-core';
import Ajv2020 from 'ajv/dist/2020';
import { Container } from 'inversify';
import { initBackend } from '@mmfuse/backend';
import { ComponentRegistry, coreModule, loadPlugins } from '@mmfuse/core';
import { AttentionFusion, createAttentionFusion } from './attention-fusion';
import { ATTENTION_FUSION_DEFAULTS, ATTENTION_FUSION_SCHEMA, AttentionFusionOptions } from './attention-fusion-options';
import { createRng, gaussianMatrix, randomizeParameters } from './testing/fusion-test-utils';

beforeAll(async () => {
  await initBackend('cpu');
});

/**
 * Definition 4.1 with the Section 4.5 options, in plain float64 loops over one sample: reads the
 * fusion's parameters and the σ̂ its last forward call used.
 */
function definition41(fusion: AttentionFusion, xs: number[][]): { output: number[]; alpha: number[] } {
  const o = fusion.options;
  const M = xs.length;
  const values = new Map(fusion.parameters.map((p) => [p.name, p.variable.arraySync() as number[][] & number[]]));
  const sigmas = fusion.spectralEstimates();
  const dense = (x: number[], kernel: number[][], sigma: number | undefined, bias?: number[]) =>
    kernel[0].map((_, c) => x.reduce((s, v, r) => s + v * kernel[r][c], 0) / Math.max(1, sigma ?? 1) + (bias ? bias[c] : 0));
  const u = xs.map((x) => {
    const n = Math.hypot(...x);
    return o.normalizeInputs ? x.map((v) => v / Math.max(n, o.epsilon)) : x;
  });
  const p = u.map((ui, i) => {
    const sigma = (l: number) => (o.spectralNorm ? sigmas[i][l] : undefined);
    if (o.projection === 'linear') return dense(ui, values.get(`fusion/projection${i}/kernel`) as number[][], sigma(0));
    const hidden = dense(ui, values.get(`fusion/projection${i}/dense0/kernel`) as number[][], sigma(0), values.get(`fusion/projection${i}/dense0/bias`) as number[]).map((v) => Math.max(0, v));
    return dense(hidden, values.get(`fusion/projection${i}/dense1/kernel`) as number[][], sigma(1), values.get(`fusion/projection${i}/dense1/bias`) as number[]);
  });
  const c = o.scaleScores ? Math.sqrt(o.projectionSize) : 1;
  const alpha = p.map((pi, i) => {
    let sum = 0;
    for (let j = 0; j < M; j++) if (j !== i) sum += pi.reduce((s, v, a) => s + v * p[j][a], 0) / c;
    return sum / (M - 1);
  });
  const output = xs.flatMap((x, i) => (o.scale === 'input' ? x : u[i]).map((v) => alpha[i] * v));
  return { output, alpha };
}

const VARIANTS: Array<Partial<AttentionFusionOptions>> = [
  {},
  { normalizeInputs: false, spectralNorm: false, scaleScores: false },
  { normalizeInputs: false },
  { spectralNorm: false },
  { scaleScores: false },
  { scale: 'normalized' },
  { projection: 'mlp' },
  { projection: 'mlp', normalizeInputs: false, spectralNorm: false, projectionSize: 3 },
];

describe('AttentionFusion', () => {
  it.each(VARIANTS)('computes Definition 4.1 batched, for latents of different widths: %j', (options) => {
    const widths = [3, 5, 4];
    const fusion = new AttentionFusion('fusion', widths, { projectionSize: 6, ...options }, 2);
    randomizeParameters(fusion, createRng('forward'), 0.9);
    // converged, so σ̂ does not move between the calls below
    fusion.refineSpectralEstimates(500);
    const batch = widths.map((d, i) => gaussianMatrix(createRng(`x${i}`), 4, d, 1.5));
    batch[1][2] = new Array(5).fill(0); // a zero latent: normalisation divides by ε there
    const latents = batch.map((rows) => tf.tensor2d(rows));
    const y = fusion.apply(latents);
    const alpha = fusion.coefficients(latents).arraySync() as number[][];
    expect(y.shape).toEqual([4, fusion.outputSize]);
    expect(fusion.outputSize).toBe(12);
    const got = y.arraySync() as number[][];
    for (let n = 0; n < 4; n++) {
      const expected = definition41(fusion, batch.map((rows) => rows[n]));
      const scale = Math.max(1, ...expected.output.map(Math.abs));
      got[n].forEach((v, r) => expect(Math.abs(v - expected.output[r])).toBeLessThan(1e-5 * scale));
      alpha[n].forEach((a, i) => expect(a).toBeCloseTo(expected.alpha[i], 5));
    }
    tf.dispose([y, ...latents]);
    fusion.dispose();
  });

  it('has the same coefficient for both modalities when M = 2: α₁ = α₂ = s₁₂', () => {
    const fusion = new AttentionFusion('fusion', [4, 6], {}, 8);
    const latents = [tf.tensor2d(gaussianMatrix(createRng(1), 5, 4)), tf.tensor2d(gaussianMatrix(createRng(2), 5, 6))];
    const alpha = fusion.coefficients(latents).arraySync() as number[][];
    for (const [a1, a2] of alpha) expect(a1).toBe(a2);
    const expected = definition41(fusion, [latents[0].arraySync()[0], latents[1].arraySync()[0]]).alpha;
    expect(alpha[0][0]).toBeCloseTo(expected[0], 6);
    tf.dispose(latents);
    fusion.dispose();
  });

  it('names its parameters for regularizers and defaults k to the largest latent width', () => {
    const linear = new AttentionFusion('fusion', [8, 5], {}, 1);
    expect(linear.parameters.map((p) => `${p.name}:${p.variable.shape.join('x')}:${p.variable.trainable}`)).toEqual([
      'fusion/projection0/kernel:8x8:true',
      'fusion/projection1/kernel:5x8:true',
    ]);
    const mlp = new AttentionFusion('fusion', [8, 5], { projection: 'mlp', projectionSize: 3 }, 1);
    expect(mlp.parameters.map((p) => `${p.name}:${p.variable.shape.join('x')}`)).toEqual([
      'fusion/projection0/dense0/kernel:8x3',
      'fusion/projection0/dense0/bias:3',
      'fusion/projection0/dense1/kernel:3x3',
      'fusion/projection0/dense1/bias:3',
      'fusion/projection1/dense0/kernel:5x3',
      'fusion/projection1/dense0/bias:3',
      'fusion/projection1/dense1/kernel:3x3',
      'fusion/projection1/dense1/bias:3',
    ]);
    linear.dispose();
    mlp.dispose();
  });

  it('round-trips its config, and the same seed gives the same weights', () => {
    const context = { name: 'fusion', modalities: [], inputSizes: [4, 4, 3], seed: 17 };
    const options = { ...ATTENTION_FUSION_DEFAULTS, projection: 'mlp' as const, scale: 'normalized' as const, powerIterations: 2 };
    const first = createAttentionFusion(options, context);
    const config = first.getConfig();
    expect(config).toEqual({ type: 'attention', ...options, projectionSize: 4 });
    const { type, ...again } = config;
    expect(type).toBe('attention');
    const second = createAttentionFusion(again as unknown as AttentionFusionOptions, context);
    expect(second.getConfig()).toEqual(config);
    first.parameters.forEach((p, i) => expect(Array.from(second.parameters[i].variable.dataSync())).toEqual(Array.from(p.variable.dataSync())));
    first.dispose();
    second.dispose();
  });

  it('frees every variable on dispose and leaks no tensor in apply, gradients or certificates', () => {
    const baseline = tf.memory().numTensors;
    const fusion = new AttentionFusion('fusion', [6, 4], { projection: 'mlp' }, 3);
    const latents = [tf.randomNormal([3, 6]), tf.randomNormal([3, 4])] as tf.Tensor2D[];
    tf.dispose(fusion.apply(latents));
    const before = tf.memory().numTensors;
    for (let step = 0; step < 3; step++) {
      tf.dispose(fusion.apply(latents));
      tf.dispose(fusion.coefficients(latents));
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(fusion.apply(latents))) as tf.Scalar);
      tf.dispose([value, ...Object.values(grads)]);
      fusion.certifiedLipschitz({ inputRadius: 2, minInputNorm: 0.5 });
      fusion.spectralEstimates();
      fusion.refineSpectralEstimates(2);
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(latents);
    fusion.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('gives finite values and gradients for an all-zero latent (a dead ReLU encoder)', () => {
    const fusion = new AttentionFusion('fusion', [3, 3], {}, 4);
    const zero = tf.zeros([2, 3]) as tf.Tensor2D;
    const other = tf.ones([2, 3]) as tf.Tensor2D;
    const [gz, go] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(fusion.apply([a as tf.Tensor2D, b as tf.Tensor2D])))([zero, other]);
    const y = fusion.apply([zero, other]);
    for (const t of [gz, go, y]) expect(Array.from(t.dataSync()).every(Number.isFinite)).toBe(true);
    tf.dispose([zero, other, gz, go, y]);
    fusion.dispose();
  });

  it('explains what is wrong with its inputs', () => {
    expect(() => new AttentionFusion('fusion', [4])).toThrow('the attention fusion scores pairs of modalities, so it needs at least two; got 1');
    expect(() => new AttentionFusion('fusion', [4, 4], { normalizeInputs: false, scale: 'normalized' })).toThrow('scale "normalized" multiplies the normalised latents, so it needs normalizeInputs: true');
    const fusion = new AttentionFusion('fusion', [4, 3], {}, 0, ['camera', 'joints']);
    const a = tf.zeros([2, 4]) as tf.Tensor2D;
    const b = tf.zeros([2, 5]) as tf.Tensor2D;
    expect(() => fusion.apply([a])).toThrow('fusion: expected 2 latents (camera, joints), got 1');
    expect(() => fusion.apply([a, b])).toThrow('fusion: latent of joints has shape [2, 5]; expected [2, 3]');
    tf.dispose([a, b]);
    fusion.dispose();
  });
});

describe('ATTENTION_FUSION_SCHEMA', () => {
  const ajv = new Ajv2020({ allErrors: true, useDefaults: true, strict: true, strictRequired: false, allowUnionTypes: true });
  const validate = ajv.compile(ATTENTION_FUSION_SCHEMA);

  it('fills in the documented defaults (the stabilised variant of the reference implementation)', () => {
    const options = {};
    expect(validate(options)).toBe(true);
    expect(options).toEqual({ ...ATTENTION_FUSION_DEFAULTS });
    expect(ATTENTION_FUSION_DEFAULTS).toMatchObject({ normalizeInputs: true, spectralNorm: true, scaleScores: true, scale: 'input', projection: 'linear' });
  });

  it('rejects unknown keys and values out of range, and describes every property', () => {
    expect(validate({ normalise: true })).toBe(false);
    expect(validate({ scale: 'both' })).toBe(false);
    expect(validate({ powerIterations: 0 })).toBe(false);
    expect(validate({ projectionSize: 2.5 })).toBe(false);
    for (const [key, property] of Object.entries(ATTENTION_FUSION_SCHEMA.properties)) {
      expect([key, typeof (property as { description?: unknown }).description]).toEqual([key, 'string']);
    }
  });
});

describe('fusion-attention plugin', () => {
  it('is found from its package folder and registers "attention"', () => {
    const container = new Container();
    container.load(coreModule);
    loadPlugins(container, ['.'], join(__dirname, '..'));
    const registry = container.get<ComponentRegistry>(ComponentRegistry);
    const registration = registry.get('fusion', 'attention');
    expect(registration.source).toBe('@mmfuse/fusion-attention');
    expect(registration.optionsSchema).toEqual(ATTENTION_FUSION_SCHEMA);
    const fusion = registry.create('fusion', { type: 'attention', ...ATTENTION_FUSION_DEFAULTS }, { name: 'fusion', modalities: [], inputSizes: [4, 4], seed: 0 });
    expect(fusion.outputSize).toBe(8);
    expect(fusion.getConfig()).toEqual({ type: 'attention', ...ATTENTION_FUSION_DEFAULTS, projectionSize: 4 });
    fusion.dispose();
  });
});
