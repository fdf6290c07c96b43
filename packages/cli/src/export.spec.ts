import { mkdtempSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@mmfuse/backend';
import { ComponentRegistry, Decoder, Encoder, Fusion, inMemory, UserInputError } from '@mmfuse/core';
import { loadSubModel } from '@mmfuse/model';
import { ExperimentRunner } from '@mmfuse/trainer';
import { loadExperiment } from './load-experiment';
import { mmfuse } from './testing/cli-process';

/**
 * `mmfuse export` on a finished run, then the exported sub-models rebuilt by loadSubModel in this
 * process, away from the run: encoders, fusion and decoders chained on the run's test split give
 * the test MSE the run recorded for that trial's last epoch. (The attention fusion's forward pass
 * advances its spectral power iteration, so its vector after the run's final evaluation moves σ̂
 * by a few 1e-7: the losses agree within 1e-5 relative, not bit for bit.)
 */
const CONFIG = {
  name: 'export',
  seed: 11,
  data: { type: 'synthetic-arm', episodes: 6, framesPerEpisode: 16, imageSize: 16, window: 8, windowStep: 2 },
  modalities: [
    { name: 'camera', encoder: { type: 'conv2d', channels: [4, 8], kernelSize: 3, stride: 2, padding: 1 }, decoder: { type: 'conv2d-transpose' } },
    { name: 'joints', encoder: { type: 'mlp', units: [16], latentSize: 16 }, decoder: { type: 'mlp' } },
  ],
  fusions: [{ type: 'concat' }, { type: 'attention' }],
  training: { epochs: 2, trials: 2, batchSize: 8 },
};

let dir: string;
let runDir: string;
let registry: ComponentRegistry;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mmfuse-export-'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(CONFIG));
  const r = mmfuse(dir, 'run', 'config.json', '--out', 'runs', '--quiet', '--no-report');
  expect(r.code).toBe(0);
  runDir = join(dir, 'runs', readdirSync(join(dir, 'runs'))[0]);
  await initBackend('cpu');
  registry = loadExperiment(join(runDir, 'config.json')).registry;
});

describe('mmfuse export', () => {
  it("writes a finished trial's sub-models that give the run's test losses in another program", async () => {
    const out = join(dir, 'exported');
    const r = mmfuse(dir, 'export', runDir, '--setup', 'attention', '--trial', '1', '--out', out);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    const names = ['encoder-camera', 'encoder-joints', 'fusion', 'decoder-camera', 'decoder-joints'];
    expect(r.stdout.trim().split('\n')).toEqual(names.map((n) => join(out, n)));
    const loaded = names.map((n) => loadSubModel(join(out, n), registry));
    expect(loaded.map((l) => l.kind)).toEqual(['encoder', 'encoder', 'fusion', 'decoder', 'decoder']);
    expect(loaded[2].manifest.userDefinedMetadata).toMatchObject({ setup: 'attention', trial: 1, epoch: 2 });
    // The manifest is TensorFlow.js's: tf.io.decodeWeights reads weights.bin with it.
    const fusionDir = join(out, 'fusion');
    const decoded = tf.io.decodeWeights(new Uint8Array(readFileSync(join(fusionDir, 'weights.bin'))).buffer, [...loaded[2].manifest.weightsManifest[0].weights]);
    expect(Object.keys(decoded)).toEqual(loaded[2].subModel.parameters.map((p) => p.name).concat((loaded[2].subModel.buffers ?? []).map((b) => b.name)));
    tf.dispose(Object.values(decoded));

    const encoders = [loaded[0].subModel, loaded[1].subModel] as Encoder[];
    const fusion = loaded[2].subModel as Fusion;
    const decoders = [loaded[3].subModel, loaded[4].subModel] as Decoder[];
    // The run's test split, from its own config and seed.
    const experiment = loadExperiment(join(runDir, 'config.json'));
    const data = await experiment.container.get(ExperimentRunner).dataSource(experiment.config, dir).load();
    const size = data.test.size;
    const errors = encoders.map((encoder) => {
      const spec = encoder.modality;
      return { spec, values: inMemory(data.test.arrays[spec.name]) };
    });
    const mse = tf.tidy(() => {
      const inputs = errors.map(({ spec, values }) => tf.tensor(values, [size, ...spec.shape]));
      const z = fusion.apply(inputs.map((x, m) => encoders[m].apply(x)));
      return decoders.map((d, m) => tf.mean(tf.squaredDifference(d.apply(z), inputs[m])).dataSync()[0]);
    });
    const rows = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
    const last = rows.find((row) => row.setup === 'attention' && row.trial === 1 && row.epoch === 2);
    expect(mse[0]).toBeCloseTo(last.test.camera, 6);
    expect(Math.abs(mse[0] - last.test.camera) / last.test.camera).toBeLessThan(1e-5);
    expect(Math.abs(mse[1] - last.test.joints) / last.test.joints).toBeLessThan(1e-5);
    // Another trial's weights give other losses: the comparison can fail.
    const other = rows.find((row) => row.setup === 'attention' && row.trial === 0 && row.epoch === 2);
    expect(Math.abs(mse[0] - other.test.camera) / other.test.camera).toBeGreaterThan(1e-3);
    for (const l of loaded) l.subModel.dispose();
  });

  it('refuses what it cannot export in one line, writing nothing', () => {
    const out = join(dir, 'refused');
    const cases: Array<[string[], string]> = [
      [['--setup', 'sum'], `error: --setup: "sum" is not a set-up of ${runDir}; it has concat, attention`],
      [['--trial', '2'], `error: --trial: 2 is not a trial of ${runDir}; it has trials 0 to 1`],
    ];
    for (const [args, message] of cases) {
      const r = mmfuse(dir, 'export', runDir, ...args, '--out', out);
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 2, stderr: `${message}\n` });
    }
    const notRun = mmfuse(dir, 'export', join(dir, 'runs'), '--out', out);
    expect({ code: notRun.code, stderr: notRun.stderr }).toEqual({ code: 2, stderr: `error: ${join(dir, 'runs')}: not a run folder (no config.json)\n` });
    expect(() => readdirSync(out)).toThrow();
  });

  it('reads back only what it wrote: a short weights file or a changed manifest is one error naming the file', () => {
    const out = join(dir, 'damaged');
    expect(mmfuse(dir, 'export', runDir, '--out', out).code).toBe(0);
    const encoderDir = join(out, 'encoder-joints');
    const manifest = JSON.parse(readFileSync(join(encoderDir, 'model.json'), 'utf8'));
    writeFileSync(join(encoderDir, 'model.json'), JSON.stringify({ ...manifest, format: 'layers-model' }));
    expect(() => loadSubModel(encoderDir, registry)).toThrow(new UserInputError(`${join(encoderDir, 'model.json')}: format: expected "mmfuse-sub-model" (a sub-model written by mmfuse export)`));
    const renamed = { ...manifest, weightsManifest: [{ ...manifest.weightsManifest[0], weights: manifest.weightsManifest[0].weights.map((w: { name: string }, i: number) => (i === 0 ? { ...w, name: 'other' } : w)) }] };
    writeFileSync(join(encoderDir, 'model.json'), JSON.stringify(renamed));
    expect(() => loadSubModel(encoderDir, registry)).toThrow(`weightsManifest lists no weight "encoder:joints/dense0/kernel", which encoder:joints (mlp) has`);
    // concatenation (the default set-up) has no weights: its weights.bin is empty, as listed.
    expect(readFileSync(join(out, 'fusion', 'weights.bin')).length).toBe(0);
    expect(loadSubModel(join(out, 'fusion'), registry).kind).toBe('fusion');
    const decoderDir = join(out, 'decoder-camera');
    const bytes = readFileSync(join(decoderDir, 'weights.bin')).length;
    truncateSync(join(decoderDir, 'weights.bin'), bytes - 4);
    expect(() => loadSubModel(decoderDir, registry)).toThrow(`${join(decoderDir, 'weights.bin')}: ${bytes - 4} bytes, but model.json lists ${bytes}`);
  });
});
