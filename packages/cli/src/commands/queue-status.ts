import Table from 'cli-table3';
import { UserInputError } from '@mmfuse/core';
import { DEFAULT_QUEUE_NAME, TrialQueue } from '@mmfuse/queue';
import { isQueuedFolder, readQueueRecord, RUN_FILES } from '@mmfuse/runs';

/** `mmfuse queue status --queue <url>`: jobs waiting, active, done and failed, per run. */
export async function queueStatusCommand(options: { queue: string; queueName?: string; run?: string; json?: boolean }): Promise<void> {
  let runId: string | undefined;
  if (options.run) {
    if (!isQueuedFolder(options.run)) throw new UserInputError(`--run ${options.run}: not a queued run or sweep folder (no ${RUN_FILES.queue})`);
    runId = readQueueRecord(options.run).runId;
  }
  const queue = await TrialQueue.open(options.queue, { name: options.queueName });
  try {
    const counts = await queue.countsByRun(runId);
    if (options.json) {
      process.stdout.write(`${JSON.stringify(counts, null, 2)}\n`);
      return;
    }
    const table = new Table({ head: ['run', 'waiting', 'active', 'done', 'failed'], style: { head: [], border: [] } });
    for (const c of counts) table.push([`${c.runName} (${c.runId})`, c.waiting, c.active, c.done, c.failed]);
    process.stdout.write(counts.length > 0 ? `${table.toString()}\n` : `no jobs on queue "${options.queueName ?? DEFAULT_QUEUE_NAME}"${runId ? ` for run ${runId}` : ''}\n`);
  } finally {
    await queue.close();
  }
}
