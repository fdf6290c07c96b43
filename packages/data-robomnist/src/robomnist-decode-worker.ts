import { parentPort } from 'worker_threads';
import { UserInputError } from '@mmfuse/core';
import { decodeAndStore, PoolJob, transfers } from './robomnist-decode-pool';

/** A decoding thread: decodes each recording it is sent and answers with the result or the error. */
parentPort?.on('message', (job: PoolJob) => {
  decodeAndStore(job).then(
    (result) => parentPort?.postMessage({ type: 'done', result }, transfers(result)),
    (error: unknown) => parentPort?.postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error), userInput: error instanceof UserInputError }),
  );
});
