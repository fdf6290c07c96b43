import { initBackend } from '@mmfuse/backend';
import { TrialCheckpoint } from '@mmfuse/runs';
import { prepareExperiment, trialLosses } from './feature-gate-experiment';

/** [epoch, train loss, test loss] per epoch of a trial of `epochs`, checkpointing after every epoch. */
async function losses(epochs: number, checkpoints: { save?: (c: TrialCheckpoint) => void; resume?: TrialCheckpoint } = {}): Promise<number[][]> {
  const experiment = await prepareExperiment(epochs);
  // the plugin's built module, loaded as the CLI loads it
  expect(experiment.model.fusion.getConfig().type).toBe('feature-gate');
  return trialLosses(experiment, { every: 1, save: checkpoints.save ?? (() => undefined), resume: checkpoints.resume });
}

describe('resuming a trial of the feature-gate fusion', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('continues from a checkpoint to exactly the losses of an uninterrupted trial', async () => {
    const uninterrupted = await losses(4);
    let saved: TrialCheckpoint | undefined;
    await losses(2, { save: (c) => void (saved = c) });
    expect(saved!.epoch).toBe(2);
    // the gate's weights travel in the checkpoint
    expect(saved!.weights.map((w) => w.name.replace(/#\d+$/, '')).filter((name) => name.startsWith('fusion/'))).toEqual([
      'fusion/gate/dense0/kernel',
      'fusion/gate/dense0/bias',
      'fusion/gate/dense1/kernel',
      'fusion/gate/dense1/bias',
    ]);
    const resumed = await losses(4, { resume: saved });
    expect(resumed.map(([epoch]) => epoch)).toEqual([1, 2, 3, 4]);
    // the losses move from epoch to epoch, so equality below is not trivial
    expect(new Set(uninterrupted.map(([, train]) => train)).size).toBe(4);
    resumed.forEach(([, train, test], i) => {
      expect(train).toBeCloseTo(uninterrupted[i][1], 10);
      expect(test).toBeCloseTo(uninterrupted[i][2], 10);
    });
  });
});
