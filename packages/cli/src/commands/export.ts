import { existsSync } from 'fs';
import { join, resolve } from 'path';
import { initBackend } from '@mmfuse/backend';
import { ModalitySpec, readJsonFile, UserInputError } from '@mmfuse/core';
import { buildModel, exportModel } from '@mmfuse/model';
import { checkpointName, outcomeName, readCheckpoint, RUN_FILES, RunRecord, TrialOutcomeFile } from '@mmfuse/runs';
import { assignSavedWeights, setupLabel } from '@mmfuse/trainer';
import { announcePlugins, loadExperiment } from '../load-experiment';

export interface ExportOptions {
  setup?: string;
  trial?: number;
  out: string;
}

/**
 * `mmfuse export <run>`: one trained trial's encoders, fusion and decoders as standalone
 * sub-models (model.json + weights.bin each, see @mmfuse/model's loadSubModel), from the
 * checkpoint its last epoch left. Only a trial that finished is exported.
 */
export async function exportCommand(runDir: string, options: ExportOptions): Promise<void> {
  const dir = resolve(runDir);
  const configFile = join(dir, RUN_FILES.config);
  if (!existsSync(configFile)) throw new UserInputError(`${dir}: not a run folder (no ${RUN_FILES.config})`);
  const experiment = loadExperiment(configFile);
  announcePlugins(experiment.plugins, (line) => process.stderr.write(line));
  const config = experiment.config;
  const labels = config.fusions.map(setupLabel);
  const setup = options.setup ?? labels[0];
  const index = labels.indexOf(setup);
  if (index < 0) throw new UserInputError(`--setup: "${setup}" is not a set-up of ${dir}; it has ${labels.join(', ')}`);
  const trial = options.trial ?? 0;
  if (trial >= config.training.trials) throw new UserInputError(`--trial: ${trial} is not a trial of ${dir}; it has trials 0 to ${config.training.trials - 1}`);
  const outcomeFile = join(dir, outcomeName(setup, trial));
  if (!existsSync(outcomeFile)) throw new UserInputError(`${outcomeFile}: trial ${trial} of ${setup} has not finished; only a finished trial is exported`);
  const outcome = readJsonFile<TrialOutcomeFile>(outcomeFile, 'run the trial again');
  if (outcome.status !== 'done') throw new UserInputError(`${outcomeFile}: trial ${trial} of ${setup} ${outcome.status}; only a trial that trained to the end is exported`);
  const checkpointFile = join(dir, checkpointName(setup, trial));
  const checkpoint = readCheckpoint(checkpointFile);
  if (!checkpoint) throw new UserInputError(`${checkpointFile}: missing; the trained weights of ${setup} trial ${trial} are not in ${dir}`);
  if (checkpoint.epoch !== config.training.epochs) throw new UserInputError(`${checkpointFile}: holds epoch ${checkpoint.epoch} of ${config.training.epochs}; the trial's final weights are not in ${dir}`);
  const run = readJsonFile<RunRecord>(join(dir, RUN_FILES.run), 'the run folder is damaged');
  const specs = (run.data?.modalities ?? []) as ModalitySpec[];

  // Exporting reads every value back; the cpu backend needs nothing the machine may lack.
  await initBackend('cpu');
  const model = buildModel(experiment.registry, config, config.fusions[index], `fusions[${index}]`, specs, outcome.seed);
  try {
    if (!assignSavedWeights(model, checkpoint.weights)) {
      throw new UserInputError(`${checkpointFile}: holds ${checkpoint.weights.length} tensors that do not match the ${model.trainableVariables().length + model.bufferVariables().length} weights of the model config.json builds`);
    }
    const out = resolve(options.out);
    const standardisation = (run.data?.description as { standardisation?: unknown } | undefined)?.standardisation;
    const folders = await exportModel(model, out, { run: dir, setup, trial, epoch: checkpoint.epoch, testLoss: checkpoint.records[checkpoint.records.length - 1]?.test, ...(standardisation ? { standardisation } : {}) }, `mmfuse ${require('../../package.json').version}`);
    for (const folder of folders) process.stdout.write(`${folder}\n`);
  } finally {
    model.dispose();
  }
}
