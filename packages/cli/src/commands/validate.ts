import { backendProviders, initBackend } from '@mmfuse/backend';
import { UserInputError } from '@mmfuse/core';
import { setupLabel } from '@mmfuse/config';
import { ExperimentRunner } from '@mmfuse/trainer';
import { announcePlugins, loadExperiment, rethrowInConfigFile } from '../load-experiment';

/** `mmfuse validate <config>`: schema, cross-field and model-size checks; writes nothing. */
export async function validateCommand(file: string): Promise<void> {
  const experiment = loadExperiment(file);
  announcePlugins(experiment.plugins, (line) => process.stderr.write(line));
  const backends = ['auto', ...backendProviders().map((p) => p.name)];
  if (!backends.includes(experiment.config.backend)) throw new UserInputError(`${file}: backend: unknown backend "${experiment.config.backend}"; expected one of ${backends.join(', ')}`);
  const modalities = experiment.validator.declaredModalities(experiment.config);
  if (modalities) {
    // Building each set-up once on the pure-JS backend checks sizes without a GPU or data.
    await initBackend('cpu');
    try {
      experiment.container.get(ExperimentRunner).checkModels(experiment.config, modalities);
    } catch (error) {
      rethrowInConfigFile(file, error);
    }
  }
  const setups = experiment.config.fusions.map(setupLabel).join(', ');
  process.stdout.write(`${file}: valid (${experiment.config.modalities.length} modalities; set-ups ${setups}; ${experiment.config.training.trials} trials × ${experiment.config.training.epochs} epochs)\n`);
}
