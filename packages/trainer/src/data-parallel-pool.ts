import { existsSync } from 'fs';
import { join } from 'path';
import { Worker } from 'worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type { BatchArrays } from './batch-gradients';
import type { FromWorker, ToWorker, WorkerSetup } from './data-parallel-protocol';
import type { MultimodalAutoencoder } from '@mmfuse/model';

type SetupBase = Omit<WorkerSetup, 'weights' | 'gradients' | 'inputs' | 'targets'>;

function workerScript(): string {
  const beside = join(__dirname, 'data-parallel-worker.js');
  // Under the TypeScript test runner this file runs from src/; the worker runs from the build.
  return existsSync(beside) ? beside : join(__dirname, '..', 'dist', 'data-parallel-worker.js');
}

interface Replica {
  worker: Worker;
  gradients: Float32Array;
  pending?: { resolve(losses: number[]): void; reject(error: Error): void };
}

/**
 * Worker threads that each hold a replica of the model (each with its own TensorFlow.js
 * backend) and compute the gradient of part of every batch. The main thread computes one part
 * itself, sums the parts and steps the optimiser. Before every step it publishes its weights and
 * buffers (non-trainable state such as power-iteration vectors) to the replicas through shared
 * memory, so every replica computes exactly what the main thread would.
 */
export class DataParallelPool {
  private readonly weights: Float32Array;
  /** Shared batch buffers the main thread fills and the replicas read. */
  readonly batch: { inputs: Float32Array[]; targets: Float32Array[] };

  private constructor(
    private readonly replicas: Replica[],
    /** Trainable variables, then buffers: the order of the shared weights. */
    private readonly synced: readonly tf.Variable[],
    weights: SharedArrayBuffer,
    inputs: SharedArrayBuffer[],
    targets: SharedArrayBuffer[],
  ) {
    this.weights = new Float32Array(weights);
    const inputViews = inputs.map((b) => new Float32Array(b));
    this.batch = { inputs: inputViews, targets: targets.map((b, m) => (b === inputs[m] ? inputViews[m] : new Float32Array(b))) };
  }

  /** Starts `threads` replicas of `model`; resolves once each has built its own. */
  static async start(threads: number, setup: SetupBase, model: MultimodalAutoencoder, maxBatch: number, sizes: readonly number[], corrupted: readonly boolean[]): Promise<DataParallelPool> {
    const synced = [...model.trainableVariables(), ...model.bufferVariables()];
    const parameterCount = model.parameterCount();
    const syncedCount = synced.reduce((n, v) => n + v.size, 0);
    const weights = new SharedArrayBuffer(syncedCount * 4);
    const inputs = sizes.map((size) => new SharedArrayBuffer(maxBatch * size * 4));
    const targets = sizes.map((size, m) => (corrupted[m] ? new SharedArrayBuffer(maxBatch * size * 4) : inputs[m]));
    const replicas: Replica[] = [];
    const ready: Promise<void>[] = [];
    for (let i = 0; i < threads; i++) {
      const gradients = new SharedArrayBuffer(parameterCount * 4);
      const worker = new Worker(workerScript(), { workerData: { ...setup, weights, gradients, inputs, targets } satisfies WorkerSetup });
      const replica: Replica = { worker, gradients: new Float32Array(gradients) };
      replicas.push(replica);
      ready.push(
        new Promise<void>((resolve, reject) => {
          const onStart = (message: FromWorker) => {
            if (message.type === 'ready') {
              if (message.parameters !== parameterCount || message.synced !== syncedCount) {
                reject(new Error(`replica ${i} built ${message.parameters} parameters and ${message.synced - message.parameters} buffer values, the main model has ${parameterCount} and ${syncedCount - parameterCount}`));
              } else resolve();
            } else if (message.type === 'error') reject(new Error(`replica ${i} failed to start: ${message.message}`));
            worker.off('message', onStart);
            worker.on('message', (m: FromWorker) => DataParallelPool.settle(replica, m));
          };
          worker.on('message', onStart);
          worker.on('error', (error) => {
            reject(error);
            replica.pending?.reject(error);
          });
        }),
      );
    }
    const pool = new DataParallelPool(replicas, synced, weights, inputs, targets);
    try {
      await Promise.all(ready);
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  private static settle(replica: Replica, message: FromWorker): void {
    const pending = replica.pending;
    replica.pending = undefined;
    if (!pending) return;
    if (message.type === 'done') pending.resolve(message.losses);
    else if (message.type === 'error') pending.reject(new Error(`data-parallel replica failed: ${message.message}`));
  }

  get threads(): number {
    return this.replicas.length;
  }

  /** Writes the main model's weights and buffers where the replicas read them at their next step. */
  publish(): void {
    let offset = 0;
    for (const v of this.synced) {
      this.weights.set(v.dataSync() as Float32Array, offset);
      offset += v.size;
    }
  }

  /** Asks replica `i` for the gradient of rows `[start, end)` of the shared batch. */
  request(i: number, batch: BatchArrays, start: number, end: number): Promise<number[]> {
    const replica = this.replicas[i];
    const done = new Promise<number[]>((resolve, reject) => (replica.pending = { resolve, reject }));
    replica.worker.postMessage({ type: 'step', count: batch.count, start, end } satisfies ToWorker);
    return done;
  }

  /** Replica `i`'s last gradient of `v` (at `offset` in the flattened order) as a tensor. */
  gradient(i: number, v: tf.Variable, offset: number): tf.Tensor {
    return tf.tensor(this.replicas[i].gradients.subarray(offset, offset + v.size), v.shape);
  }

  async close(): Promise<void> {
    await Promise.all(
      this.replicas.map(async (r) => {
        r.worker.postMessage({ type: 'stop' } satisfies ToWorker);
        await r.worker.terminate();
      }),
    );
  }
}
