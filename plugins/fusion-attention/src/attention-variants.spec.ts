import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@mmfuse/backend';
import { hasModalityWeights } from '@mmfuse/core';
import { AttentionFusion } from './attention-fusion';
import { AttentionFusionOptions } from './attention-fusion-options';
import { attentionJacobian } from './attention-jacobian';
import {
  autodiffJacobian,
  createRng,
  empiricalEstimates,
  finiteDifferenceJacobian,
  gaussianMatrix,
  gaussianVector,
  maxAbs,
  maxAbsDifference,
  outputOf,
  randomizeParameters,
  spectralNorm,
} from './testing/fusion-test-utils';

beforeAll(async () => {
  await initBackend('cpu');
});

const RAW: Partial<AttentionFusionOptions> = { normalizeInputs: false, spectralNorm: false, scaleScores: false };

/** Every variant: the scores and the gate, on raw and on normalised inputs. */
const VARIANTS: [string, Partial<AttentionFusionOptions>][] = [
  ['residual gate, pairwise scores', { gate: 'residual' }],
  ['exponential gate, pairwise scores', { gate: 'exponential' }],
  ['linear gate, query-key scores', { scores: 'query-key' }],
  ['residual gate, query-key scores', { scores: 'query-key', gate: 'residual', gateGain: 1.7 }],
  ['exponential gate, query-key scores', { scores: 'query-key', gate: 'exponential' }],
  ['softmax gate, query-key scores', { scores: 'query-key', gate: 'softmax' }],
  ['softmax gate, query-key scores, learned gain, W/σ', { scores: 'query-key', gate: 'softmax', learnGain: true, spectralMode: 'rescale' }],
];

/** Sets every weight to seeded Gaussian values and a learned gain back to a positive value. */
function randomize(fusion: AttentionFusion, seed: string, std: number): void {
  randomizeParameters(fusion, createRng(seed), std);
  const gain = fusion.parameters.find((p) => p.name === `${fusion.name}/gate-gain`);
  if (gain) gain.variable.assign(tf.scalar(1.3));
  fusion.refineSpectralEstimates(300);
}

function reference(fusion: AttentionFusion, xs: number[][]) {
  const o = fusion.options;
  return attentionJacobian({
    weights: fusion.projectionMatrices(),
    keys: o.scores === 'query-key' ? fusion.keyMatrices() : undefined,
    latents: xs,
    normalizeInputs: o.normalizeInputs,
    epsilon: o.epsilon,
    scoreScale: fusion.scoreScale,
    scale: o.scale,
    scores: o.scores,
    gate: o.gate,
    gain: fusion.gateGain,
  });
}

describe.each([2, 3])('attention variants, M = %i', (M) => {
  const widths = M === 2 ? [4, 3] : [4, 3, 5];

  describe.each(VARIANTS.map(([label, options], index) => [label, options, index] as const))('%s', (_, variant, index) => {
    it.each<[string, Partial<AttentionFusionOptions>]>([
      ['raw inputs', { ...RAW, ...variant, spectralNorm: variant.spectralMode !== undefined }],
      ['normalised inputs, spectral norm, scores / √k', variant],
    ])('has the float64 chain-rule Jacobian, equal to autodiff and to finite differences: %s', (__, options) => {
      const fusion = new AttentionFusion('fusion', widths, { projectionSize: 4, ...options }, 5);
      randomize(fusion, `jacobian-${M}-${JSON.stringify(options)}`, 0.8);
      const xs = widths.map((d, i) => gaussianVector(createRng(`x${i}`), d, 0.9));
      const ref = reference(fusion, xs);
      const autodiff = autodiffJacobian(fusion, xs);
      expect(maxAbs(ref.jacobian)).toBeGreaterThan(1e-2);
      expect(maxAbsDifference(autodiff, ref.jacobian)).toBeLessThan(1e-5 * Math.max(1, maxAbs(ref.jacobian)));
      expect(Math.max(...outputOf(fusion, xs).map((v, i) => Math.abs(v - ref.output[i])))).toBeLessThan(1e-5 * Math.max(1, ...ref.output.map(Math.abs)));
      // the gates the fusion reports are the ones it applies
      const latents = xs.map((x) => tf.tensor2d([x]));
      const gates = fusion.modalityWeights(latents);
      Array.from(gates.dataSync()).forEach((g, i) => expect(Math.abs(g - ref.gates[i])).toBeLessThan(2e-6 * Math.max(1, Math.abs(ref.gates[i]))));
      tf.dispose([gates, ...latents]);
      // float32 central differences: agreement to the size of their truncation and rounding error
      const finite = finiteDifferenceJacobian(fusion, xs, 1e-2);
      expect(maxAbsDifference(finite, ref.jacobian)).toBeLessThan(2e-3 * Math.max(1, maxAbs(ref.jacobian)));
      fusion.dispose();
    });

    // Every variant is searched at M = 2 and every other one at M = 3 (the bound's M-dependence is
    // the same code for all), small and large weights alternating, to keep the search affordable.
    if (M === 2 || index % 2 === 0) {
      it('stays below its certified bound under random and adversarial search', () => {
        const [std, rho, R] = (index + M) % 2 === 0 ? [0.6, 0.5, 1.5] : [1.2, 0.5, 2];
        const fusion = new AttentionFusion('fusion', widths, { projectionSize: 4, ...variant }, 3);
        randomize(fusion, `bound-${M}-${std}-${JSON.stringify(variant)}`, std);
        const certificate = fusion.certifiedLipschitz({ inputRadius: R, minInputNorm: rho });
        const estimates = empiricalEstimates(fusion, createRng(`search-${M}-${std}`), rho, R);
        expect(Number.isFinite(certificate.value)).toBe(true);
        expect(estimates.jacobian).toBeGreaterThan(0);
        expect(estimates.jacobian).toBeLessThanOrEqual(certificate.value);
        expect(estimates.quotient).toBeLessThanOrEqual(certificate.value);
        expect(certificate.assumptions).toContain(`${fusion.options.scores} scores`);
        fusion.dispose();
      });
    }
  });
});

describe('attention variants: what the gates can do', () => {
  const xs = [gaussianVector(createRng('a'), 4, 1), gaussianVector(createRng('b'), 4, 1)];

  it('Definition 4.1 gives both modalities one coefficient at M = 2; query-key scores do not', () => {
    const definition = new AttentionFusion('fusion', [4, 4], { projectionSize: 4 }, 1);
    const queryKey = new AttentionFusion('fusion', [4, 4], { projectionSize: 4, scores: 'query-key' }, 1);
    const pairwise = reference(definition, xs).gates;
    const asymmetric = reference(queryKey, xs).gates;
    expect(pairwise[0]).toBeCloseTo(pairwise[1], 12);
    expect(Math.abs(asymmetric[0] - asymmetric[1])).toBeGreaterThan(1e-3);
    definition.dispose();
    queryKey.dispose();
  });

  it('the softmax gate is positive with mean 1, and lets one modality take almost all the weight at M = 2', () => {
    const fusion = new AttentionFusion('fusion', [4, 4], { projectionSize: 4, scores: 'query-key', gate: 'softmax', normalizeInputs: false, spectralNorm: false, gateGain: 1 }, 1);
    // q_0 = 10·x_0 and k = x: modality 0's score dwarfs modality 1's when x_0 is long
    const identity = (scale: number) => gaussianMatrix(createRng(0), 4, 4, 0).map((row, r) => row.map((__, c) => (r === c ? scale : 0)));
    const set = (name: string, W: number[][]) => {
      const kernel = tf.tidy(() => tf.transpose(tf.tensor2d(W)));
      fusion.parameters.find((p) => p.name === `fusion/${name}/kernel`)!.variable.assign(kernel);
      kernel.dispose();
    };
    set('query0', identity(10));
    set('query1', identity(0));
    set('key0', identity(1));
    set('key1', identity(1));
    const x0 = [1, 1, 1, 1];
    const latents = [tf.tensor2d([x0, x0]), tf.tensor2d([x0, x0.map((v) => -3 * v)])];
    const weights = fusion.modalityWeights(latents).arraySync() as number[][];
    // α_0 = q_0ᵀ(k_0 + k_1) / 2 = 10·(1 + 1)·4 / 2 = 40 and α_1 = 0: modality 0 takes ~all of M = 2;
    // sample 1: k_0 + k_1 = −2·x_0, α_0 = −40, and modality 1 takes it
    expect(weights[0][0]).toBeGreaterThan(1.999);
    expect(weights[1][0]).toBeLessThan(1e-3);
    weights.forEach((row) => expect(row[0] + row[1]).toBeCloseTo(2, 5));
    tf.dispose(latents);
    fusion.dispose();
  });

  it('the exponential gate never changes sign or vanishes where the linear gate does', () => {
    const linear = new AttentionFusion('fusion', [4, 4], { projectionSize: 4, normalizeInputs: false, spectralNorm: false }, 2);
    const exponential = new AttentionFusion('fusion', [4, 4], { projectionSize: 4, normalizeInputs: false, spectralNorm: false, gate: 'exponential' }, 2);
    const rng = createRng('signs');
    const samples = Array.from({ length: 200 }, () => [gaussianVector(rng, 4, 1), gaussianVector(rng, 4, 1)]);
    const linearGates = samples.map((s) => reference(linear, s).gates[0]);
    const exponentialGates = samples.map((s) => reference(exponential, s).gates[0]);
    expect(Math.min(...linearGates)).toBeLessThan(0);
    expect(Math.max(...linearGates)).toBeGreaterThan(0);
    // with |α| ≤ a on the sample, exp(γα) ≥ exp(−γa) > 0
    const a = Math.max(...linearGates.map(Math.abs));
    expect(Math.min(...exponentialGates)).toBeGreaterThanOrEqual(Math.exp(-exponential.gateGain * a) * (1 - 1e-9));
    linear.dispose();
    exponential.dispose();
  });

  it('learns its gain: the parameter gets a gradient and the certificate follows its value', () => {
    const fusion = new AttentionFusion('fusion', [4, 3], { projectionSize: 4, scores: 'query-key', gate: 'exponential', learnGain: true, gateGain: 0.5 }, 4);
    const gain = fusion.parameters.find((p) => p.name === 'fusion/gate-gain')!;
    expect(gain.variable.dataSync()[0]).toBeCloseTo(0.5, 7);
    const latents = [tf.tensor2d([xs[0]]), tf.tensor2d([xs[1].slice(0, 3)])];
    const { grads, value } = tf.variableGrads(() => tf.sum(tf.square(fusion.apply(latents))) as tf.Scalar, [gain.variable]);
    expect(Math.abs(grads[gain.variable.name].dataSync()[0])).toBeGreaterThan(1e-6);
    const before = fusion.certifiedLipschitz({ inputRadius: 2, minInputNorm: 0.5 }).value;
    gain.variable.assign(tf.scalar(2));
    expect(fusion.gateGain).toBeCloseTo(2, 7);
    expect(fusion.certifiedLipschitz({ inputRadius: 2, minInputNorm: 0.5 }).value).toBeGreaterThan(before);
    tf.dispose([value, ...Object.values(grads), ...latents]);
    fusion.dispose();
  });

  it('spectralMode rescale makes every applied matrix\'s largest singular value one, even where σ < 1', () => {
    for (const spectralMode of ['clip', 'rescale'] as const) {
      const fusion = new AttentionFusion('fusion', [6, 6], { projectionSize: 6, spectralMode }, 8);
      randomizeParameters(fusion, createRng('small'), 0.05);
      fusion.refineSpectralEstimates(500);
      const norms = fusion.projectionMatrices().map(spectralNorm);
      for (const n of norms) {
        if (spectralMode === 'rescale') expect(n).toBeCloseTo(1, 4);
        else expect(n).toBeLessThan(0.5);
      }
      fusion.dispose();
    }
  });

  it('reports its gates as modality weights and rejects variants that make no sense', () => {
    const fusion = new AttentionFusion('fusion', [4, 4], { gate: 'residual' }, 1);
    expect(hasModalityWeights(fusion)).toBe(true);
    fusion.dispose();
    expect(() => new AttentionFusion('fusion', [4, 4], { gate: 'softmax' }, 1)).toThrow('use scores: "query-key"');
    expect(() => new AttentionFusion('fusion', [4, 4], { gateGain: 3 }, 1)).toThrow('linear gate (Definition 4.1) has no gain');
    // at M = 3 pairwise scores differ between modalities, so a softmax over them is a real weighting
    const three = new AttentionFusion('fusion', [4, 4, 4], { gate: 'softmax' }, 1);
    three.dispose();
  });
});
