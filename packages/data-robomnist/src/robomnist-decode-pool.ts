import { existsSync } from 'fs';
import { join } from 'path';
import { Worker } from 'worker_threads';
import { UserInputError } from '@mmfuse/core';
import { CachedArray, writeCacheEntry } from '@mmfuse/data';
import { decodeRecording, DecodedArrayName, DecodeJob } from './robomnist-decode';

/** What a cache entry of one decoded array records beside it. */
export interface DecodedEntryMeta {
  frames: number;
  warnings: string[];
  files: Record<string, string>;
}

export interface PoolJob extends DecodeJob {
  /** Where each array's entry goes, when the cache is on. */
  cache?: { directory: string; keys: Partial<Record<DecodedArrayName, string>> };
  /** Whether the arrays come back (held in memory) or stay in the cache (streamed). */
  returnArrays: boolean;
}

export interface PoolResult {
  frames: number;
  warnings: string[];
  arrays?: Partial<Record<DecodedArrayName, CachedArray>>;
}

/** Decodes one recording and writes its cache entries; what a worker thread runs. */
export async function decodeAndStore(job: PoolJob): Promise<PoolResult> {
  const decoded = await decodeRecording(job);
  if (job.cache) {
    for (const name of job.arrays) {
      const meta: DecodedEntryMeta = { frames: decoded.frames, warnings: decoded.warnings[name] ?? [], files: job.files };
      writeCacheEntry(job.cache.directory, job.cache.keys[name] as string, { [name]: decoded.arrays[name] as CachedArray }, meta);
    }
  }
  const warnings = Object.values(decoded.warnings).flatMap((w) => w ?? []);
  return { frames: decoded.frames, warnings, ...(job.returnArrays ? { arrays: decoded.arrays } : {}) };
}

type FromWorker = { type: 'done'; result: PoolResult } | { type: 'error'; message: string; userInput: boolean };

function workerScript(): string {
  const beside = join(__dirname, 'robomnist-decode-worker.js');
  // Under the TypeScript test runner this file runs from src/; the worker runs from the build.
  return existsSync(beside) ? beside : join(__dirname, '..', 'dist', 'robomnist-decode-worker.js');
}

/** The buffers a worker hands over rather than copies. */
export const transfers = (result: PoolResult) => Object.values(result.arrays ?? {}).flatMap((a) => (a ? [a.data.buffer as ArrayBuffer] : []));

/**
 * Decodes recordings on `workers` threads (in this thread when one), calling `onDone` as each
 * finishes. After an error no new recording starts; once those under way are done, the error of
 * the first failing recording in order is thrown (so the same data always give the same message),
 * a user-input error as itself, so it reaches the user as one line.
 */
export async function decodeRecordings(jobs: readonly PoolJob[], workers: number, onDone: (index: number, result: PoolResult) => void): Promise<void> {
  if (jobs.length === 0) return;
  if (workers <= 1 || jobs.length === 1) {
    for (let i = 0; i < jobs.length; i++) onDone(i, await decodeAndStore(jobs[i]));
    return;
  }
  const threads: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let next = 0;
      let running = 0;
      const failures = new Map<number, Error>();
      const settle = () => {
        if (running > 0) return;
        if (failures.size > 0) reject(failures.get(Math.min(...failures.keys())));
        else if (next >= jobs.length) resolve();
      };
      const feed = (thread: Worker) => {
        if (next >= jobs.length || failures.size > 0) return settle();
        const index = next++;
        running++;
        thread.removeAllListeners('message');
        thread.once('message', (message: FromWorker) => {
          running--;
          if (message.type === 'error') failures.set(index, message.userInput ? new UserInputError(message.message) : new Error(message.message));
          else onDone(index, message.result);
          feed(thread);
        });
        thread.postMessage(jobs[index]);
      };
      for (let w = 0; w < Math.min(workers, jobs.length); w++) {
        const thread = new Worker(workerScript());
        thread.on('error', reject);
        thread.on('exit', (code) => {
          if (code !== 0 && running > 0) reject(new Error(`a decoding thread stopped (exit code ${code})`));
        });
        threads.push(thread);
        feed(thread);
      }
    });
  } finally {
    await Promise.all(threads.map((t) => t.terminate()));
  }
}
