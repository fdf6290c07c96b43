import 'reflect-metadata';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { Container, ContainerModule, injectable } from 'inversify';
import { ComponentContribution, ComponentRegistry, coreModule, MultimodalModel, UserInputError } from '@mmfuse/core';
import { ConfigValidator, ExperimentConfig } from '@mmfuse/config';
import { dataModule } from '@mmfuse/data';
import { encodersModule } from '@mmfuse/encoders';
import { fusionConcatModule } from '@mmfuse/fusion-concat';
import { fusionSumModule } from '@mmfuse/fusion-sum';
import { RunSummary } from '@mmfuse/runs';
import { ExperimentRunner } from './experiment-runner';
import { meanStd } from './statistics';
import trainerModule from './trainer-module';

/** Penalties computed, by the set-up label the regularizer was created for. */
const penaltyCalls: Record<string, number> = {};

/** A regularizer that adds nothing but counts how often each set-up asked for its penalty. */
const countingRegularizers = new ContainerModule((bind) => {
  @injectable()
  class Contribution implements ComponentContribution {
    registerComponents(registry: ComponentRegistry): void {
      registry.register({
        kind: 'regularizer',
        type: 'counting',
        description: 'test',
        optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
        create: (_options: unknown, context: { name: string }) => ({
          name: context.name,
          penalty: () => {
            penaltyCalls[context.name] = (penaltyCalls[context.name] ?? 0) + 1;
            return tf.scalar(0);
          },
        }),
      });
    }
  }
  bind(ComponentContribution).to(Contribution).inSingletonScope();
});

/**
 * After `after` penalties in set-up `concat`, trial 0, writes NaN into decoder:joints' first
 * kernel (a weight going bad); other set-ups and trials are untouched.
 */
/** A third-party fusion whose factory returns something that is not a fusion. */
const broken = new ContainerModule((bind) => {
  @injectable()
  class Contribution implements ComponentContribution {
    registerComponents(registry: ComponentRegistry): void {
      registry.register({ kind: 'fusion', type: 'broken', description: 'test', optionsSchema: { type: 'object' }, source: 'fusion-broken-plugin', create: () => ({ outputSize: 4 }) as never });
    }
  }
  bind(ComponentContribution).to(Contribution).inSingletonScope();
});

const poison = new ContainerModule((bind) => {
  @injectable()
  class Contribution implements ComponentContribution {
    registerComponents(registry: ComponentRegistry): void {
      registry.register({
        kind: 'regularizer',
        type: 'poison',
        description: 'test',
        optionsSchema: { type: 'object', additionalProperties: false, properties: { after: { type: 'integer', default: 4 } } },
        create: (options: { after: number }) => {
          let steps = 0;
          return {
            name: 'poison',
            afterStep: (model: MultimodalModel) => {
              if (++steps !== options.after) return;
              const kernel = model.decoders[1].parameters[0].variable;
              kernel.assign(tf.fill(kernel.shape, NaN));
            },
          };
        },
      });
    }
  }
  bind(ComponentContribution).to(Contribution).inSingletonScope();
});

function container(): Container {
  const c = new Container();
  for (const m of [coreModule, trainerModule, encodersModule, dataModule, fusionSumModule, fusionConcatModule, countingRegularizers, poison, broken]) c.load(m);
  return c;
}

function tinyConfig(overrides: Record<string, unknown> = {}): ExperimentConfig {
  const raw = {
    name: 'tiny',
    seed: 7,
    backend: 'wasm',
    data: { type: 'synthetic-arm', episodes: 6, framesPerEpisode: 14, imageSize: 16, window: 6, windowStep: 2 },
    modalities: [
      { name: 'camera', encoder: { type: 'conv2d', channels: [4, 8], kernelSize: 5, stride: 2, padding: 1 }, decoder: { type: 'conv2d-transpose' } },
      { name: 'joints', encoder: { type: 'mlp', units: [16], latentSize: 72 }, decoder: { type: 'mlp' } },
    ],
    fusions: [{ type: 'sum' }, { type: 'concat' }],
    training: { epochs: 3, batchSize: 8, learningRate: 0.003, trials: 2 },
    ...overrides,
  };
  return new ConfigValidator(container().get(ComponentRegistry)).validate(raw);
}

describe('ExperimentRunner', () => {
  const out = mkdtempSync(join(tmpdir(), 'mmfuse-runs-'));
  let summary: RunSummary;

  beforeAll(async () => {
    const runner = container().get(ExperimentRunner);
    const prepared = await runner.prepare(tinyConfig(), { baseDir: process.cwd() });
    summary = await runner.run(prepared, { outputDir: out });
  }, 60000);

  it('writes the resolved config, metrics for every set-up, trial and epoch, and the summary', () => {
    expect(readdirSync(summary.runDir).sort()).toEqual(['checkpoints', 'config.json', 'metrics.jsonl', 'run.json', 'summary.csv', 'summary.json', 'trials']);
    expect(readdirSync(join(summary.runDir, 'trials')).sort()).toEqual(['concat.trial0.json', 'concat.trial1.json', 'sum.trial0.json', 'sum.trial1.json']);
    expect(summary.runDir.startsWith(join(out, 'tiny-'))).toBe(true);
    const config = JSON.parse(readFileSync(join(summary.runDir, 'config.json'), 'utf8'));
    expect(config.modalities[0].decoder).toEqual({ type: 'conv2d-transpose', activation: 'relu', outputActivation: 'linear', init: 'pytorch' });
    const rows = readFileSync(join(summary.runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows).toHaveLength(2 * 2 * 3);
    expect(rows[0]).toMatchObject({ setup: 'sum', trial: 0, epoch: 1 });
    expect(Object.keys(rows[0].test).sort()).toEqual(['camera', 'joints', 'total']);
  });

  it('summarises each set-up\'s final losses as mean and sample std over trials, recomputable from the metrics', () => {
    const rows = readFileSync(join(summary.runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    for (const setup of ['sum', 'concat']) {
      const finals = rows.filter((r) => r.setup === setup && r.epoch === 3).map((r) => r.test.total);
      const expected = meanStd(finals);
      expect(summary.setups[setup].final.test.total.mean).toBeCloseTo(expected.mean, 10);
      expect(summary.setups[setup].final.test.total.std).toBeCloseTo(expected.std, 10);
      expect(summary.setups[setup].final.test.total.values).toEqual(finals);
      expect(summary.setups[setup].curves.train.total.mean).toHaveLength(3);
    }
    expect(summary.backend.name).toBe('wasm');
  });

  it('lowers the training loss of every trial', () => {
    const rows = readFileSync(join(summary.runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    for (const setup of ['sum', 'concat']) {
      for (const trial of [0, 1]) {
        const curve = rows.filter((r) => r.setup === setup && r.trial === trial).map((r) => r.train.total);
        expect(curve[2]).toBeLessThan(curve[0]);
      }
    }
  });

  it('repeats a run exactly from the same seed on the same backend', async () => {
    const runner = container().get(ExperimentRunner);
    const prepared = await runner.prepare(tinyConfig({ fusions: [{ type: 'sum' }], training: { epochs: 3, batchSize: 8, learningRate: 0.003, trials: 1 } }), { baseDir: process.cwd() });
    const again = await runner.run(prepared, { outputDir: out });
    expect(again.setups.sum.final.test.total.values[0]).toBe(summary.setups.sum.final.test.total.values[0]);
  }, 30000);

  it('applies a set-up\'s own regularizers to that set-up only, and shared ones to all', async () => {
    const runner = container().get(ExperimentRunner);
    const config = tinyConfig({
      fusions: [{ type: 'sum' }, { type: 'concat', regularizers: [{ type: 'counting' }] }],
      regularizers: [{ type: 'counting' }],
      training: { epochs: 1, batchSize: 8, learningRate: 0.003, trials: 1 },
    });
    await runner.run(await runner.prepare(config, { baseDir: process.cwd() }), { outputDir: out });
    const steps = Math.ceil(24 / 8);
    expect(penaltyCalls).toEqual({ 'regularizers[0]': 2 * steps, 'fusions[1].regularizers[0]': steps });
  }, 30000);

  it('stops a diverging trial with where it went bad, goes on with the others, and never averages a NaN', async () => {
    const runner = container().get(ExperimentRunner);
    const config = tinyConfig({
      name: 'diverging',
      // 3 steps per epoch: the weights go bad after the 4th step, in epoch 2.
      fusions: [{ type: 'sum' }, { type: 'concat', regularizers: [{ type: 'poison', after: 4 }] }],
      training: { epochs: 3, batchSize: 8, learningRate: 0.003, trials: 2 },
    });
    const summary = await runner.run(await runner.prepare(config, { baseDir: process.cwd() }), { outputDir: out });
    // The poison regularizer is created once per set-up, so only concat's first trial is hit.
    expect(summary.setups.concat.diverged).toEqual([{ trial: 0, epoch: 2, step: 2, subModel: 'decoder:joints', details: {} }]);
    expect(summary.setups.concat.trials).toBe(1);
    expect(summary.setups.concat.final.test.total.values).toHaveLength(1);
    expect(Number.isFinite(summary.setups.concat.final.test.total.mean)).toBe(true);
    expect(summary.setups.sum.diverged).toEqual([]);
    expect(summary.setups.sum.trials).toBe(2);
    const outcome = JSON.parse(readFileSync(join(summary.runDir, 'trials', 'concat.trial0.json'), 'utf8'));
    expect(outcome).toMatchObject({ status: 'diverged', epochs: [expect.objectContaining({ epoch: 1 })] });
    const text = readFileSync(join(summary.runDir, 'summary.json'), 'utf8');
    expect(text).not.toMatch(/NaN|null,\s*"std"/);
  }, 30000);

  it('marks a trial whose test loss overflows float32 diverged, saying where, and never averages it', async () => {
    const runner = container().get(ExperimentRunner);
    const prepared = await runner.prepare(tinyConfig({ name: 'overflow', fusions: [{ type: 'concat' }], training: { epochs: 2, batchSize: 8, learningRate: 0.003, trials: 2 } }), { baseDir: process.cwd() });
    // Finite float32 test inputs whose squared errors are not (the check in prepare refuses such data; this is past it).
    // Fused, the one huge input reaches every reconstruction.
    const joints = prepared.data.test.arrays.joints as Float32Array;
    const huge = { ...prepared.data, test: { ...prepared.data.test, arrays: { ...prepared.data.test.arrays, joints: joints.map((v, i) => (i === 0 ? 3e38 : v)) } } };
    const summary = await runner.run({ ...prepared, data: huge }, { outputDir: out });
    expect(summary.setups.concat.diverged).toEqual([
      { trial: 0, epoch: 1, step: 3, subModel: null, details: {}, where: 'the test loss of camera, joints, total' },
      { trial: 1, epoch: 1, step: 3, subModel: null, details: {}, where: 'the test loss of camera, joints, total' },
    ]);
    expect(summary.setups.concat.trials).toBe(0);
    expect(readFileSync(join(summary.runDir, 'summary.json'), 'utf8')).not.toMatch(/Infinity|NaN/);
  }, 30000);

  it('keeps the tensor count constant and the resident memory flat over 50 epochs', async () => {
    const runner = container().get(ExperimentRunner);
    const config = tinyConfig({ name: 'fifty', fusions: [{ type: 'concat' }], training: { epochs: 50, batchSize: 8, learningRate: 0.003, trials: 1 } });
    const summary = await runner.run(await runner.prepare(config, { baseDir: process.cwd() }), { outputDir: out });
    const memory = readFileSync(join(summary.runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).memory);
    expect(memory).toHaveLength(50);
    expect(new Set(memory.map((m: { tensors: number }) => m.tensors)).size).toBe(1);
    // After the first epochs have sized the heaps, growth stays within 10 %.
    expect(memory[49].rssMB / memory[9].rssMB).toBeLessThan(1.1);
  }, 60000);

  it('leaves no tensors behind', async () => {
    const runner = container().get(ExperimentRunner);
    const config = tinyConfig({ fusions: [{ type: 'concat' }], training: { epochs: 1, batchSize: 8, learningRate: 0.003, trials: 1 } });
    const prepared = await runner.prepare(config, { baseDir: process.cwd() });
    const before = tf.memory().numTensors;
    await runner.run(prepared, { outputDir: out });
    expect(tf.memory().numTensors).toBe(before);
  }, 30000);

  it('names a plugin whose component does not satisfy the interface, before writing anything', async () => {
    const runner = container().get(ExperimentRunner);
    const config = tinyConfig({ name: 'broken-plugin', fusions: [{ type: 'sum' }, { type: 'broken' }] });
    await expect(runner.prepare(config, { baseDir: process.cwd() })).rejects.toThrow(
      'fusions[1]: fusion type "broken" (from fusion-broken-plugin) did not build a valid fusion: missing apply(), dispose(), getConfig(), parameters',
    );
    expect(readdirSync(out).some((d) => d.startsWith('broken-plugin'))).toBe(false);
  });

  it('refuses latents of different sizes for sum before writing anything, naming the fusion', async () => {
    const runner = container().get(ExperimentRunner);
    const config = tinyConfig({
      modalities: [
        { name: 'camera', encoder: { type: 'conv2d', channels: [4, 8] }, decoder: { type: 'conv2d-transpose' } },
        { name: 'joints', encoder: { type: 'mlp', latentSize: 10 }, decoder: { type: 'mlp' } },
      ],
      fusions: [{ type: 'concat' }, { type: 'sum' }],
      name: 'mismatch',
    });
    await expect(runner.prepare(config, { baseDir: process.cwd() })).rejects.toThrow(UserInputError);
    await expect(runner.prepare(config, { baseDir: process.cwd() })).rejects.toThrow('fusions[1]: the sum fusion adds latents, so all must have one width; got camera 72, joints 10');
    expect(readdirSync(out).some((d) => d.startsWith('mismatch'))).toBe(false);
    expect(existsSync(out)).toBe(true);
  });
});
