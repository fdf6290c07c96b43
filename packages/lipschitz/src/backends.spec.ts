import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@mmfuse/backend';
import type { ModalitySpec } from '@mmfuse/core';
import { ConvImageDecoder, ConvImageEncoder, MlpDecoder, MlpEncoder } from '@mmfuse/encoders';
import { SumFusion } from '@mmfuse/fusion-sum';
import { MultimodalAutoencoder as ComposedModel } from '@mmfuse/model';
import { randomArray } from '../test-support/reference';
import { LipschitzTracker } from './lipschitz-tracker';

const camera: ModalitySpec = { name: 'camera', kind: 'image', shape: [10, 9, 2] };
const joints: ModalitySpec = { name: 'joints', kind: 'series', shape: [5, 3] };

/** Same seeds, so the weights (drawn in JavaScript) are identical on every backend. */
function model(): ComposedModel {
  const image = new ConvImageEncoder('encoder:camera', camera, { channels: [3, 4], kernelSize: 3, stride: 2, padding: [1, 0, 1, 0], activation: 'relu', activateLast: true, init: 'he' }, 5);
  const series = new MlpEncoder('encoder:joints', joints, { units: [8], latentSize: image.outputSize, activation: 'elu', activateLast: false, init: 'he' }, 6);
  const fusion = new SumFusion('fusion', [image.outputSize, series.outputSize]);
  const imageDecoder = new ConvImageDecoder('decoder:camera', camera, fusion.outputSize, image.layers, { activation: 'tanh', outputActivation: 'linear', init: 'he' }, 7);
  const seriesDecoder = new MlpDecoder('decoder:joints', joints, fusion.outputSize, { units: [8], activation: 'relu', outputActivation: 'linear', init: 'he' }, 8);
  return new ComposedModel([image, series], fusion, [imageDecoder, seriesDecoder]);
}

async function estimatesOn(backend: 'cpu' | 'wasm'): Promise<Map<string, number[]>> {
  await initBackend(backend);
  expect(tf.getBackend()).toBe(backend);
  const m = model();
  const inputs = [tf.tensor(randomArray(4 * 180, 1), [4, ...camera.shape]), tf.tensor(randomArray(4 * 15, 2), [4, ...joints.shape])];
  const tracker = new LipschitzTracker({
    estimators: [
      { type: 'jacobian-spectral', iterations: 4 },
      { type: 'jacobian-frobenius', method: 'auto', exactUpTo: 5000, probes: 3 },
      { type: 'difference-quotient', direction: 'gradient' },
      { type: 'gradient-ratio' },
      { type: 'gradient-ratio', gradient: 'parameters' },
      { type: 'certified-bound', coldIterations: 4 },
    ],
  });
  const before = tf.memory().numTensors;
  const results = await tracker.evaluate(m, inputs, 3);
  const out = new Map<string, number[]>();
  for (const { subModel, estimator, result } of results) {
    out.set(`${subModel} #${estimator} ${result.estimator}`, [...(result.perSample ?? []), result.value, ...(result.layers ?? []).flatMap((l) => [l.upper, l.lower ?? 0])]);
  }
  (tracker as unknown as { estimators: Array<{ reset(): void }> }).estimators.forEach((e) => e.reset());
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose(inputs);
  m.dispose();
  return out;
}

describe('the estimators on the cpu and wasm backends', () => {
  it('agree within float32 tolerance, value by value', async () => {
    const cpu = await estimatesOn('cpu');
    const wasm = await estimatesOn('wasm');
    expect([...wasm.keys()]).toEqual([...cpu.keys()]);
    expect(cpu.size).toBe(6 * 4 + 6 + 5);
    for (const [key, values] of cpu) {
      const other = wasm.get(key)!;
      expect(other.length).toBe(values.length);
      values.forEach((v, i) => {
        const scale = Math.max(Math.abs(v), 1e-3);
        expect({ key, i, close: Math.abs(v - other[i]) / scale < 2e-3 }).toEqual({ key, i, close: true });
      });
    }
  }, 60000);
});
