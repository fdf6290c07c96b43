import { availableParallelism } from 'os';

import type { ParallelRecord } from '@mmfuse/runs';

/** Threads computing each batch, this one included, and why (as run.json records it). */
export type WorkerDecision = ParallelRecord;

/** Backends that compute on one thread, where data-parallel threads add cores. */
const SINGLE_THREADED = new Set(['wasm', 'cpu']);

/** Backends on one GPU: replicas would only queue on the same device, and copy weights through the host. */
const ONE_DEVICE = new Set(['webgpu']);

/**
 * How many threads train each batch. `auto` uses every core on single-threaded backends when the
 * batch gives each thread at least 16 samples and the replicas can rebuild the model (they load
 * the same plugin packages); native TensorFlow already uses every core itself, and a GPU backend
 * (one device) always trains on one thread, even when more are asked for.
 */
export function decideWorkers(requested: number | 'auto', backend: string, batchSize: number, pluginsKnown: boolean, cores = availableParallelism(), singleDevice = ONE_DEVICE.has(backend)): WorkerDecision {
  if (singleDevice) return { workers: 1, reason: `the ${backend} backend computes on one GPU; data-parallel threads would only share it${requested !== 'auto' && requested > 1 ? ` (${requested} requested)` : ''}` };
  if (requested !== 'auto') {
    if (requested > 1 && !pluginsKnown) return { workers: 1, reason: `${requested} workers requested, but the component packages are unknown to the replicas; training on one thread` };
    return { workers: requested, reason: 'requested' };
  }
  if (!SINGLE_THREADED.has(backend)) return { workers: 1, reason: `the ${backend} backend uses every core itself` };
  if (cores < 2) return { workers: 1, reason: 'one CPU core' };
  if (!pluginsKnown) return { workers: 1, reason: 'component packages unknown to replicas' };
  // Below 16 samples per thread the weight exchange of every step outweighs the split work
  // (measured: tiny-64 at batch 16 is no faster on two threads; paper-128 at 32 is 1.9× faster).
  const workers = Math.max(1, Math.min(cores, Math.floor(batchSize / 16)));
  if (workers > 1) return { workers, reason: `${cores} cores, single-threaded ${backend} backend` };
  // One thread trains; on wasm mmfuse's convolutions split their batch with a helper thread on
  // the idle core instead (measured: tiny-64 at batch 16, see the README's benchmark).
  if (backend === 'wasm' && batchSize >= 2) return { workers, convolutionThreads: 2, reason: `batch of ${batchSize} too small to split; convolutions on 2 threads` };
  return { workers, reason: `batch of ${batchSize} too small to split` };
}
