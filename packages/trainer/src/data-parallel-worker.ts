import 'reflect-metadata';
import { parentPort, workerData } from 'worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { Container } from 'inversify';
import { initBackend } from '@mmfuse/backend';
import { ComponentRegistry, coreModule, loadPlugins } from '@mmfuse/core';
import { partGradients } from './batch-gradients';
import type { FromWorker, ToWorker, WorkerSetup } from './data-parallel-protocol';
import { buildModel } from '@mmfuse/model';

/**
 * A data-parallel replica: builds the same model from the same config and seed, and for each
 * step loads the main thread's weights and buffers, computes the gradient of its rows of the
 * shared batch and writes it to its shared gradient buffer.
 */
async function serve(setup: WorkerSetup): Promise<void> {
  const port = parentPort!;
  const reply = (message: FromWorker) => port.postMessage(message);
  try {
    await initBackend(setup.backend as never);
    const container = new Container();
    container.load(coreModule);
    loadPlugins(container, setup.pluginDirectories, '/', 'plugins');
    const registry = container.get<ComponentRegistry>(ComponentRegistry);
    const model = buildModel(registry, setup.config, setup.fusion, 'fusion', setup.specs, setup.seed);
    const variables = model.trainableVariables();
    const synced = [...variables, ...model.bufferVariables()];
    const weights = new Float32Array(setup.weights);
    const gradients = new Float32Array(setup.gradients);
    const inputs = setup.inputs.map((b) => new Float32Array(b));
    const targets = setup.targets.map((b, m) => (b === setup.inputs[m] ? inputs[m] : new Float32Array(b)));
    const specs = setup.config.modalities.map((c) => setup.specs.find((s) => s.name === c.name)!);
    const layout = {
      shapes: specs.map((s) => [...s.shape]),
      sizes: specs.map((s) => s.shape.reduce((a, b) => a * b, 1)),
      weights: setup.config.modalities.map((m) => m.lossWeight),
    };
    reply({ type: 'ready', parameters: model.parameterCount(), synced: synced.reduce((n, v) => n + v.size, 0) });
    port.on('message', async (message: ToWorker) => {
      if (message.type === 'stop') {
        model.dispose();
        port.close();
        return;
      }
      try {
        let offset = 0;
        for (const v of synced) {
          const value = tf.tensor(weights.subarray(offset, offset + v.size), v.shape);
          v.assign(value);
          value.dispose();
          offset += v.size;
        }
        const { grads, losses } = await partGradients(model, variables, layout, { count: message.count, inputs, targets }, message.start, message.end, []);
        offset = 0;
        for (const v of variables) {
          gradients.set(grads[v.name].dataSync() as Float32Array, offset);
          offset += v.size;
        }
        tf.dispose(Object.values(grads));
        reply({ type: 'done', losses });
      } catch (error) {
        reply({ type: 'error', message: (error as Error).message });
      }
    });
  } catch (error) {
    reply({ type: 'error', message: (error as Error).message });
  }
}

void serve(workerData as WorkerSetup);
