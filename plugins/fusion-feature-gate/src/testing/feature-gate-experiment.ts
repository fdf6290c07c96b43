// A small experiment config with the feature-gate fusion and a registry with the plugins it needs,
// loaded from their folders as the CLI loads them.
import 'reflect-metadata';
import { dirname, join } from 'path';
import { Container } from 'inversify';
import { ComponentRegistry, coreModule, loadPlugins } from '@mmfuse/core';

/** encoders and data sources, and this package (its built module). */
export const PLUGINS = [...['@mmfuse/encoders', '@mmfuse/data'].map((p) => dirname(require.resolve(`${p}/package.json`))), join(__dirname, '..', '..')];

/** A registry with the plugins above loaded from their folders. */
export function pluginRegistry(): ComponentRegistry {
  const container = new Container();
  container.load(coreModule);
  loadPlugins(container, PLUGINS, '/');
  return container.get<ComponentRegistry>(ComponentRegistry);
}

/** An unvalidated config: two modalities of the synthetic arm, both encoded to 12 features, fused by `fusion`. */
export function experimentConfig(fusion: Record<string, unknown>, epochs = 1): Record<string, unknown> {
  return {
    name: 'feature-gate-training',
    data: { type: 'synthetic-arm', episodes: 4, framesPerEpisode: 14, imageSize: 8, window: 4, windowStep: 2 },
    modalities: [
      { name: 'camera', encoder: { type: 'mlp', units: [16], latentSize: 12 }, decoder: { type: 'mlp', units: [16] } },
      { name: 'joints', encoder: { type: 'mlp', units: [8], latentSize: 12 }, decoder: { type: 'mlp', units: [8] } },
    ],
    fusions: [{ type: 'feature-gate', ...fusion }],
    training: { epochs, batchSize: 10, learningRate: 0.01 },
  };
}
