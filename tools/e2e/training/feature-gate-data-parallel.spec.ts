import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@mmfuse/backend';
import { gatherSamples } from '@mmfuse/core';
import { partGradients } from '@mmfuse/trainer';
import { prepareExperiment, trialLosses } from './feature-gate-experiment';

describe('data-parallel training of the feature-gate fusion', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('gives a replica the gradient of the main thread, for every parameter', async () => {
    const { config, data, model, sizes, pool } = await prepareExperiment(1, 1);
    const layout = { shapes: config.modalities.map((m) => [...data.modalities.find((s) => s.name === m.name)!.shape]), sizes, weights: config.modalities.map((m) => m.lossWeight) };
    try {
      const count = 10;
      const batch = {
        count,
        inputs: pool!.batch.inputs.map((b, m) => b.subarray(0, count * sizes[m])),
        targets: pool!.batch.targets.map((b, m) => b.subarray(0, count * sizes[m])),
      };
      const first = Array.from({ length: count }, (_, k) => k);
      config.modalities.forEach((m, i) => gatherSamples(data.train.arrays[m.name], sizes[i], first, 0, count, batch.inputs[i]));
      pool!.publish();
      const replicaLosses = await pool!.request(0, batch, 0, count);
      const variables = model.trainableVariables();
      const own = await partGradients(model, variables, layout, batch, 0, count, []);
      replicaLosses.forEach((loss, m) => expect(Math.abs(loss - own.losses[m]) / own.losses[m]).toBeLessThan(1e-6));
      let offset = 0;
      for (const v of variables) {
        const remote = pool!.gradient(0, v, offset);
        const scale = tf.max(tf.abs(own.grads[v.name])).dataSync()[0];
        const worst = tf.max(tf.abs(tf.sub(remote, own.grads[v.name]))).dataSync()[0];
        // every gradient is non-zero, the gate's included, so the comparison says something
        expect({ variable: v.name, nonZero: scale > 0, equal: worst <= 1e-5 * scale }).toEqual({ variable: v.name, nonZero: true, equal: true });
        offset += v.size;
        remote.dispose();
      }
      tf.dispose(Object.values(own.grads));
    } finally {
      await pool!.close();
      model.dispose();
    }
  }, 60000);

  it('trains to the losses of one thread, up to float summation order', async () => {
    // the main thread alone, then the main thread and one replica
    const single = (await trialLosses(await prepareExperiment(3))).flatMap(([, train, test]) => [train, test]);
    const parallel = (await trialLosses(await prepareExperiment(3, 1))).flatMap(([, train, test]) => [train, test]);
    single.forEach((value, i) => expect(Math.abs(parallel[i] - value) / value).toBeLessThan(1e-4));
  }, 60000);
});
