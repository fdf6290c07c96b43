import 'reflect-metadata';
import { readdirSync, readFileSync, statSync } from 'fs';
import { dirname, join, relative } from 'path';
import { initBackend } from '@mmfuse/backend';
import { ComponentRegistry, deriveSeed } from '@mmfuse/core';
import { experimentSchema } from '@mmfuse/config';
import { buildModel } from '@mmfuse/model';
import { ExperimentRunner } from '@mmfuse/trainer';
import { createContainer, loadExperiment } from './load-experiment';

const CONFIGS = join(__dirname, '..', '..', '..', 'configs');

function configFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return configFiles(path);
    return name.endsWith('.json') && name !== 'schema.json' ? [path] : [];
  });
}

beforeAll(async () => {
  await initBackend('cpu');
});

describe('configs/', () => {
  it('holds the schema generated from the registered components (run "npm run schema" after changing options)', () => {
    const registry = createContainer().container.get<ComponentRegistry>(ComponentRegistry);
    const committed = JSON.parse(readFileSync(join(CONFIGS, 'schema.json'), 'utf8'));
    expect(committed).toEqual(experimentSchema(registry));
  });

  it.each(configFiles(CONFIGS).map((f) => [relative(CONFIGS, f)]))('%s points editors to schema.json and validates, models included', (file) => {
    const path = join(CONFIGS, file);
    const raw = JSON.parse(readFileSync(path, 'utf8'));
    expect(join(dirname(path), raw.$schema)).toBe(join(CONFIGS, 'schema.json'));
    const experiment = loadExperiment(path);
    const modalities = experiment.validator.declaredModalities(experiment.config)!;
    expect(() => experiment.container.get(ExperimentRunner).checkModels(experiment.config, modalities)).not.toThrow();
  });

  it('expresses the paper\'s 256×256 network, whose encoders give 288 latents', () => {
    const experiment = loadExperiment(join(CONFIGS, 'paper', 'paper-256.json'));
    const modalities = experiment.validator.declaredModalities(experiment.config)!;
    expect(modalities.find((m) => m.name === 'camera')!.shape).toEqual([256, 256, 3]);
    const model = buildModel(experiment.registry, experiment.config, experiment.config.fusions[1], 'fusions[1]', modalities, deriveSeed(0, 'trial', 0));
    expect(model.encoders.map((e) => e.outputSize)).toEqual([288, 288]);
    expect(model.fusion.outputSize).toBe(576);
    const conv = model.encoders[0].parameters.filter((p) => p.name.endsWith('kernel')).map((p) => p.variable.shape);
    expect(conv).toEqual([
      [5, 5, 3, 256],
      [5, 5, 256, 128],
      [5, 5, 128, 64],
      [5, 5, 64, 32],
      [5, 5, 32, 32],
      [5, 5, 32, 32],
    ]);
    model.dispose();
  });
});
