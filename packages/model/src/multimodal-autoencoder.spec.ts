import 'reflect-metadata';
import * as tf from '@tensorflow/tfjs-core';
import { Container } from 'inversify';
import { initBackend } from '@mmfuse/backend';
import { ComponentConfig, ComponentRegistry, coreModule, Fusion, FusionContext, ModalitySpec, Parameter, UserInputError } from '@mmfuse/core';
import { encodersModule } from '@mmfuse/encoders';
import { buildModel, MultimodalAutoencoder } from './multimodal-autoencoder';

/** Weighted sum with one learnable weight per modality: enough to check order, seeds and disposal. */
class WeightedSum implements Fusion {
  readonly parameters: Parameter[];
  readonly outputSize: number;
  disposed = false;
  constructor(readonly name: string, readonly inputSizes: readonly number[]) {
    this.outputSize = inputSizes[0];
    this.parameters = [{ name: `${name}/weights`, variable: tf.variable(tf.ones([inputSizes.length])) }];
  }
  apply(latents: readonly tf.Tensor2D[]): tf.Tensor2D {
    return tf.tidy(() => tf.addN(latents.map((h, i) => tf.mul(h, tf.slice(this.parameters[0].variable, [i], [1])))) as tf.Tensor2D);
  }
  getConfig(): ComponentConfig {
    return { type: 'weighted' };
  }
  dispose(): void {
    this.disposed = true;
    this.parameters[0].variable.dispose();
  }
}

const camera: ModalitySpec = { name: 'camera', kind: 'image', shape: [4, 4, 1] };
const joints: ModalitySpec = { name: 'joints', kind: 'series', shape: [3, 2] };
// Components get their options as written (a config validator fills in defaults), so every option is given.
const mlp = (units: number[]) => ({
  encoder: { type: 'mlp', units, latentSize: 4, activation: 'tanh', activateLast: true, init: 'he' },
  decoder: { type: 'mlp', units, activation: 'tanh', outputActivation: 'linear', init: 'he' },
});
const modalities = [
  { name: 'camera', ...mlp([5]) },
  { name: 'joints', ...mlp([3]) },
];

function registry(fusion: (options: unknown, context: FusionContext) => unknown = (_o, c) => new WeightedSum(c.name, c.inputSizes)): ComponentRegistry {
  const container = new Container();
  container.load(coreModule, encodersModule);
  const r = container.get<ComponentRegistry>(ComponentRegistry);
  r.register({ kind: 'fusion', type: 'weighted', description: 'test fusion', optionsSchema: { type: 'object' }, create: fusion as never, source: 'the test' });
  return r;
}

beforeAll(async () => {
  await initBackend('cpu');
});

describe('buildModel', () => {
  it('builds one encoder and decoder per modality around the fusion, in config order, with the decoders reconstructing each shape', () => {
    const model = buildModel(registry(), { modalities }, { type: 'weighted', label: 'w' }, 'fusions[0]', [joints, camera], 7);
    expect(model.subModels().map((m) => m.name)).toEqual(['encoder:camera', 'encoder:joints', 'fusion', 'decoder:camera', 'decoder:joints']);
    const inputs = [tf.randomUniform([2, 4, 4, 1]), tf.randomUniform([2, 3, 2])];
    const outputs = model.apply(inputs);
    expect(outputs.map((t) => t.shape)).toEqual([[2, 4, 4, 1], [2, 3, 2]]);
    // The latent is the fusion of the encoders' outputs: recomputed by hand from the parts.
    const byHand = tf.tidy(() => model.fusion.apply(model.encoders.map((e, i) => e.apply(inputs[i]))));
    const z = model.encode(inputs);
    expect(Array.from(z.dataSync())).toEqual(Array.from(byHand.dataSync()));
    // Parameter count: MLP 16→5→4 and 6→3→4, mirrored decoders 4→5→16 and 4→3→6, two fusion weights.
    const expected = (16 * 5 + 5 + 5 * 4 + 4) + (6 * 3 + 3 + 3 * 4 + 4) + 2 + (4 * 5 + 5 + 5 * 16 + 16) + (4 * 3 + 3 + 3 * 6 + 6);
    expect(model.parameterCount()).toBe(expected);
    expect(model.trainableVariables()).toHaveLength(model.subModels().reduce((n, m) => n + m.parameters.length, 0));
    tf.dispose([...inputs, ...outputs, byHand, z]);
    model.dispose();
  });

  it('derives every part\'s weights from the trial seed and the part\'s name: the same trial seed gives the same encoders whatever the fusion', () => {
    const a = buildModel(registry(), { modalities }, { type: 'weighted' }, 'fusions[0]', [camera, joints], 3);
    const b = buildModel(registry(), { modalities }, { type: 'weighted', label: 'other' }, 'fusions[1]', [camera, joints], 3);
    const c = buildModel(registry(), { modalities }, { type: 'weighted' }, 'fusions[0]', [camera, joints], 4);
    const weights = (m: MultimodalAutoencoder) => Array.from(m.encoders[0].parameters[0].variable.dataSync());
    expect(weights(a)).toEqual(weights(b));
    expect(weights(a)).not.toEqual(weights(c));
    for (const m of [a, b, c]) m.dispose();
  });

  it('names a modality the data do not provide, with the JSON path', () => {
    expect(() => buildModel(registry(), { modalities }, { type: 'weighted' }, 'fusions[0]', [camera], 1)).toThrow(
      new UserInputError('modalities[1].name: the data provide no modality "joints"; they provide camera'),
    );
  });

  it('names a fusion that does not satisfy the interface and disposes of the parts already built', () => {
    const before = tf.memory().numTensors;
    const r = registry(() => ({ outputSize: 4 }));
    expect(() => buildModel(r, { modalities }, { type: 'weighted' }, 'fusions[2]', [camera, joints], 1)).toThrow(
      'fusions[2]: fusion type "weighted" (from the test) did not build a valid fusion: missing apply(), dispose(), getConfig(), parameters',
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it('prefixes a component\'s own config error with its JSON path', () => {
    const r = registry(() => {
      throw new UserInputError('needs two modalities');
    });
    expect(() => buildModel(r, { modalities }, { type: 'weighted' }, 'fusions[0]', [camera, joints], 1)).toThrow('fusions[0]: needs two modalities');
  });
});
