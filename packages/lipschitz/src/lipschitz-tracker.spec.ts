import 'reflect-metadata';
import { mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import * as tf from '@tensorflow/tfjs-core';
import Ajv2020 from 'ajv/dist/2020';
import { Container } from 'inversify';
import { initBackend } from '@mmfuse/backend';
import { ComponentRegistry, coreModule, loadPlugins, ModalitySpec, MultimodalDataset, TrialInfo, UserInputError } from '@mmfuse/core';
import { ConvImageDecoder, ConvImageEncoder, MlpDecoder, MlpEncoder } from '@mmfuse/encoders';
import { AttentionFusion } from '@mmfuse/fusion-attention';
import { ConcatFusion } from '@mmfuse/fusion-concat';
import { MultimodalAutoencoder as ComposedModel } from '@mmfuse/model';
import { randomArray } from '../test-support/reference';
import { FROBENIUS_RELATION, inCurrentVocabulary } from './lipschitz-result';
import { LipschitzRow, LipschitzTracker, LIPSCHITZ_TRACKER_SCHEMA } from './lipschitz-tracker';

beforeAll(async () => {
  await initBackend('cpu');
});

const camera: ModalitySpec = { name: 'camera', kind: 'image', shape: [8, 8, 1] };
const joints: ModalitySpec = { name: 'joints', kind: 'series', shape: [4, 2] };

function tinyModel(seed: number, fusionType: 'concat' | 'attention' = 'concat'): ComposedModel {
  const image = new ConvImageEncoder('encoder:camera', camera, { channels: [2, 3], kernelSize: 3, stride: 2, padding: 1, activation: 'relu', activateLast: true, init: 'pytorch' }, seed);
  const series = new MlpEncoder('encoder:joints', joints, { units: [6], latentSize: fusionType === 'attention' ? image.outputSize : 5, activation: 'tanh', activateLast: true, init: 'pytorch' }, seed + 1);
  const sizes = [image.outputSize, series.outputSize];
  const fusion = fusionType === 'attention' ? new AttentionFusion('fusion', sizes, {}, seed + 4) : new ConcatFusion('fusion', sizes);
  const imageDecoder = new ConvImageDecoder('decoder:camera', camera, fusion.outputSize, image.layers, { activation: 'relu', outputActivation: 'linear', init: 'pytorch' }, seed + 2);
  const seriesDecoder = new MlpDecoder('decoder:joints', joints, fusion.outputSize, { units: [6], activation: 'relu', outputActivation: 'linear', init: 'pytorch' }, seed + 3);
  return new ComposedModel([image, series], fusion, [imageDecoder, seriesDecoder]);
}

const data: MultimodalDataset = {
  modalities: [camera, joints],
  train: { size: 20, arrays: { camera: randomArray(20 * 64, 1), joints: randomArray(20 * 8, 2) } },
  test: { size: 4, arrays: { camera: randomArray(4 * 64, 3), joints: randomArray(4 * 8, 4) } },
};

const SUB_MODELS = ['encoder:camera', 'encoder:joints', 'fusion', 'decoder:camera', 'decoder:joints', 'model'];
const loss = { total: 0 };

/** Drives a tracker as the experiment runner does: trial start, `epochs` epoch ends (weights nudged between), trial end. */
async function runTrial(tracker: LipschitzTracker, runDir: string, setup: string, trial: number, epochs: number, fusionType: 'concat' | 'attention' = 'concat'): Promise<void> {
  const model = tinyModel(10 * trial + 1, fusionType);
  const info: TrialInfo = { setup, trial, seed: 100 + trial, runDir, model, data, startEpoch: 0, epochs };
  await tracker.onTrialStart(info);
  for (let epoch = 1; epoch <= epochs; epoch++) {
    // Stand-in for an optimiser step: grow the first camera kernel so the estimates move.
    const kernel = model.encoders[0].parameters[0].variable;
    const grown = tf.mul(kernel, 1.5);
    kernel.assign(grown);
    grown.dispose();
    await tracker.onEpochEnd({ ...info, epoch, train: loss, test: loss });
  }
  await tracker.onTrialEnd(info);
  model.dispose();
}

const readRows = (path: string): LipschitzRow[] =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));

describe('the lipschitz tracker', () => {
  it('writes one row per evaluation, sub-model and estimator: before training, every N epochs and after the last', async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'lipschitz-'));
    // No time budget: every scheduled evaluation runs.
    const tracker = new LipschitzTracker({ every: 2, samples: 4, budget: 0 }, { runDir });
    const before = tf.memory().numTensors;
    await runTrial(tracker, runDir, 'concat', 0, 3);
    expect(tf.memory().numTensors).toBe(before);
    const rows = readRows(join(runDir, 'lipschitz.jsonl'));
    expect(rows).toHaveLength(3 * SUB_MODELS.length * 3);
    expect(new Set(rows.map((r) => r.budget))).toEqual(new Set([0]));
    expect([...new Set(rows.map((r) => r.epoch))]).toEqual([0, 2, 3]);
    expect([...new Set(rows.map((r) => r.subModel))]).toEqual(SUB_MODELS);
    for (const row of rows) {
      expect(row).toMatchObject({ setup: 'concat', trial: 0 });
      expect({ row: `${row.subModel} ${row.estimator} ${row.epoch}`, positive: Number.isFinite(row.value) && row.value > 0 }).toEqual({ row: `${row.subModel} ${row.estimator} ${row.epoch}`, positive: true });
      expect(row.seconds).toBeGreaterThanOrEqual(0);
      const expected = { 'jacobian-spectral': ['spectral-local', 'lower', 4], 'jacobian-frobenius': ['frobenius-local', 'none', 4], 'certified-bound': ['certified', 'upper', 0] }[row.estimator];
      expect([row.quantity, row.bound, row.samples]).toEqual(expected);
      expect(row.of).toMatch(/Lipschitz constant/);
      if (row.estimator === 'jacobian-frobenius') expect(row.relation).toContain(FROBENIUS_RELATION);
    }
    // No row that calls itself a lower bound exceeds one that calls itself an upper bound. The
    // Frobenius norm does here (concatenation: ‖I‖_F = √n against the constant 1), and says `none`.
    for (const epoch of [0, 2, 3]) {
      for (const subModel of SUB_MODELS) {
        const of = (bound: string) => rows.filter((r) => r.epoch === epoch && r.subModel === subModel && r.bound === bound).map((r) => r.value);
        expect(Math.max(...of('lower'))).toBeLessThanOrEqual(Math.min(...of('upper')) * (1 + 1e-6));
      }
    }
    const fusionFrobenius = rows.find((r) => r.subModel === 'fusion' && r.estimator === 'jacobian-frobenius')!;
    expect(fusionFrobenius.value).toBeGreaterThan(rows.find((r) => r.subModel === 'fusion' && r.estimator === 'certified-bound')!.value * 2);
    // Lower bounds stay under the certificate at every evaluation; and the growing kernel shows.
    for (const epoch of [0, 2, 3]) {
      for (const subModel of SUB_MODELS) {
        const at = (estimator: string) => rows.find((r) => r.epoch === epoch && r.subModel === subModel && r.estimator === estimator)!.value;
        expect(at('jacobian-spectral')).toBeLessThanOrEqual(at('certified-bound') * (1 + 1e-6));
      }
    }
    const cameraBound = (epoch: number) => rows.find((r) => r.epoch === epoch && r.subModel === 'encoder:camera' && r.estimator === 'certified-bound')!.value;
    expect(cameraBound(2) / cameraBound(0)).toBeCloseTo(2.25, 2);
    const wholeModel = rows.find((r) => r.subModel === 'model' && r.estimator === 'certified-bound')!;
    expect(wholeModel.convention).toMatch(/separate inputs/);
  });

  it('writes the domain a conditional certificate holds on, and each layer\'s certified bound, power-iteration estimate and ratio', async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'lipschitz-'));
    const tracker = new LipschitzTracker({ samples: 3, estimators: [{ type: 'certified-bound' }] }, { runDir });
    await runTrial(tracker, runDir, 'attention', 0, 1, 'attention');
    const rows = readRows(join(runDir, 'lipschitz.jsonl')).filter((r) => r.epoch === 1);
    const row = (subModel: string) => rows.find((r) => r.subModel === subModel)!;
    const domain = row('fusion').domain!;
    expect(domain.source).toMatch(/over the 3 samples/);
    expect(domain.minInputNorm).toBeGreaterThan(0);
    expect(domain.minInputNorm).toBeLessThanOrEqual(domain.inputRadius);
    expect(row('fusion').relation).toMatch(/in `domain` only/);
    expect(row('fusion').assumptions).toMatch(/not globally/);
    // The whole model's bound goes through the fusion's, on the same domain.
    expect(row('model').domain).toEqual(domain);
    expect(row('encoder:camera').domain).toBeUndefined();
    const convs = row('encoder:camera').layers!.filter((l) => l.kind === 'conv2d');
    expect(convs.map((l) => l.name)).toEqual(['conv0', 'conv1']);
    for (const layer of convs) {
      expect(layer.lower!).toBeGreaterThan(0);
      expect(layer.lower!).toBeLessThanOrEqual(layer.upper);
      expect(layer.ratio).toBeCloseTo(layer.upper / layer.lower!, 12);
      expect(row('encoder:camera').details).toContain(`${layer.name} ${layer.upper.toPrecision(4)} / ${layer.lower!.toPrecision(4)} = ${layer.ratio!.toPrecision(4)}`);
    }
    const deconvs = row('decoder:camera').layers!.filter((l) => l.kind === 'conv2d-transpose');
    expect(deconvs.map((l) => l.name)).toEqual(['deconv0', 'deconv1']);
  });

  it('reads rows in the earlier vocabulary: an exact Frobenius norm once written as a lower bound is no bound', async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'lipschitz-'));
    const base = { setup: 'sum', trial: 0, epoch: 3, subModel: 'fusion', samples: 4, seconds: 0.5, method: 'exact', norm: 'l2' };
    const legacy = [
      { ...base, estimator: 'jacobian-spectral', quantity: 'spectral', bound: 'lower', value: 1.4 },
      { ...base, estimator: 'jacobian-frobenius', quantity: 'frobenius', bound: 'lower', value: 16.97 },
      { ...base, estimator: 'certified-bound', quantity: 'upper-bound', bound: 'upper', value: 1.414, samples: 0 },
    ];
    writeFileSync(join(runDir, 'lipschitz.jsonl'), legacy.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const tracker = new LipschitzTracker({}, { runDir });
    tracker.onTrialRestored({ setup: 'sum', trial: 0, seed: 1, runDir, seconds: 10 });
    const final = (tracker.summarize()!.data.final as Record<string, Record<string, Record<string, { mean: number; bound: string; quantity: string }>>>).sum.fusion;
    expect(final['Frobenius ‖J‖_F (not l2)']).toMatchObject({ mean: 16.97, bound: 'none', quantity: 'frobenius-local' });
    expect(final['spectral ‖J‖₂ (lower bound)']).toMatchObject({ mean: 1.4, bound: 'lower', quantity: 'spectral-local' });
    expect(final['certified (upper bound)']).toMatchObject({ mean: 1.414, bound: 'upper', quantity: 'certified' });
    // Rows already in the current vocabulary pass unchanged, and so do failed rows.
    const current = { ...base, estimator: 'jacobian-frobenius', quantity: 'frobenius-local', bound: 'none', relation: FROBENIUS_RELATION, value: 2 };
    expect(inCurrentVocabulary(current)).toEqual(current);
    expect(inCurrentVocabulary(inCurrentVocabulary(legacy[1]))).toEqual(inCurrentVocabulary(legacy[1]));
    const failed = { ...base, estimator: 'gradient-ratio', value: null, error: 'no second-order gradients' };
    expect(inCurrentVocabulary(failed)).toEqual(failed);
  });

  it('summarises the final values per set-up as mean over trials, bounds beside estimates, with the time share', async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'lipschitz-'));
    const tracker = new LipschitzTracker({ samples: 3, estimators: [{ type: 'jacobian-spectral' }, { type: 'certified-bound' }, { type: 'difference-quotient', pairing: 'between-samples' }] }, { runDir });
    expect(tracker.summarize()).toBeUndefined();
    for (const trial of [0, 1]) await runTrial(tracker, runDir, 'concat', trial, 1);
    const rows = readRows(join(runDir, 'lipschitz.jsonl'));
    const summary = tracker.summarize()!;
    expect(summary.name).toBe('lipschitz');
    expect(summary.table!.head).toEqual(['set-up', 'sub-model', 'spectral ‖J‖₂ (lower bound)', 'certified (upper bound)', 'difference quotient (lower bound)']);
    expect(summary.table!.rows.map((r) => r[1])).toEqual(SUB_MODELS);
    const final = (summary.data.final as Record<string, Record<string, Record<string, { mean: number; n: number; bound: string }>>>).concat;
    const lastSpectral = [0, 1].map((trial) => rows.filter((r) => r.trial === trial && r.subModel === 'fusion' && r.estimator === 'jacobian-spectral').pop()!.value);
    expect(final.fusion['spectral ‖J‖₂ (lower bound)'].mean).toBeCloseTo((lastSpectral[0] + lastSpectral[1]) / 2, 10);
    expect(final.fusion['spectral ‖J‖₂ (lower bound)'].n).toBe(2);
    expect(final.model['certified (upper bound)'].bound).toBe('upper');
    const share = summary.data.share as number;
    expect(share).toBeGreaterThan(0);
    expect(share).toBeLessThanOrEqual(1);
    expect(summary.title).toMatch(/estimating took \d+\.\d% of the trials' time/);
  });

  it('skips scheduled evaluations that would pass its time budget, and says which in the rows and the summary', async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'lipschitz-'));
    // The stand-in epochs take no time, so any evaluation between the two ends passes 10 %.
    const tracker = new LipschitzTracker({ samples: 2, estimators: [{ type: 'jacobian-frobenius' }, { type: 'jacobian-spectral' }] }, { runDir });
    expect(tracker.options.budget).toBe(0.1);
    await runTrial(tracker, runDir, 'sum', 0, 4);
    const rows = readRows(join(runDir, 'lipschitz.jsonl'));
    // The power iteration makes up for the skipped evaluations (up to its cold start's 3 passes);
    // the final evaluation forms no directions for a next one (the first one does).
    const spectral = (epoch: number) => rows.filter((r) => r.epoch === epoch && r.estimator === 'jacobian-spectral');
    expect(spectral(4).length).toBe(SUB_MODELS.length);
    for (const r of spectral(4)) expect(r.method).toMatch(/^power iteration on JJᵀ, 3 reverse passes per sample \(warm start from the kept directions\); /);
    for (const r of spectral(0)) expect(r.method).toMatch(/^power iteration on JJᵀ, 3 reverse passes per sample \(cold start from Gaussian directions\); /);
    expect([...new Set(rows.map((r) => r.epoch))]).toEqual([0, 4]);
    expect(new Set(rows.map((r) => r.budget))).toEqual(new Set([0.1]));
    expect(rows.filter((r) => r.epoch === 0).every((r) => r.skipped === undefined)).toBe(true);
    expect(new Set(rows.filter((r) => r.epoch === 4).map((r) => JSON.stringify(r.skipped)))).toEqual(new Set(['[1,2,3]']));
    const summary = tracker.summarize()!;
    expect(summary.data).toMatchObject({ budget: 0.1, skipped: 3 });
    expect(summary.title).toContain('budget 10%, 3 scheduled evaluations skipped for it');
    // Read back after a resume, the count is the same.
    const resumed = new LipschitzTracker({ samples: 2, estimators: [{ type: 'jacobian-frobenius' }, { type: 'jacobian-spectral' }] }, { runDir });
    resumed.onTrialRestored({ setup: 'sum', trial: 0, seed: 1, runDir, seconds: 10 });
    expect(resumed.summarize()!.data).toMatchObject({ skipped: 3 });
  });

  it('reads back the trials that finished before a resume, so the summary covers every trial', async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'lipschitz-'));
    const options = { samples: 3, estimators: [{ type: 'jacobian-spectral' as const }, { type: 'certified-bound' as const }] };
    const first = new LipschitzTracker(options, { runDir });
    for (const trial of [0, 1]) await runTrial(first, runDir, 'sum', trial, 2);
    const original = first.summarize()!;
    // A new process after an interruption: trial 0 finished before, trial 1 runs again.
    const resumed = new LipschitzTracker(options, { runDir });
    resumed.onTrialRestored({ setup: 'sum', trial: 0, seed: 1, runDir, seconds: 10 });
    const rowsBefore = readRows(join(runDir, 'lipschitz.jsonl')).length;
    await runTrial(resumed, runDir, 'sum', 1, 2);
    expect(readRows(join(runDir, 'lipschitz.jsonl')).length).toBeGreaterThan(rowsBefore);
    const again = resumed.summarize()!;
    expect(again.data.final).toEqual(original.data.final);
    expect(again.table!.rows).toEqual(original.table!.rows);
    const timing = (again.data.timing as Record<string, Array<{ trial: number; trialSeconds: number; estimatingSeconds: number }>>).sum;
    expect(timing.find((t) => t.trial === 0)).toEqual(expect.objectContaining({ trialSeconds: 10 }));
    expect(timing.find((t) => t.trial === 0)!.estimatingSeconds).toBeGreaterThan(0);
  });

  it('tracks only the named sub-models, and the parameter-gradient ratio of each one that has parameters', async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'lipschitz-'));
    const tracker = new LipschitzTracker({ samples: 2, subModels: ['encoder:camera', 'fusion', 'model'], estimators: [{ type: 'jacobian-frobenius' }, { type: 'gradient-ratio', gradient: 'parameters' }] }, { runDir });
    await runTrial(tracker, runDir, 'concat', 0, 1);
    const rows = readRows(join(runDir, 'lipschitz.jsonl'));
    expect([...new Set(rows.map((r) => `${r.subModel} ${r.estimator}`))].sort()).toEqual([
      'encoder:camera gradient-ratio',
      'encoder:camera jacobian-frobenius',
      'fusion jacobian-frobenius',
      'model gradient-ratio',
      'model jacobian-frobenius',
    ]);
    const bad = new LipschitzTracker({ subModels: ['encoder:kamera'] }, { runDir });
    const model = tinyModel(1);
    await expect(bad.onTrialStart({ setup: 's', trial: 0, seed: 1, runDir, model, data, startEpoch: 0 })).rejects.toThrow('lipschitz: subModels names "encoder:kamera", but the model has encoder:camera, encoder:joints, fusion, decoder:camera, decoder:joints, model');
    model.dispose();
  });

  it('leaves the state a forward pass advances as it was, so skipping an evaluation never changes training', async () => {
    const model = tinyModel(5, 'attention');
    const buffers = () => model.subModels().flatMap((s) => s.buffers ?? []).map((b) => Array.from(b.variable.dataSync()));
    expect(buffers().length).toBeGreaterThan(0);
    const before = buffers();
    const inputs = [tf.tensor4d(randomArray(128, 5), [2, 8, 8, 1]), tf.tensor3d(randomArray(16, 6), [2, 4, 2])];
    const results = await new LipschitzTracker({ samples: 2 }).evaluate(model, inputs, 3);
    expect(results.length).toBeGreaterThan(0);
    expect(buffers()).toEqual(before);
    // A forward pass does move them, so the comparison above can fail.
    tf.dispose(model.apply(inputs));
    expect(buffers()).not.toEqual(before);
    tf.dispose(inputs);
    model.dispose();
  });

  it('writes a row saying why when an estimator fails on a sub-model, and goes on with the others', async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'lipschitz-'));
    const model = tinyModel(3);
    const concat = model.fusion;
    // A fusion that works on the training batch but refuses the stacked perturbed copies.
    const picky = Object.assign(Object.create(concat), {
      apply: (latents: tf.Tensor2D[]) => {
        if (latents[0].shape[0] > 2) throw new Error('this fusion takes at most 2 rows');
        return concat.apply(latents);
      },
    });
    const fragile = new ComposedModel(model.encoders, picky, model.decoders);
    const tracker = new LipschitzTracker({ samples: 2, estimators: [{ type: 'difference-quotient', pairs: 2 }] }, { runDir });
    const info: TrialInfo = { setup: 'picky', trial: 0, seed: 1, runDir, model: fragile, data, startEpoch: 0 };
    await tracker.onTrialStart(info);
    await tracker.onTrialEnd(info);
    const rows = readRows(join(runDir, 'lipschitz.jsonl')) as unknown as Array<Record<string, unknown>>;
    expect(rows.filter((r) => r.error).map((r) => [r.subModel, r.error, r.value])).toEqual([
      ['fusion', 'this fusion takes at most 2 rows', null],
      ['model', 'this fusion takes at most 2 rows', null],
    ]);
    expect(rows.filter((r) => !r.error).map((r) => r.subModel)).toEqual(['encoder:camera', 'encoder:joints', 'decoder:camera', 'decoder:joints']);
    const table = tracker.summarize()!.table!;
    expect(table.rows.find((r) => r[1] === 'fusion')).toEqual(['picky', 'fusion', 'failed']);
    model.dispose();
  });

  it('refuses unknown estimator options, naming the estimator', () => {
    expect(() => new LipschitzTracker({ estimators: [{ type: 'jacobian-spectral' }, { type: 'jacobian-spectral', probes: 3 } as never] })).toThrow(
      'lipschitz estimators[1]: estimator "jacobian-spectral" has no option "probes"; its options are iterations, warmIterations, warmStart, refreshEvery, jvp, samples, seed',
    );
    expect(() => new LipschitzTracker({ estimators: [{ type: 'jacobian-norm' } as never] })).toThrow(UserInputError);
  });
});

describe('the lipschitz callback options schema', () => {
  const ajv = () => new Ajv2020({ allErrors: true, useDefaults: true, strict: true, strictRequired: false, allowUnionTypes: true });

  it('is strict JSON Schema that fills in defaults, also inside each estimator entry', () => {
    const validate = ajv().compile(LIPSCHITZ_TRACKER_SCHEMA);
    const empty: Record<string, unknown> = {};
    expect(validate(empty)).toBe(true);
    expect(empty).toMatchObject({ every: 1, samples: 4, subModels: [], file: 'lipschitz.jsonl' });
    expect(empty.estimators).toEqual([
      { type: 'jacobian-spectral', iterations: 3, warmIterations: 1, warmStart: true, refreshEvery: 1, jvp: 'difference', samples: 0, seed: 0 },
      { type: 'jacobian-frobenius', method: 'auto', probes: 1, exactUpTo: 65536, products: 'difference', samples: 0, seed: 0 },
      { type: 'certified-bound', iterations: 1, coldIterations: 6, warmStart: true, samples: 0, seed: 0 },
    ]);
    const custom: Record<string, unknown> = { estimators: [{ type: 'difference-quotient', radius: 0.1 }, { type: 'gradient-ratio', gradient: 'parameters' }] };
    expect(validate(custom)).toBe(true);
    expect(custom.estimators).toEqual([
      { type: 'difference-quotient', pairing: 'nearby', pairs: 2, radius: 0.1, direction: 'random', samples: 0, seed: 0 },
      { type: 'gradient-ratio', gradient: 'parameters', pairs: 1, radius: 0.05, epsilon: 1e-8, samples: 0, seed: 0 },
    ]);
  });

  it('reports a wrong key against the chosen estimator, and an unknown type once', () => {
    const validate = ajv().compile(LIPSCHITZ_TRACKER_SCHEMA);
    expect(validate({ estimators: [{ type: 'jacobian-spectral', probes: 3 }] })).toBe(false);
    expect(validate.errors!.map((e) => [e.instancePath, e.keyword, (e.params as { additionalProperty?: string }).additionalProperty])).toContainEqual(['/estimators/0', 'additionalProperties', 'probes']);
    expect(validate({ estimators: [{ type: 'jacobian-norm' }] })).toBe(false);
    expect(validate.errors!.filter((e) => e.keyword === 'enum').map((e) => e.instancePath)).toEqual(['/estimators/0/type']);
    expect(validate({ every: 0 })).toBe(false);
  });

  it('describes every property and gives each option a default', () => {
    const missing: string[] = [];
    const walk = (schema: Record<string, unknown>, path: string) => {
      for (const [key, property] of Object.entries((schema.properties ?? {}) as Record<string, Record<string, unknown>>)) {
        if (typeof property.description !== 'string') missing.push(`${path}.${key} description`);
        if (key !== 'type' && property.default === undefined) missing.push(`${path}.${key} default`);
      }
      for (const branch of (schema.allOf ?? []) as Array<{ then: Record<string, unknown> }>) walk(branch.then, `${path}[${(branch.then.properties as { type: { const: string } }).type.const}]`);
      const items = (schema.properties as Record<string, { items?: Record<string, unknown> }> | undefined)?.estimators?.items;
      if (items) walk(items, `${path}.estimators`);
    };
    walk(LIPSCHITZ_TRACKER_SCHEMA, 'lipschitz');
    expect(missing).toEqual([]);
  });
});

describe('the plugin', () => {
  it('is found from its package folder and registers the "lipschitz" callback', () => {
    const container = new Container();
    container.load(coreModule);
    loadPlugins(container, ['.'], join(__dirname, '..'));
    const registry = container.get<ComponentRegistry>(ComponentRegistry);
    const registration = registry.get('callback', 'lipschitz');
    expect(registration.source).toBe('@mmfuse/lipschitz');
    const tracker = registry.create('callback', { type: 'lipschitz', every: 5 }, { runDir: tmpdir() }) as LipschitzTracker;
    // The registry builds from the package's dist, a different class object from this spec's source.
    expect(typeof tracker.onTrialStart).toBe('function');
    expect(typeof tracker.summarize).toBe('function');
    expect(tracker.options.every).toBe(5);
    expect(tracker.options.estimators.map((e) => e.type)).toEqual(['jacobian-spectral', 'jacobian-frobenius', 'certified-bound']);
  });
});
