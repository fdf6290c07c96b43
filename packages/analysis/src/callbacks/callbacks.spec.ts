import 'reflect-metadata';
import { mkdtempSync, readFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@mmfuse/backend';
import { createRng, Encoder, ModalitySpec, MultimodalDataset, MultimodalModel, normal, TrialInfo } from '@mmfuse/core';
import { FailureDetectionCallback } from './failure-detection-callback';
import { ReconstructionsCallback } from './reconstructions-callback';
import { RobustnessCallback } from './robustness-callback';

beforeAll(async () => {
  await initBackend('cpu');
});

const camera: ModalitySpec = { name: 'camera', kind: 'image', shape: [4, 4, 1] };
const joints: ModalitySpec = { name: 'joints', kind: 'series', shape: [6, 2] };

/** An autoencoder that reconstructs its input exactly, and whose latent is the flattened inputs side by side. */
function identityModel(): MultimodalModel {
  const encoders = [camera, joints].map((modality) => ({ name: `encoder:${modality.name}`, modality }) as unknown as Encoder);
  return {
    encoders,
    fusion: {} as MultimodalModel['fusion'],
    decoders: [],
    subModels: () => [],
    encode: (inputs) => tf.concat(inputs.map((x) => tf.reshape(x, [x.shape[0], -1])), 1) as tf.Tensor2D,
    apply: (inputs) => inputs.map((x) => x.clone()),
    dispose: () => undefined,
  };
}

/** Two modalities of smooth random samples; test samples labelled 1 are shifted far from the rest. */
function dataset(train: number, test: number, shifted = 0): MultimodalDataset {
  const rng = createRng(7);
  const make = (n: number, offset = 0) => ({
    camera: Float32Array.from({ length: n * 16 }, (_, i) => Math.min(1, Math.max(0, 0.5 + 0.15 * Math.sin(i * 0.7 + Math.floor(i / 16)) + 0.05 * normal(rng) + offset))),
    joints: Float32Array.from({ length: n * 12 }, (_, i) => Math.sin(i / 3 + Math.floor(i / 12)) + 0.1 * normal(rng) + offset),
  });
  const clean = make(test - shifted);
  const faulty = make(shifted, 3);
  const joined = (a: Float32Array, b: Float32Array) => Float32Array.from([...a, ...b]);
  return {
    modalities: [camera, joints],
    train: { size: train, arrays: make(train) },
    test: {
      size: test,
      arrays: { camera: joined(clean.camera, faulty.camera), joints: joined(clean.joints, faulty.joints) },
      labels: { failure: Int32Array.from({ length: test }, (_, i) => (i < test - shifted ? 0 : 1)) },
    },
    description: { labels: { failure: ['none', 'slip'] } },
  };
}

function trialInfo(data: MultimodalDataset, setup = 'identity'): TrialInfo {
  return { setup, trial: 0, seed: 1, runDir: mkdtempSync(join(tmpdir(), 'mmfuse-analysis-')), model: identityModel(), data, startEpoch: 0 };
}

const readAnalysis = (info: TrialInfo, name: string) => JSON.parse(readFileSync(join(info.runDir, 'analysis', `${name}.json`), 'utf8'));

describe('robustness', () => {
  it('records the errors a perfect autoencoder shows when a modality is lost or corrupted', async () => {
    const data = dataset(40, 20);
    const info = trialInfo(data);
    await new RobustnessCallback({ modalities: [], drops: ['zeros', 'mean'], imageFailure: 'pixel-constant', seriesFailure: 'gaussian-noise', severities: [0, 0.5, 1], samples: 20 }).onTrialEnd(info);
    const curves = readAnalysis(info, 'robustness').setups.identity.trials[0].curves as Array<{ perturbed: string; mode: string; severity: number; loss: Record<string, number> }>;
    const find = (perturbed: string, mode: string, severity: number) => curves.find((c) => c.perturbed === perturbed && c.mode === mode && c.severity === severity)!.loss;
    expect(find('none', 'clean', 0)).toEqual({ camera: 0, joints: 0, total: 0 });
    // Dropping to zeros costs the mean square of the modality; the other modality is untouched.
    const x = data.test.arrays.joints as Float32Array;
    const meanSquare = x.reduce((s, v) => s + v * v, 0) / x.length;
    expect(find('joints', 'drop-zeros', 1).joints).toBeCloseTo(meanSquare, 5);
    expect(find('joints', 'drop-zeros', 1).camera).toBe(0);
    // Dropping to the training mean costs the squared distance to that mean.
    const t = data.train.arrays.joints as Float32Array;
    const mean = Array.from({ length: 12 }, (_, i) => Array.from({ length: 40 }, (_, s) => t[s * 12 + i]).reduce((a, b) => a + b, 0) / 40);
    const toMean = x.reduce((s, v, i) => s + (v - mean[i % 12]) ** 2, 0) / x.length;
    expect(find('joints', 'drop-mean', 1).joints).toBeCloseTo(toMean, 4);
    // Gaussian noise of std 0.9 s adds 0.81 s² in expectation.
    expect(find('joints', 'gaussian-noise', 0).joints).toBe(0);
    expect(find('joints', 'gaussian-noise', 1).joints).toBeGreaterThan(0.6);
    expect(find('joints', 'gaussian-noise', 1).joints).toBeLessThan(1.05);
    expect(find('joints', 'gaussian-noise', 0.5).joints / find('joints', 'gaussian-noise', 1).joints).toBeCloseTo(0.25, 1);
    expect(find('camera', 'pixel-constant', 1).camera).toBeGreaterThan(0);
  });
});

describe('robustness of a fusion that weights the modalities', () => {
  it('records the weights per point: mean and spread across samples, and how a dropped modality moves them', async () => {
    const data = dataset(40, 20);
    const info = trialInfo(data);
    // weights with a closed form: each modality's weight is the mean of its own inputs in that sample
    const flat = (x: tf.Tensor) => tf.reshape(x, [x.shape[0], -1]) as tf.Tensor2D;
    const encoders = info.model.encoders.map((e) => ({ ...e, apply: flat }) as unknown as Encoder);
    const fusion = { modalityWeights: (latents: tf.Tensor2D[]) => tf.concat(latents.map((z) => tf.mean(z, 1, true)), 1), modalityWeightsDescription: 'means' };
    const model = { ...info.model, encoders, fusion: fusion as unknown as MultimodalModel['fusion'] };
    await new RobustnessCallback({ modalities: ['joints'], drops: ['zeros'], imageFailure: 'pixel-constant', seriesFailure: 'gaussian-noise', severities: [0], samples: 20 }).onTrialEnd({ ...info, model });
    const curves = readAnalysis(info, 'robustness').setups.identity.trials[0].curves as Array<{ mode: string; weights: { mean: number[]; std: number[]; spread: number } }>;
    const perSample = (name: 'camera' | 'joints', size: number) =>
      Array.from({ length: 20 }, (_, s) => Array.from((data.test.arrays[name] as Float32Array).subarray(s * size, (s + 1) * size)).reduce((a, b) => a + b, 0) / size);
    const camera = perSample('camera', 16);
    const joints = perSample('joints', 12);
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    const std = (v: number[]) => Math.sqrt(mean(v.map((x) => (x - mean(v)) ** 2)));
    const clean = curves.find((c) => c.mode === 'clean')!.weights;
    expect(clean.mean[0]).toBeCloseTo(mean(camera), 5);
    expect(clean.mean[1]).toBeCloseTo(mean(joints), 5);
    expect(clean.std[1]).toBeCloseTo(std(joints), 4);
    expect(clean.spread).toBeCloseTo(mean(camera.map((c, s) => Math.abs(c - joints[s]))), 5);
    const dropped = curves.find((c) => c.mode === 'drop-zeros')!.weights;
    expect(dropped.mean[1]).toBe(0);
    expect(dropped.mean[0]).toBeCloseTo(mean(camera), 5);
  });
});

describe('failure detection', () => {
  it('flags process failures the data label and injected faults, with about 5 % false alarms, and records each', async () => {
    const data = dataset(300, 200, 40);
    const info = trialInfo(data);
    await new FailureDetectionCallback({ failures: ['gaussian-noise', 'pixel-constant'], severity: 1, fitSamples: 300, testSamples: 160, percentile: 95, keepDistances: 50, residual: true }).onTrialEnd(info);
    const trial = readAnalysis(info, 'failure-detection').setups.identity.trials[0];
    const result = (failure: string) => trial.results.find((r: { failure: string }) => r.failure === failure);
    expect(trial.results.map((r: { failure: string; kind: string }) => [r.failure, r.kind])).toEqual([
      ['gaussian-noise', 'injected'],
      ['pixel-constant', 'injected'],
      ['slip', 'process'],
    ]);
    expect(result('slip').auc).toBeGreaterThan(0.99);
    expect(result('slip').confusion.tp + result('slip').confusion.fn).toBe(40);
    expect(result('gaussian-noise').auc).toBeGreaterThan(0.9);
    for (const r of trial.results) {
      expect(r.fpr).toBeLessThan(0.2);
      expect(r.distances.clean.length).toBeLessThanOrEqual(50);
    }
  });
});

describe('reconstructions', () => {
  it('keeps inputs and outputs of the first image modality', async () => {
    const data = dataset(10, 8);
    const info = trialInfo(data, 'sum');
    await new ReconstructionsCallback({ samples: 3, trials: [0] }).onTrialEnd(info);
    const kept = readAnalysis(info, 'reconstructions').setups.sum;
    expect(kept.modality).toBe('camera');
    expect(kept.shape).toEqual([4, 4, 1]);
    expect(kept.samples).toHaveLength(3);
    for (const s of kept.samples) expect(s.output).toEqual(s.input);
  });
});
