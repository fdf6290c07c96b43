import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@mmfuse/backend';
import type { ModalitySpec } from '@mmfuse/core';
import { ConvImageDecoder, ConvImageEncoder, MlpDecoder, MlpEncoder } from '@mmfuse/encoders';
import { AttentionFusion } from '@mmfuse/fusion-attention';
import { ConcatFusion } from '@mmfuse/fusion-concat';
import { SumFusion } from '@mmfuse/fusion-sum';
import { MultimodalAutoencoder as ComposedModel } from '@mmfuse/model';
import { frobeniusNorm, jacobianAt, randomArray, spectralNorm } from '../test-support/reference';
import { CertifiedBoundEstimator } from './certified-bound';
import { DifferenceQuotientEstimator } from './difference-quotient';
import { JacobianFrobeniusEstimator } from './jacobian-frobenius';
import { JacobianSpectralEstimator } from './jacobian-spectral';
import { FROBENIUS_RELATION } from './lipschitz-result';
import type { LipschitzTarget } from './lipschitz-target';
import { decoderTarget, encoderTarget, flattenRows, fusionTarget, latentRows, modelTarget } from './sub-model-targets';

beforeAll(async () => {
  await initBackend('cpu');
});

const camera: ModalitySpec = { name: 'camera', kind: 'image', shape: [9, 8, 2] };
const joints: ModalitySpec = { name: 'joints', kind: 'series', shape: [4, 3] };

function buildModel(fusionType: 'sum' | 'concat', seed: number): ComposedModel {
  const image = new ConvImageEncoder('encoder:camera', camera, { channels: [3, 4], kernelSize: 3, stride: 2, padding: 1, activation: 'relu', activateLast: true, init: 'he' }, seed);
  const series = new MlpEncoder('encoder:joints', joints, { units: [10], latentSize: image.outputSize, activation: 'tanh', activateLast: true, init: 'he' }, seed + 1);
  const sizes = [image.outputSize, series.outputSize];
  const fusion = fusionType === 'sum' ? new SumFusion('fusion', sizes) : new ConcatFusion('fusion', sizes);
  const imageDecoder = new ConvImageDecoder('decoder:camera', camera, fusion.outputSize, image.layers, { activation: 'relu', outputActivation: 'linear', init: 'he' }, seed + 2);
  const seriesDecoder = new MlpDecoder('decoder:joints', joints, fusion.outputSize, { units: [10], activation: 'elu', outputActivation: 'linear', init: 'he' }, seed + 3);
  return new ComposedModel([image, series], fusion, [imageDecoder, seriesDecoder]);
}

describe.each(['sum', 'concat'] as const)('every sub-model of a small bimodal model with %s fusion', (fusionType) => {
  let model: ComposedModel;
  let targets: Array<{ target: LipschitzTarget; rows: tf.Tensor2D }>;
  beforeAll(() => {
    model = buildModel(fusionType, 11);
    const n = 3;
    const inputs = [tf.tensor(randomArray(n * 144, 1), [n, ...camera.shape]), tf.tensor(randomArray(n * 12, 2), [n, ...joints.shape])];
    targets = [
      { target: encoderTarget(model.encoders[0]), rows: flattenRows([inputs[0]]) },
      { target: encoderTarget(model.encoders[1]), rows: flattenRows([inputs[1]]) },
      { target: fusionTarget(model.fusion), rows: latentRows(model, inputs) },
      { target: decoderTarget(model.decoders[0]), rows: model.encode(inputs) },
      { target: decoderTarget(model.decoders[1]), rows: model.encode(inputs) },
      { target: modelTarget(model), rows: flattenRows(inputs) },
    ];
    tf.dispose(inputs);
  });
  afterAll(() => {
    tf.dispose(targets.map((t) => t.rows));
    model.dispose();
  });

  it('orders the norms at each point: spectral ≤ Frobenius ≤ √min(n_in, n_out)·spectral', async () => {
    for (const { target, rows } of targets) {
      const spectral = await new JacobianSpectralEstimator({ iterations: 100 }).estimate(target, rows, 1);
      const frobenius = await new JacobianFrobeniusEstimator({ method: 'exact' }).estimate(target, rows);
      const points = rows.arraySync();
      points.forEach((point, b) => {
        const jacobian = jacobianAt((t) => target.apply(t), point, target.outputSize);
        const [sigma, frob] = [spectralNorm(jacobian), frobeniusNorm(jacobian)];
        const label = `${target.name} sample ${b}`;
        expect({ label, lowerThanSigma: spectral.perSample![b] <= sigma * (1 + 1e-4) }).toEqual({ label, lowerThanSigma: true });
        expect(spectral.perSample![b] / sigma).toBeCloseTo(1, 2);
        expect(frobenius.perSample![b] / frob).toBeCloseTo(1, 3);
        expect(sigma).toBeLessThanOrEqual(frob * (1 + 1e-6));
        expect(frob).toBeLessThanOrEqual(Math.sqrt(Math.min(target.inputSize, target.outputSize)) * sigma * (1 + 1e-6));
      });
    }
  });

  it('keeps every lower estimate under the certified bound, and the Frobenius one under √min(n_in, n_out) times it', async () => {
    const certified = new CertifiedBoundEstimator();
    certified.startEvaluation();
    for (const { target, rows } of targets) {
      const bound = (await certified.estimate(target, rows, 1))!;
      expect(bound).toMatchObject({ estimator: 'certified-bound', quantity: 'certified', bound: 'upper' });
      const lowers = [
        await new JacobianSpectralEstimator({ iterations: 30 }).estimate(target, rows, 1),
        await new DifferenceQuotientEstimator({ direction: 'gradient', pairs: 3 }).estimate(target, rows, 1),
        await new DifferenceQuotientEstimator({ pairing: 'between-samples' }).estimate(target, rows, 1),
      ];
      for (const lower of lowers) {
        expect(lower.bound).toBe('lower');
        // Estimates run in float32: where the bound is attained (sum fusion: √2 in every direction) rounding shows.
        expect({ target: target.name, estimator: lower.estimator, below: lower.value <= bound.value * (1 + 1e-6) }).toEqual({ target: target.name, estimator: lower.estimator, below: true });
      }
      const frobenius = await new JacobianFrobeniusEstimator({ method: 'exact' }).estimate(target, rows);
      expect(frobenius).toMatchObject({ quantity: 'frobenius-local', bound: 'none', relation: expect.stringContaining(FROBENIUS_RELATION) });
      expect(frobenius.value).toBeLessThanOrEqual(Math.sqrt(Math.min(target.inputSize, target.outputSize)) * bound.value);
      for (const layer of bound.layers ?? []) if (layer.lower !== undefined) expect(layer.lower).toBeLessThanOrEqual(layer.upper);
    }
    certified.endEvaluation();
    certified.reset();
  });

  it('names the fusion certificate and the whole-model convention', async () => {
    const certified = new CertifiedBoundEstimator();
    const fusion = (await certified.estimate(targets[2].target, targets[2].rows))!;
    expect(fusion.value).toBeCloseTo(fusionType === 'sum' ? Math.SQRT2 : 1, 12);
    // Sum and concatenation certify every input: no domain, though the samples offered one.
    expect(fusion.domain).toBeUndefined();
    expect(fusion.relation).toBe('L ≤ value for every input');
    const spectral = await new JacobianSpectralEstimator({ iterations: 5 }).estimate(targets[2].target, targets[2].rows);
    expect(spectral.value).toBeCloseTo(fusion.value, 5);
    const whole = (await certified.estimate(targets[5].target, targets[5].rows))!;
    expect(whole.convention).toMatch(/encoders on separate inputs under the product norm/);
    const encoders: number[] = [];
    for (const i of [0, 1]) encoders.push((await certified.estimate(targets[i].target))!.value);
    const decoders: number[] = [];
    for (const i of [3, 4]) decoders.push((await certified.estimate(targets[i].target))!.value);
    expect(whole.value).toBeCloseTo(Math.hypot(...decoders) * fusion.value * Math.max(...encoders), 6);
    certified.reset();
  });
});

describe('the attention fusion', () => {
  it.each([
    ['the stabilised defaults', {}],
    ['raw inputs, unscaled scores, no spectral normalisation', { normalizeInputs: false, scaleScores: false, spectralNorm: false }],
  ])('keeps its local spectral norms under its certificate on the sampled domain (%s)', async (_name, options) => {
    const fusion = new AttentionFusion('fusion', [6, 6], options, 3);
    const target = fusionTarget(fusion);
    const rows = tf.tensor2d(randomArray(5 * 12, 21, 2), [5, 12]);
    const certified = (await new CertifiedBoundEstimator().estimate(target, rows))!;
    expect(Number.isFinite(certified.value)).toBe(true);
    // The certificate holds where the sampled latents lie: the least and largest ‖h_m‖ over the 5 rows and both modalities.
    const norms = (rows.arraySync() as number[][]).flatMap((r) => [Math.hypot(...r.slice(0, 6)), Math.hypot(...r.slice(6))]);
    expect(certified.domain).toEqual({ inputRadius: expect.closeTo(Math.max(...norms), 5), minInputNorm: expect.closeTo(Math.min(...norms), 5), source: expect.stringMatching(/over the 5 samples/) });
    expect(certified).toMatchObject({ quantity: 'certified', bound: 'upper', relation: expect.stringMatching(/in `domain` only/), of: expect.stringMatching(/on the domain$/) });
    expect(certified.assumptions).toMatch(/holds on .* ≤ ‖h_m‖ ≤ .*, not globally/);
    const spectral = await new JacobianSpectralEstimator({ iterations: 50 }).estimate(target, rows, 1);
    expect(spectral.value).toBeGreaterThan(0);
    expect(spectral.value).toBeLessThanOrEqual(certified.value);
    tf.dispose(rows);
    fusion.dispose();
  });
});
