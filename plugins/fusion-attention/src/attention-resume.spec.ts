import { initBackend } from '@mmfuse/backend';
import { createRng, ModalitySpec, MultimodalDataset } from '@mmfuse/core';
import { MlpDecoder, MlpEncoder } from '@mmfuse/encoders';
import { MultimodalAutoencoder, TrialCheckpoint, TrialTrainer } from '@mmfuse/trainer';
import { AttentionFusion } from './attention-fusion';
import { AttentionFusionOptions } from './attention-fusion-options';

const a: ModalitySpec = { name: 'a', kind: 'vector', shape: [6] };
const b: ModalitySpec = { name: 'b', kind: 'vector', shape: [4] };

function model(variant: Partial<AttentionFusionOptions>): MultimodalAutoencoder {
  const mlp = { activation: 'tanh' as const, init: 'pytorch' as const };
  const ea = new MlpEncoder('encoder:a', a, { ...mlp, units: [8], latentSize: 5, activateLast: true }, 1);
  const eb = new MlpEncoder('encoder:b', b, { ...mlp, units: [8], latentSize: 5, activateLast: true }, 2);
  // One power iteration per forward call: the persistent vectors matter for every step.
  const fusion = new AttentionFusion('fusion', [5, 5], { spectralNorm: true, powerIterations: 1, ...variant }, 3);
  const da = new MlpDecoder('decoder:a', a, 10, { ...mlp, units: [8], outputActivation: 'linear' }, 4);
  const db = new MlpDecoder('decoder:b', b, 10, { ...mlp, units: [8], outputActivation: 'linear' }, 5);
  return new MultimodalAutoencoder([ea, eb], fusion, [da, db]);
}

function data(): MultimodalDataset {
  const rng = createRng(7);
  const split = (n: number) => ({ size: n, arrays: { a: Float32Array.from({ length: n * 6 }, () => rng() - 0.5), b: Float32Array.from({ length: n * 4 }, () => rng() - 0.5) } });
  return { modalities: [a, b], train: split(24), test: split(8) };
}

const modalities = [
  { name: 'a', encoder: { type: 'mlp' }, decoder: { type: 'mlp' }, lossWeight: 1 },
  { name: 'b', encoder: { type: 'mlp' }, decoder: { type: 'mlp' }, lossWeight: 1 },
];
const training = (epochs: number) => ({ epochs, batchSize: 8, learningRate: 0.01, trials: 1, corruption: [], corruptTest: false, workers: 1 as const, checkpointEvery: 1 });

describe.each<[string, Partial<AttentionFusionOptions>, number]>([
  ['Definition 4.1', {}, 2],
  ['query-key scores, softmax gate, learned gain', { scores: 'query-key', gate: 'softmax', learnGain: true }, 4],
])('resuming a trial of the attention fusion: %s', (_, variant, vectors) => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('continues from a checkpoint to exactly the losses of an uninterrupted trial (power-iteration vectors included)', async () => {
    const shared = data();
    const whole = model(variant);
    const uninterrupted = await new TrialTrainer(whole, shared, { modalities, training: training(4) }, [], 11).train(() => undefined);
    whole.dispose();

    let saved: TrialCheckpoint | undefined;
    const first = model(variant);
    await new TrialTrainer(first, shared, { modalities, training: training(2) }, [], 11, undefined, { every: 1, save: (c) => void (saved = c) }).train(() => undefined);
    first.dispose();
    expect(saved!.epoch).toBe(2);
    // The spectral normaliser's vectors travel with the weights.
    expect(saved!.weights.filter((w) => w.name.includes('power-iteration'))).toHaveLength(vectors);

    const second = model(variant);
    const resumed = await new TrialTrainer(second, shared, { modalities, training: training(4) }, [], 11, undefined, { every: 1, save: () => undefined, resume: saved }).train(() => undefined);
    second.dispose();
    expect(resumed.map((r) => r.epoch)).toEqual([1, 2, 3, 4]);
    resumed.forEach((r, i) => {
      expect(r.train.total).toBeCloseTo(uninterrupted[i].train.total, 10);
      expect(r.test.total).toBeCloseTo(uninterrupted[i].test.total, 10);
    });
  });
});
