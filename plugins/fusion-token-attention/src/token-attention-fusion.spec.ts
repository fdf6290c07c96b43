import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@mmfuse/backend';
import { createTokenAttentionFusion, TokenAttentionFusion } from './token-attention-fusion';
import { TokenAttentionOptions } from './token-attention-options';
import { createRng, gaussianMatrix, randomizeParameters, referenceForward, referenceWeights } from './testing/token-attention-reference';

beforeAll(async () => {
  await initBackend('cpu');
});

/** Sets the kernel `<name>/<local>/kernel` from W (out × in, the formula's orientation). */
function setMatrix(fusion: TokenAttentionFusion, local: string, W: number[][]): void {
  const parameter = fusion.parameters.find((p) => p.name === `${fusion.name}/${local}/kernel`)!;
  const kernel = tf.tidy(() => tf.transpose(tf.tensor2d(W)));
  parameter.variable.assign(kernel);
  kernel.dispose();
}

const WIDTHS: Record<number, number[]> = { 2: [3, 5], 3: [3, 5, 4] };

const VARIANTS: Array<Partial<TokenAttentionOptions>> = [{}, { spectralNorm: true }, { residual: false }, { spectralNorm: true, residual: false, powerIterations: 3 }];

describe.each([2, 3])('TokenAttentionFusion with M = %i', (M) => {
  describe.each([1, 2])('and H = %i', (H) => {
    it.each(VARIANTS)('equals the float64 re-implementation, with its attention and modality weights: %j', (options) => {
      const widths = WIDTHS[M];
      const fusion = new TokenAttentionFusion('fusion', widths, { tokenSize: 6, heads: H, ...options }, 2);
      // large enough weights that spectral normalisation divides (σ > 1) and the softmax is far from uniform
      randomizeParameters(fusion, createRng(`forward-${M}-${H}`), 0.9);
      // converged, so σ̂ does not move between the calls below
      fusion.refineSpectralEstimates(200);
      const batch = widths.map((d, i) => gaussianMatrix(createRng(`x${i}`), 4, d, 1.5));
      const latents = batch.map((rows) => tf.tensor2d(rows));
      const y = fusion.apply(latents);
      const attention = fusion.attention(latents);
      const modalityWeights = fusion.modalityWeights(latents).arraySync() as number[][];
      expect(y.shape).toEqual([4, M * 6]);
      expect(fusion.outputSize).toBe(M * 6);
      expect(attention.shape).toEqual([4, H, M, M]);
      const got = y.arraySync() as number[][];
      const gotAttention = attention.arraySync() as number[][][][];
      const weights = referenceWeights(fusion);
      if (options.spectralNorm) expect(Math.min(...Object.values(fusion.spectralEstimates()))).toBeGreaterThan(1);
      for (let n = 0; n < 4; n++) {
        const expected = referenceForward(
          weights,
          batch.map((rows) => rows[n]),
        );
        const scale = Math.max(1, ...expected.output.map(Math.abs));
        got[n].forEach((v, r) => expect(Math.abs(v - expected.output[r])).toBeLessThan(1e-5 * scale));
        gotAttention[n].forEach((A, h) => A.forEach((row, i) => row.forEach((a, j) => expect(a).toBeCloseTo(expected.attention[h][i][j], 5))));
        modalityWeights[n].forEach((w, j) => expect(w).toBeCloseTo(expected.modalityWeights[j], 5));
      }
      // the softmax is not uniform here, so the comparison above is not trivially satisfied
      expect(Math.max(...gotAttention.flat(3)) - Math.min(...gotAttention.flat(3))).toBeGreaterThan(0.1);
      tf.dispose([y, attention, ...latents]);
      fusion.dispose();
    });
  });
});

describe('TokenAttentionFusion', () => {
  it('names its parameters and buffers, defaults D to the largest latent width and H to 4', () => {
    const fusion = new TokenAttentionFusion('fusion', [8, 5], {}, 1);
    expect(fusion.options).toMatchObject({ tokenSize: 8, heads: 4, residual: true, spectralNorm: false, init: 'pytorch' });
    expect(fusion.outputSize).toBe(16);
    expect(fusion.parameters.map((p) => `${p.name}:${p.variable.shape.join('x')}:${p.variable.trainable}`)).toEqual([
      'fusion/token0/kernel:8x8:true',
      'fusion/token1/kernel:5x8:true',
      ...[0, 1, 2, 3].flatMap((h) => ['query', 'key', 'value'].map((kind) => `fusion/head${h}/${kind}/kernel:8x2:true`)),
      'fusion/output/kernel:8x8:true',
    ]);
    expect(fusion.buffers).toEqual([]);
    const normalized = new TokenAttentionFusion('fusion', [8, 5], { heads: 2, spectralNorm: true }, 1);
    expect(normalized.buffers.map((b) => `${b.name}:${b.variable.shape.join('x')}:${b.variable.trainable}`)).toEqual([
      'fusion/token0/power-iteration:8x1:false',
      'fusion/token1/power-iteration:8x1:false',
      ...[0, 1].flatMap((h) => ['query', 'key', 'value'].map((kind) => `fusion/head${h}/${kind}/power-iteration:4x1:false`)),
      'fusion/output/power-iteration:8x1:false',
    ]);
    fusion.dispose();
    normalized.dispose();
  });

  it('mixes nothing in without the residual when O = 0, and keeps exactly the tokens with it', () => {
    for (const residual of [true, false]) {
      const fusion = new TokenAttentionFusion('fusion', [3, 4], { tokenSize: 4, heads: 2, residual }, 5);
      setMatrix(fusion, 'output', gaussianMatrix(createRng(0), 4, 4, 0));
      const xs = [tf.tensor2d(gaussianMatrix(createRng(1), 2, 3)), tf.tensor2d(gaussianMatrix(createRng(2), 2, 4))];
      const tokens = tf.tidy(() => tf.concat(xs.map((x, i) => tf.matMul(x, fusion.parameters[i].variable as tf.Tensor2D)), 1));
      const y = fusion.apply(xs);
      const expected = (tokens.arraySync() as number[][]).map((row) => row.map((t) => (residual ? t : 0)));
      (y.arraySync() as number[][]).forEach((row, n) => row.forEach((v, c) => expect(v).toBeCloseTo(expected[n][c], 6)));
      tf.dispose([y, tokens, ...xs]);
      fusion.dispose();
    }
  });

  it('round-trips its config, and the same seed gives the same weights', () => {
    const context = { name: 'fusion', modalities: [], inputSizes: [4, 6, 3], seed: 17 };
    const options = { heads: 3, init: 'glorot' as const, spectralNorm: true, powerIterations: 2, residual: false };
    const first = createTokenAttentionFusion(options, context);
    const config = first.getConfig();
    expect(config).toEqual({ type: 'token-attention', ...options, tokenSize: 6 });
    const { type, ...again } = config;
    expect(type).toBe('token-attention');
    const second = createTokenAttentionFusion(again as unknown as TokenAttentionOptions, context);
    expect(second.getConfig()).toEqual(config);
    first.parameters.forEach((p, i) => expect(Array.from(second.parameters[i].variable.dataSync())).toEqual(Array.from(p.variable.dataSync())));
    const other = createTokenAttentionFusion(options, { ...context, seed: 18 });
    expect(Array.from(other.parameters[0].variable.dataSync())).not.toEqual(Array.from(first.parameters[0].variable.dataSync()));
    first.dispose();
    second.dispose();
    other.dispose();
  });

  it('frees every variable on dispose and leaks no tensor in apply, attention, weights, gradients or certificates', () => {
    const baseline = tf.memory().numTensors;
    const fusion = new TokenAttentionFusion('fusion', [6, 4], { heads: 2, spectralNorm: true }, 3);
    const latents = [tf.randomNormal([3, 6]), tf.randomNormal([3, 4])] as tf.Tensor2D[];
    tf.dispose(fusion.apply(latents));
    const before = tf.memory().numTensors;
    for (let step = 0; step < 3; step++) {
      tf.dispose(fusion.apply(latents));
      tf.dispose(fusion.attention(latents));
      tf.dispose(fusion.modalityWeights(latents));
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(fusion.apply(latents))) as tf.Scalar);
      tf.dispose([value, ...Object.values(grads)]);
      fusion.certifiedLipschitz({ inputRadius: 2 });
      fusion.spectralEstimates();
      fusion.refineSpectralEstimates(2);
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(latents);
    fusion.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('explains what is wrong with its inputs and options', () => {
    expect(() => new TokenAttentionFusion('fusion', [4])).toThrow('the token-attention fusion attends across modalities, so it needs at least two; got 1');
    expect(() => new TokenAttentionFusion('fusion', [6, 4], { heads: 4 })).toThrow(
      'the token-attention fusion splits each 6-wide token (the largest latent width, the default) into heads of equal width, so tokenSize must be a multiple of heads (4); choose heads from 1, 2, 3, 6 or set tokenSize to a multiple of 4',
    );
    expect(() => new TokenAttentionFusion('fusion', [6, 4], { tokenSize: 10, heads: 3 })).toThrow('so tokenSize must be a multiple of heads (3); choose heads from 1, 2, 5, 10 or set tokenSize to a multiple of 3');
    const fusion = new TokenAttentionFusion('fusion', [4, 3], { heads: 2 }, 0, ['camera', 'joints']);
    const a = tf.zeros([2, 4]) as tf.Tensor2D;
    const b = tf.zeros([2, 5]) as tf.Tensor2D;
    expect(() => fusion.apply([a])).toThrow('fusion: expected 2 latents (camera, joints), got 1');
    expect(() => fusion.modalityWeights([a, b])).toThrow('fusion: latent of joints has shape [2, 5]; expected [2, 3]');
    tf.dispose([a, b]);
    fusion.dispose();
  });
});

describe('modality weights of the token attention', () => {
  it('have mean 1 over the modalities, for every sample and M', () => {
    for (const M of [2, 3, 5]) {
      const widths = Array.from({ length: M }, (_, i) => 3 + i);
      const fusion = new TokenAttentionFusion('fusion', widths, { tokenSize: 6, heads: 3 }, M);
      randomizeParameters(fusion, createRng(`mean-${M}`), 0.6);
      const latents = widths.map((d, i) => tf.tensor2d(gaussianMatrix(createRng(`mean-x${i}`), 5, d, 2)));
      const weights = fusion.modalityWeights(latents).arraySync() as number[][];
      expect(weights).toHaveLength(5);
      for (const row of weights) {
        expect(row.reduce((a, b) => a + b, 0) / M).toBeCloseTo(1, 5);
        for (const w of row) expect(w).toBeGreaterThanOrEqual(0);
      }
      // and they are not all 1: the attention is input-dependent here
      expect(Math.max(...weights.flat().map((w) => Math.abs(w - 1)))).toBeGreaterThan(0.05);
      tf.dispose(latents);
      fusion.dispose();
    }
  });

  it.each([2, 3])('give M to a modality whose key dominates every score (M = %i)', (M) => {
    const D = 4;
    const widths = new Array(M).fill(D);
    const fusion = new TokenAttentionFusion('fusion', widths, { tokenSize: D, heads: 2 }, 7);
    randomizeParameters(fusion, createRng('dominant'), 0.5);
    const dominant = M - 1;
    // every token carries its modality's first coordinate in coordinate 0; only the dominant
    // modality's token has anything in coordinate 1 (a copy of the same coordinate)
    for (let i = 0; i < M; i++) setMatrix(fusion, `token${i}`, [[1, 0, 0, 0], i === dominant ? [1, 0, 0, 0] : [0, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]);
    const xs = widths.map((d, i) => [1, ...gaussianMatrix(createRng(`dom-${i}`), 1, d - 1)[0]]);
    const latents = xs.map((x) => tf.tensor2d([x]));
    const weightAt = (lambda: number): number[] => {
      // q_i = t_i[0] = 1 for every i, k_j = λ t_j[1]: e_ij = λ [j = dominant] / √(D/H)
      for (let h = 0; h < 2; h++) {
        setMatrix(fusion, `head${h}/query`, [[1, 0, 0, 0], [0, 0, 0, 0]]);
        setMatrix(fusion, `head${h}/key`, [[0, lambda, 0, 0], [0, 0, 0, 0]]);
      }
      return (fusion.modalityWeights(latents).arraySync() as number[][])[0];
    };
    const weights = [0, 2, 5, 20].map(weightAt);
    // λ = 0: uniform attention
    weights[0].forEach((w) => expect(w).toBeCloseTo(1, 5));
    for (let s = 1; s < weights.length; s++) expect(weights[s][dominant]).toBeGreaterThan(weights[s - 1][dominant]);
    // softmax over e = (0, …, 0, λ/√2): the dominant weight is M e^{λ/√2} / (M − 1 + e^{λ/√2})
    const closed = (lambda: number) => (M * Math.exp(lambda / Math.SQRT2)) / (M - 1 + Math.exp(lambda / Math.SQRT2));
    expect(weights[2][dominant]).toBeCloseTo(closed(5), 4);
    expect(weights[3][dominant]).toBeGreaterThan(M * (1 - 1e-5));
    weights[3].forEach((w, j) => j !== dominant && expect(w).toBeLessThan(1e-5));
    tf.dispose(latents);
    fusion.dispose();
  });

  it('differ between the two modalities at M = 2 (self-scores make the attention asymmetric)', () => {
    const fusion = new TokenAttentionFusion('fusion', [4, 6], { tokenSize: 4, heads: 2 }, 9);
    randomizeParameters(fusion, createRng('asymmetric'), 1);
    const latents = [tf.tensor2d(gaussianMatrix(createRng('a'), 8, 4, 1.5)), tf.tensor2d(gaussianMatrix(createRng('b'), 8, 6, 1.5))];
    const weights = fusion.modalityWeights(latents).arraySync() as number[][];
    const gaps = weights.map(([w1, w2]) => Math.abs(w1 - w2));
    expect(Math.max(...gaps)).toBeGreaterThan(0.1);
    // and attention rows are not mirror images: A_12 ≠ A_21 somewhere
    const attention = fusion.attention(latents).arraySync() as number[][][][];
    expect(Math.max(...attention.flatMap((heads) => heads.map((A) => Math.abs(A[0][1] - A[1][0]))))).toBeGreaterThan(0.05);
    tf.dispose(latents);
    fusion.dispose();
  });
});
