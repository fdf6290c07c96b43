// The feature-gate fusion trained the way the CLI trains it: plugins loaded from their folders, the
// config validated, the model built from the registry, optionally with data-parallel replicas.
import 'reflect-metadata';
import { dirname } from 'path';
import { Container } from 'inversify';
import { ComponentRegistry, coreModule, loadPlugins, MultimodalDataset } from '@mmfuse/core';
import { ConfigValidator, ExperimentConfig } from '@mmfuse/config';
import { buildModel, MultimodalAutoencoder } from '@mmfuse/model';
import { DataParallelPool, TrialCheckpointing, TrialTrainer } from '@mmfuse/trainer';

/** encoders and data sources, and the feature-gate plugin (their built modules). */
const PLUGINS = ['@mmfuse/encoders', '@mmfuse/data', '@mmfuse/fusion-feature-gate'].map((p) => dirname(require.resolve(`${p}/package.json`)));

export interface FeatureGateExperiment {
  readonly config: ExperimentConfig;
  readonly data: MultimodalDataset;
  readonly model: MultimodalAutoencoder;
  /** Flat sample size per modality, in config order. */
  readonly sizes: number[];
  /** Replicas on `threads` worker threads; undefined for none. */
  readonly pool?: DataParallelPool;
}

function pluginRegistry(): ComponentRegistry {
  const container = new Container();
  container.load(coreModule);
  loadPlugins(container, PLUGINS, '/');
  return container.get<ComponentRegistry>(ComponentRegistry);
}

/** Two modalities of the synthetic arm, both encoded to 12 features, fused by a gate of 6 hidden units. */
function experimentConfig(epochs: number): Record<string, unknown> {
  return {
    name: 'feature-gate-training',
    data: { type: 'synthetic-arm', episodes: 4, framesPerEpisode: 14, imageSize: 8, window: 4, windowStep: 2 },
    modalities: [
      { name: 'camera', encoder: { type: 'mlp', units: [16], latentSize: 12 }, decoder: { type: 'mlp', units: [16] } },
      { name: 'joints', encoder: { type: 'mlp', units: [8], latentSize: 12 }, decoder: { type: 'mlp', units: [8] } },
    ],
    fusions: [{ type: 'feature-gate', hiddenSize: 6 }],
    training: { epochs, batchSize: 10, learningRate: 0.01 },
  };
}

/** The config, its data, the model (seed 5) and `threads` replicas. */
export async function prepareExperiment(epochs: number, threads = 0): Promise<FeatureGateExperiment> {
  const registry = pluginRegistry();
  const config: ExperimentConfig = new ConfigValidator(registry).validate(experimentConfig(epochs));
  const data = await registry.create('data', config.data, { seed: 1, baseDir: '/' }).load();
  const model = buildModel(registry, config, config.fusions[0], 'fusions[0]', data.modalities, 5);
  const sizes = config.modalities.map((m) => data.modalities.find((s) => s.name === m.name)!.shape.reduce((a, b) => a * b, 1));
  const pool =
    threads > 0
      ? await DataParallelPool.start(threads, { backend: 'wasm', pluginDirectories: PLUGINS, config, fusion: config.fusions[0], regularizers: [], specs: [...data.modalities], seed: 5 }, model, 10, sizes, [false, false])
      : undefined;
  return { config, data, model, sizes, pool };
}

/** [epoch, train loss, test loss] per epoch of one trial (seed 11) of the experiment; closes its pool and frees its model. */
export async function trialLosses(experiment: FeatureGateExperiment, checkpointing?: TrialCheckpointing): Promise<number[][]> {
  const { config, data, model, pool } = experiment;
  try {
    const records = await new TrialTrainer(model, data, config, [], 11, pool, checkpointing).train(() => undefined);
    return records.map((r) => [r.epoch, r.train.total, r.test.total]);
  } finally {
    await pool?.close();
    model.dispose();
  }
}
