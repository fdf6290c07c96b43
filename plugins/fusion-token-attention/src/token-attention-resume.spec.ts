import { initBackend } from '@mmfuse/backend';
import { createRng, ModalitySpec, MultimodalDataset } from '@mmfuse/core';
import { MlpDecoder, MlpEncoder } from '@mmfuse/encoders';
import { MultimodalAutoencoder, TrialCheckpoint, TrialTrainer } from '@mmfuse/trainer';
import { TokenAttentionFusion } from './token-attention-fusion';
import { TokenAttentionOptions } from './token-attention-options';

const a: ModalitySpec = { name: 'a', kind: 'vector', shape: [6] };
const b: ModalitySpec = { name: 'b', kind: 'vector', shape: [4] };

function model(options: Partial<TokenAttentionOptions>): MultimodalAutoencoder {
  const mlp = { activation: 'tanh' as const, init: 'pytorch' as const };
  const ea = new MlpEncoder('encoder:a', a, { ...mlp, units: [8], latentSize: 5, activateLast: true }, 1);
  const eb = new MlpEncoder('encoder:b', b, { ...mlp, units: [8], latentSize: 3, activateLast: true }, 2);
  const fusion = new TokenAttentionFusion('fusion', [5, 3], { tokenSize: 4, heads: 2, ...options }, 3);
  const da = new MlpDecoder('decoder:a', a, 8, { ...mlp, units: [8], outputActivation: 'linear' }, 4);
  const db = new MlpDecoder('decoder:b', b, 8, { ...mlp, units: [8], outputActivation: 'linear' }, 5);
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
const training = (epochs: number) => ({ epochs, batchSize: 8, learningRate: 0.01, trials: 1, processes: 1, corruption: [], corruptTest: false, workers: 1 as const, checkpointEvery: 1 });

describe.each<[string, Partial<TokenAttentionOptions>, number]>([
  ['defaults', {}, 0],
  // he init: σ_max > 1, so the normalisation divides; one power iteration per forward call, so
  // the persistent vectors matter for every step
  ['spectral norm (power-iteration vectors are buffers)', { spectralNorm: true, powerIterations: 1, init: 'he' }, 9],
])('resuming a trial of the token attention: %s', (_, options, buffers) => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('continues from a checkpoint to exactly the losses of an uninterrupted trial', async () => {
    const shared = data();
    const whole = model(options);
    const uninterrupted = await new TrialTrainer(whole, shared, { modalities, training: training(4) }, [], 11).train(() => undefined);
    const estimates = Object.values((whole.fusion as TokenAttentionFusion).spectralEstimates());
    expect(estimates.filter((sigma) => sigma > 1)).toHaveLength(options.spectralNorm ? estimates.length : 0);
    whole.dispose();

    let saved: TrialCheckpoint | undefined;
    const first = model(options);
    await new TrialTrainer(first, shared, { modalities, training: training(2) }, [], 11, undefined, { every: 1, save: (c) => void (saved = c) }).train(() => undefined);
    first.dispose();
    expect(saved!.epoch).toBe(2);
    // 2 token maps + 2 heads × (query, key, value) + the output: 9 vectors with spectral normalisation
    expect(saved!.weights.filter((w) => w.name.includes('power-iteration'))).toHaveLength(buffers);

    const second = model(options);
    const resumed = await new TrialTrainer(second, shared, { modalities, training: training(4) }, [], 11, undefined, { every: 1, save: () => undefined, resume: saved }).train(() => undefined);
    second.dispose();
    expect(resumed.map((r) => r.epoch)).toEqual([1, 2, 3, 4]);
    resumed.forEach((r, i) => {
      expect(r.train.total).toBe(uninterrupted[i].train.total);
      expect(r.test.total).toBe(uninterrupted[i].test.total);
    });
    // training moved the losses, so equal losses are not equal by default
    expect(uninterrupted[3].train.total).not.toBe(uninterrupted[0].train.total);
  });
});
