import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@mmfuse/backend';
import { createRng, ModalitySpec } from '@mmfuse/core';
import { ConcatFusion } from '@mmfuse/fusion-concat';
import { ConvImageDecoder, ConvImageEncoder, MlpDecoder, MlpEncoder } from '@mmfuse/encoders';
import { BatchArrays, partGradients } from './batch-gradients';
import { MultimodalAutoencoder } from '@mmfuse/model';

const camera: ModalitySpec = { name: 'camera', kind: 'image', shape: [12, 12, 3] };
const joints: ModalitySpec = { name: 'joints', kind: 'series', shape: [4, 3] };
const layout = { shapes: [camera.shape, joints.shape], sizes: [432, 12], weights: [1, 0.5] };

function model(): MultimodalAutoencoder {
  const options = { channels: [4, 6], kernelSize: 5, stride: 2, padding: 1, activation: 'relu' as const, activateLast: true, init: 'pytorch' as const };
  const ce = new ConvImageEncoder('encoder:camera', camera, options, 1);
  const je = new MlpEncoder('encoder:joints', joints, { units: [8], latentSize: 5, activation: 'tanh', activateLast: true, init: 'pytorch' }, 2);
  const fusion = new ConcatFusion('fusion', [ce.outputSize, 5]);
  const cd = new ConvImageDecoder('decoder:camera', camera, fusion.outputSize, ce.layers, { activation: 'relu', outputActivation: 'linear', init: 'pytorch' }, 3);
  const jd = new MlpDecoder('decoder:joints', joints, fusion.outputSize, { units: [8], activation: 'tanh', outputActivation: 'linear', init: 'pytorch' }, 4);
  return new MultimodalAutoencoder([ce, je], fusion, [cd, jd]);
}

function batch(count: number): BatchArrays {
  const rng = createRng(9);
  const inputs = layout.sizes.map((size) => Float32Array.from({ length: count * size }, () => rng()));
  return { count, inputs, targets: inputs };
}

function flat(grads: tf.NamedTensorMap, variables: tf.Variable[]): Float32Array[] {
  return variables.map((v) => grads[v.name].dataSync() as Float32Array);
}

describe('partGradients', () => {
  it('gives parts of a batch whose gradients add up to the whole batch\'s', async () => {
    await initBackend('cpu');
    const m = model();
    const variables = m.subModels().flatMap((s) => s.parameters.map((p) => p.variable));
    const b = batch(6);
    const whole = partGradients(m, variables, layout, b, 0, 6, []);
    const first = partGradients(m, variables, layout, b, 0, 4, []);
    const second = partGradients(m, variables, layout, b, 4, 6, []);
    const [w, f, s] = [whole, first, second].map((r) => flat(r.grads, variables));
    w.forEach((g, i) => g.forEach((v, j) => expect(f[i][j] + s[i][j]).toBeCloseTo(v, 5)));
    whole.losses.forEach((l, k) => expect(first.losses[k] + second.losses[k]).toBeCloseTo(l, 6));
    [whole, first, second].forEach((r) => tf.dispose(Object.values(r.grads)));
    m.dispose();
  });

  it('computes the same whole-model gradient on the wasm and the cpu backend', async () => {
    const results: Record<string, Float32Array[]> = {};
    for (const backend of ['cpu', 'wasm'] as const) {
      await initBackend(backend);
      const m = model();
      const variables = m.subModels().flatMap((s) => s.parameters.map((p) => p.variable));
      const r = partGradients(m, variables, layout, batch(5), 0, 5, []);
      results[backend] = flat(r.grads, variables);
      tf.dispose(Object.values(r.grads));
      m.dispose();
    }
    results.cpu.forEach((expected, i) => {
      const scale = Math.max(...Array.from(expected, Math.abs), 1e-12);
      const worst = Math.max(...Array.from(expected, (v, j) => Math.abs(v - results.wasm[i][j])));
      expect(worst / scale).toBeLessThan(1e-4);
    });
  });
});
