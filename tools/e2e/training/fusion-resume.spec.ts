import { initBackend } from '@mmfuse/backend';
import { createRng, Fusion, ModalitySpec, MultimodalDataset } from '@mmfuse/core';
import { MlpDecoder, MlpEncoder } from '@mmfuse/encoders';
import { AttentionFusion } from '@mmfuse/fusion-attention';
import { TokenAttentionFusion } from '@mmfuse/fusion-token-attention';
import { MultimodalAutoencoder } from '@mmfuse/model';
import { TrialCheckpoint } from '@mmfuse/runs';
import { TrialTrainer } from '@mmfuse/trainer';

/**
 * A trial of a fusion with forward-pass state (spectral normalisation's power-iteration vectors)
 * stopped after a checkpoint and resumed must reach exactly the losses of the uninterrupted trial.
 */
interface Case {
  /** The fusion on latents of sizes 5 (a) and `bLatent` (b). */
  fusion(): Fusion;
  bLatent: number;
  /** Power-iteration vectors the checkpoint must hold. */
  vectors: number;
  /** σ̂ of every normalised matrix, where the case checks that the normalisation divides. */
  estimates?(fusion: Fusion): number[];
}

// One power iteration per forward call, so the persistent vectors matter for every step.
const CASES: Array<[string, Case]> = [
  ['the attention fusion (Definition 4.1)', { bLatent: 5, vectors: 2, fusion: () => new AttentionFusion('fusion', [5, 5], { spectralNorm: true, powerIterations: 1 }, 3) }],
  [
    'the attention fusion with query-key scores, a softmax gate and a learned gain',
    { bLatent: 5, vectors: 4, fusion: () => new AttentionFusion('fusion', [5, 5], { spectralNorm: true, powerIterations: 1, scores: 'query-key', gate: 'softmax', learnGain: true }, 3) },
  ],
  ['the token attention without normalisation', { bLatent: 3, vectors: 0, fusion: () => new TokenAttentionFusion('fusion', [5, 3], { tokenSize: 4, heads: 2 }, 3) }],
  // 2 token maps + 2 heads × (query, key, value) + the output: 9 vectors. he init: σ_max > 1, so the normalisation divides.
  [
    'the token attention with spectral normalisation',
    {
      bLatent: 3,
      vectors: 9,
      fusion: () => new TokenAttentionFusion('fusion', [5, 3], { tokenSize: 4, heads: 2, spectralNorm: true, powerIterations: 1, init: 'he' }, 3),
      estimates: (f) => Object.values((f as TokenAttentionFusion).spectralEstimates()),
    },
  ],
];

const a: ModalitySpec = { name: 'a', kind: 'vector', shape: [6] };
const b: ModalitySpec = { name: 'b', kind: 'vector', shape: [4] };

function model(c: Case): MultimodalAutoencoder {
  const mlp = { activation: 'tanh' as const, init: 'pytorch' as const };
  const ea = new MlpEncoder('encoder:a', a, { ...mlp, units: [8], latentSize: 5, activateLast: true }, 1);
  const eb = new MlpEncoder('encoder:b', b, { ...mlp, units: [8], latentSize: c.bLatent, activateLast: true }, 2);
  const fusion = c.fusion();
  const da = new MlpDecoder('decoder:a', a, fusion.outputSize, { ...mlp, units: [8], outputActivation: 'linear' }, 4);
  const db = new MlpDecoder('decoder:b', b, fusion.outputSize, { ...mlp, units: [8], outputActivation: 'linear' }, 5);
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

beforeAll(async () => {
  await initBackend('cpu');
});

describe.each(CASES)('resuming a trial of %s', (_, c) => {
  it('continues from a checkpoint to exactly the losses of an uninterrupted trial (power-iteration vectors included)', async () => {
    const shared = data();
    const whole = model(c);
    const uninterrupted = await new TrialTrainer(whole, shared, { modalities, training: training(4) }, [], 11).train(() => undefined);
    if (c.estimates) expect(c.estimates(whole.fusion).filter((sigma) => sigma > 1).length).toBeGreaterThan(0);
    whole.dispose();

    let saved: TrialCheckpoint | undefined;
    const first = model(c);
    await new TrialTrainer(first, shared, { modalities, training: training(2) }, [], 11, undefined, { every: 1, save: (checkpoint) => void (saved = checkpoint) }).train(() => undefined);
    first.dispose();
    expect(saved!.epoch).toBe(2);
    // The spectral normaliser's vectors travel with the weights.
    expect(saved!.weights.filter((w) => w.name.includes('power-iteration'))).toHaveLength(c.vectors);

    const second = model(c);
    const resumed = await new TrialTrainer(second, shared, { modalities, training: training(4) }, [], 11, undefined, { every: 1, save: () => undefined, resume: saved }).train(() => undefined);
    second.dispose();
    expect(resumed.map((r) => r.epoch)).toEqual([1, 2, 3, 4]);
    resumed.forEach((r, i) => {
      expect(r.train.total).toBe(uninterrupted[i].train.total);
      expect(r.test.total).toBe(uninterrupted[i].test.total);
    });
    // Training moved the losses, so equal losses are not equal by default.
    expect(uninterrupted[3].train.total).not.toBe(uninterrupted[0].train.total);
  });
});
