import * as tf from '@tensorflow/tfjs-core';
import Ajv2020 from 'ajv/dist/2020';
import { initBackend } from '@mmfuse/backend';
import { createRng, isUserInputError } from '@mmfuse/core';
import { ConfigValidator } from '@mmfuse/config';
import { createFeatureGateFusion, FeatureGateFusion } from './feature-gate-fusion';
import { FEATURE_GATE_DEFAULTS, FEATURE_GATE_SCHEMA, FeatureGateOptions } from './feature-gate-options';
import { experimentConfig, pluginRegistry } from './testing/feature-gate-experiment';
import { autodiffJacobian, centralDifferenceJacobian, fusedSample, gaussianRows, randomizeParameters, referenceForward } from './testing/feature-gate-test-utils';

beforeAll(async () => {
  await initBackend('cpu');
});

function withLatents<T>(batch: number[][][], use: (latents: tf.Tensor2D[]) => T): T {
  const latents = batch.map((rows) => tf.tensor2d(rows));
  try {
    return use(latents);
  } finally {
    tf.dispose(latents);
  }
}

function read(t: tf.Tensor2D): number[][] {
  const values = t.arraySync();
  t.dispose();
  return values;
}

describe.each([2, 3])('FeatureGateFusion with M = %i latents', (M) => {
  const d = 4;

  it.each<Partial<FeatureGateOptions>>([{}, { residual: true }, { hiddenSize: 3, init: 'he' }, { hiddenSize: 7, init: 'glorot' }])(
    'computes g ⊙ mean + (1 − g) ⊙ min as a float64 re-implementation does: %j',
    (options) => {
      const fusion = new FeatureGateFusion('fusion', new Array(M).fill(d), options, 5);
      randomizeParameters(fusion, createRng(`forward-${M}`), 0.8);
      const batch = Array.from({ length: M }, (_, m) => gaussianRows(createRng(`x${m}`), 5, d, 1.5));
      // a tie of the minimum in every feature of one sample
      batch[1][2] = batch[0][2].slice();
      const [output, gates] = withLatents(batch, (latents) => [read(fusion.apply(latents)), read(fusion.gates(latents))]);
      expect(fusion.outputSize).toBe(d);
      for (let n = 0; n < 5; n++) {
        const expected = referenceForward(fusion, batch.map((rows) => rows[n]));
        const scale = Math.max(1, ...expected.output.map(Math.abs));
        output[n].forEach((v, c) => expect(Math.abs(v - expected.output[c])).toBeLessThan(1e-5 * scale));
        gates[n].forEach((g, c) => expect(Math.abs(g - expected.gate[c])).toBeLessThan(1e-6));
      }
      fusion.dispose();
    },
  );

  it('has a Jacobian by autodiff that central differences of its forward pass confirm, away from kinks', () => {
    const rng = createRng(`jacobian-${M}`);
    const h = 1e-2;
    let checked = 0;
    for (const residual of [false, true]) {
      const fusion = new FeatureGateFusion('fusion', new Array(M).fill(d), { hiddenSize: 5, residual }, 9);
      randomizeParameters(fusion, rng, 0.7);
      for (let trial = 0; trial < 12; trial++) {
        const xs = gaussianRows(rng, M, d);
        const reference = referenceForward(fusion, xs);
        // central differences are only exact where no ReLU or minimum switches within the step: a
        // step h moves a pre-activation by at most h·|W₁ entry| (below 3h for these weights)
        if (Math.min(...reference.minGap) < 2 * h || Math.min(...reference.hiddenPreActivation.map(Math.abs)) < 3 * h) continue;
        const autodiff = autodiffJacobian(fusion, xs);
        const numeric = centralDifferenceJacobian(fusion, xs, h);
        const scale = Math.max(...autodiff.flat().map(Math.abs));
        const worst = Math.max(...autodiff.flatMap((row, r) => row.map((v, c) => Math.abs(v - numeric[r][c]))));
        expect(worst).toBeLessThan(2e-3 * scale);
        checked++;
      }
      fusion.dispose();
    }
    // the comparison above ran, and not only once
    expect(checked).toBeGreaterThanOrEqual(8);
  });

  it('splits the gradient of a tied minimum: exact along the direction that moves the tied entries together', () => {
    const fusion = new FeatureGateFusion('fusion', new Array(M).fill(d), {}, 4);
    randomizeParameters(fusion, createRng(`tie-${M}`), 0.5);
    const xs = gaussianRows(createRng(`tie-x-${M}`), M, d);
    // latents 0 and 1 tie at the minimum of feature 2
    xs[0][2] = xs[1][2] = Math.min(...xs.map((x) => x[2])) - 1;
    const h = 1e-2;
    const moved = (sign: number) => fusedSample(fusion, xs.map((x, m) => (m < 2 ? x.map((v, i) => (i === 2 ? v + sign * h : v)) : x)));
    const [plus, minus] = [moved(1), moved(-1)];
    const along = plus.map((v, r) => (v - minus[r]) / (2 * h));
    const autodiff = autodiffJacobian(fusion, xs);
    autodiff.forEach((row, r) => expect(row[2] + row[d + 2]).toBeCloseTo(along[r], 3));
    fusion.dispose();
  });

  it('gives each tied entry an equal share of the minimum: g/M + (1 − g)/k with the gate held constant', () => {
    const fusion = new FeatureGateFusion('fusion', new Array(M).fill(d), {}, 4);
    // W₂ = 0: g = sigmoid(b₂) everywhere
    randomizeParameters(fusion, createRng(`split-${M}`), 0.5, { 'gate/dense1/kernel': 0, 'gate/dense1/bias': 0.4 });
    const g = 1 / (1 + Math.exp(-0.4));
    const xs = gaussianRows(createRng(`split-x-${M}`), M, d);
    xs.forEach((x) => (x[1] = -3)); // all M tie in feature 1
    xs[0][3] = xs[M - 1][3] = Math.min(...xs.map((x) => x[3])) - 1; // two tie in feature 3
    const J = autodiffJacobian(fusion, xs);
    for (let m = 0; m < M; m++) {
      expect(J[1][m * d + 1]).toBeCloseTo(g / M + (1 - g) / M, 6);
      expect(J[3][m * d + 3]).toBeCloseTo(g / M + (m === 0 || m === M - 1 ? (1 - g) / 2 : 0), 6);
    }
    fusion.dispose();
  });
});

describe.each([2, 3])('modality weights of the feature gate, M = %i', (M) => {
  const d = 5;

  it('have mean 1 over the modalities, with or without the residual mean', () => {
    for (const residual of [false, true]) {
      const fusion = new FeatureGateFusion('fusion', new Array(M).fill(d), { residual }, 2);
      const batch = Array.from({ length: M }, (_, m) => gaussianRows(createRng(`w${m}`), 6, d));
      const weights = withLatents(batch, (latents) => read(fusion.modalityWeights(latents)));
      expect(weights).toHaveLength(6);
      for (const row of weights) {
        expect(row).toHaveLength(M);
        expect(row.reduce((a, b) => a + b, 0) / M).toBeCloseTo(1, 6);
      }
      // they do vary with the sample: the minimum moves between modalities
      expect(Math.max(...weights.flat()) - Math.min(...weights.flat())).toBeGreaterThan(0.1);
      fusion.dispose();
    }
  });

  it('are M times the mean diagonal Jacobian entry ∂z_c/∂x_{m,c} when the gate is constant', () => {
    const fusion = new FeatureGateFusion('fusion', new Array(M).fill(d), {}, 2);
    randomizeParameters(fusion, createRng('constant-gate'), 1, { 'gate/dense1/kernel': 0, 'gate/dense1/bias': -0.7 });
    const xs = gaussianRows(createRng(`diagonal-${M}`), M, d);
    const J = autodiffJacobian(fusion, xs);
    const weights = withLatents(xs.map((x) => [x]), (latents) => read(fusion.modalityWeights(latents)))[0];
    weights.forEach((w, m) => {
      const diagonal = Array.from({ length: d }, (_, c) => J[c][m * d + c]);
      expect(w).toBeCloseTo((M * diagonal.reduce((a, b) => a + b, 0)) / d, 5);
    });
    fusion.dispose();
  });

  it('give the modality that is smaller everywhere weight M when the gate is driven shut, and 1 each when it is wide open', () => {
    const fusion = new FeatureGateFusion('fusion', new Array(M).fill(d), {}, 3);
    const batch = Array.from({ length: M }, (_, m) => gaussianRows(createRng(`s${m}`), 4, d));
    const smallest = M - 1;
    batch[smallest] = batch[smallest].map((row, n) => row.map((_, c) => Math.min(...batch.slice(0, smallest).map((rows) => rows[n][c])) - 0.5));
    const weightsWith = (outputBias: number) => {
      randomizeParameters(fusion, createRng('shut'), 0.3, { 'gate/dense1/bias': outputBias });
      return withLatents(batch, (latents) => read(fusion.modalityWeights(latents)));
    };
    for (const row of weightsWith(-40)) row.forEach((w, m) => expect(w).toBeCloseTo(m === smallest ? M : 0, 6));
    for (const row of weightsWith(40)) row.forEach((w) => expect(w).toBeCloseTo(1, 6));
    fusion.dispose();
  });
});

describe('FeatureGateFusion', () => {
  it('names its parameters fusion/gate/dense{0,1}/{kernel,bias} and defaults the hidden width to d', () => {
    const shapes = (f: FeatureGateFusion) => f.parameters.map((p) => `${p.name}:${p.variable.shape.join('x')}`);
    const defaults = new FeatureGateFusion('fusion', [6, 6, 6], {}, 1);
    expect(shapes(defaults)).toEqual(['fusion/gate/dense0/kernel:18x6', 'fusion/gate/dense0/bias:6', 'fusion/gate/dense1/kernel:6x6', 'fusion/gate/dense1/bias:6']);
    const narrow = new FeatureGateFusion('fusion', [6, 6], { hiddenSize: 2 }, 1);
    expect(shapes(narrow)).toEqual(['fusion/gate/dense0/kernel:12x2', 'fusion/gate/dense0/bias:2', 'fusion/gate/dense1/kernel:2x6', 'fusion/gate/dense1/bias:6']);
    defaults.dispose();
    narrow.dispose();
  });

  it('round-trips its config, and the same seed gives the same weights', () => {
    const context = { name: 'fusion', modalities: [], inputSizes: [4, 4], seed: 17 };
    const options = { ...FEATURE_GATE_DEFAULTS, init: 'glorot' as const, residual: true };
    const first = createFeatureGateFusion(options, context);
    const config = first.getConfig();
    expect(config).toEqual({ type: 'feature-gate', ...options, hiddenSize: 4 });
    const { type: _type, ...again } = config;
    const second = createFeatureGateFusion(again as unknown as FeatureGateOptions, context);
    expect(second.getConfig()).toEqual(config);
    first.parameters.forEach((p, i) => expect(Array.from(second.parameters[i].variable.dataSync())).toEqual(Array.from(p.variable.dataSync())));
    first.dispose();
    second.dispose();
  });

  it('frees every variable on dispose and leaks no tensor in apply, gates, weights, gradients or certificates', () => {
    const baseline = tf.memory().numTensors;
    const fusion = new FeatureGateFusion('fusion', [5, 5, 5], { residual: true }, 3);
    const latents = [tf.randomNormal([3, 5]), tf.randomNormal([3, 5]), tf.zeros([3, 5])] as tf.Tensor2D[];
    const before = tf.memory().numTensors;
    for (let step = 0; step < 3; step++) {
      tf.dispose([fusion.apply(latents), fusion.gates(latents), fusion.modalityWeights(latents)]);
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(fusion.apply(latents))) as tf.Scalar);
      tf.dispose([value, ...Object.values(grads)]);
      tf.dispose(tf.grads((...xs: tf.Tensor[]) => tf.sum(fusion.apply(xs as tf.Tensor2D[])))(latents));
      fusion.certifiedLipschitz({ inputRadius: 2 });
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(latents);
    fusion.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('explains what is wrong with its inputs', () => {
    const userError = (build: () => unknown) => {
      try {
        build();
      } catch (error) {
        expect(isUserInputError(error)).toBe(true);
        return (error as Error).message;
      }
      throw new Error('expected an error');
    };
    expect(userError(() => new FeatureGateFusion('fusion', [4]))).toBe(
      'the feature-gate fusion mixes the mean and the minimum of the latents, so it needs at least two modalities; got 1',
    );
    expect(userError(() => new FeatureGateFusion('fusion', [36, 8], {}, 0, ['camera', 'joints']))).toBe(
      'the feature-gate fusion mixes the latents feature by feature, so they need one width; got camera: 36, joints: 8',
    );
    const fusion = new FeatureGateFusion('fusion', [3, 3], {}, 0, ['camera', 'joints']);
    const a = tf.zeros([2, 3]) as tf.Tensor2D;
    const b = tf.zeros([2, 4]) as tf.Tensor2D;
    expect(() => fusion.apply([a])).toThrow('fusion: expected 2 latents (camera, joints), got 1');
    expect(() => fusion.modalityWeights([a, b])).toThrow('fusion: latent of joints has shape [2, 4]; expected [2, 3]');
    tf.dispose([a, b]);
    fusion.dispose();
  });
});

describe('FEATURE_GATE_SCHEMA', () => {
  const ajv = new Ajv2020({ allErrors: true, useDefaults: true, strict: true, strictRequired: false, allowUnionTypes: true });
  const validate = ajv.compile(FEATURE_GATE_SCHEMA);

  it('fills in the documented defaults and describes every property', () => {
    const options = {};
    expect(validate(options)).toBe(true);
    expect(options).toEqual({ init: 'pytorch', residual: false });
    for (const [key, property] of Object.entries(FEATURE_GATE_SCHEMA.properties)) {
      expect([key, typeof (property as { description?: unknown }).description]).toEqual([key, 'string']);
    }
  });

  it('rejects unknown keys and values out of range', () => {
    expect(validate({ hidden: 4 })).toBe(false);
    expect(validate({ hiddenSize: 0 })).toBe(false);
    expect(validate({ hiddenSize: 2.5 })).toBe(false);
    expect(validate({ init: 'xavier' })).toBe(false);
    expect(validate({ residual: 'yes' })).toBe(false);
    expect(validate({ hiddenSize: 16, init: 'he', residual: true })).toBe(true);
  });
});

describe('fusion-feature-gate plugin', () => {
  it('is found from its package folder and registers "feature-gate"', () => {
    const registry = pluginRegistry();
    const registration = registry.get('fusion', 'feature-gate');
    expect(registration.source).toBe('@mmfuse/fusion-feature-gate');
    expect(registration.optionsSchema).toEqual(FEATURE_GATE_SCHEMA);
    const fusion = registry.create('fusion', { type: 'feature-gate', ...FEATURE_GATE_DEFAULTS }, { name: 'fusion', modalities: [], inputSizes: [4, 4], seed: 0 });
    expect(fusion.outputSize).toBe(4);
    expect(fusion.getConfig()).toEqual({ type: 'feature-gate', ...FEATURE_GATE_DEFAULTS, hiddenSize: 4 });
    fusion.dispose();
  });

  it('has its options validated in an experiment config, with errors that name the JSON path', () => {
    const validator = new ConfigValidator(pluginRegistry());
    const problems = (fusion: Record<string, unknown>) => {
      try {
        validator.validate(experimentConfig(fusion));
        return [];
      } catch (error) {
        expect(isUserInputError(error)).toBe(true);
        return (error as { lines: string[] }).lines;
      }
    };
    expect(problems({ hiddenSize: 0 })).toEqual(['fusions[0].hiddenSize: expected a number >= 1, got number 0']);
    expect(problems({ init: 'xavier' })).toEqual([expect.stringMatching(/^fusions\[0\]\.init: expected one of "pytorch", "he", "glorot", got string "xavier"/)]);
    expect(problems({ hiddenSise: 4 })[0]).toMatch(/^fusions\[0\]\.hiddenSise: unknown key "hiddenSise"\. Did you mean "hiddenSize"\?/);
    expect(validator.validate(experimentConfig({ hiddenSize: 4 })).fusions[0]).toEqual({ type: 'feature-gate', hiddenSize: 4, init: 'pytorch', residual: false });
  });
});
