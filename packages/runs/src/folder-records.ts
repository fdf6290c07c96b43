import { existsSync } from 'fs';
import { isAbsolute, join } from 'path';
import { readJsonFile, UserInputError } from '@mmfuse/core';
import { RUN_FILES, SWEEP_FILES, SWEEP_POINTS } from './layout';
import type { QueueRecord, RunSummary, SweepRecord } from './records';

// Readers of the records a folder is recognised by. What later becomes a path or an identity is
// checked here, so a damaged or hand-edited record is named, never followed.

/** A point's folder as sweep.json names it: `points/<index>-<label>`, never a path that leaves the sweep folder. */
const POINT_FOLDER = new RegExp(`^${SWEEP_POINTS}/\\d{3,}-[\\w.,=+-]*$`);

function checker(file: string): (what: string) => never {
  return (what) => {
    throw new UserInputError(`${file}: ${what}`);
  };
}

/** Whether a folder is a sweep folder (holds sweep.json). */
export function isSweepFolder(folder: string): boolean {
  return existsSync(join(folder, SWEEP_FILES.sweep));
}

/** A sweep folder's `sweep.json`, its point folders checked to stay inside the sweep folder. */
export function readSweepRecord(folder: string): SweepRecord {
  const file = join(folder, SWEEP_FILES.sweep);
  const record = readJsonFile<SweepRecord>(file, 'it lists the sweep\'s points, written when the sweep started; start the sweep again');
  const bad = checker(file);
  if (typeof record !== 'object' || record === null || !Array.isArray(record.points)) bad('expected an object with a "points" array');
  if (typeof record.configDir !== 'string' || !isAbsolute(record.configDir)) bad('"configDir": expected an absolute folder');
  record.points.forEach((point, i) => {
    if (!Number.isInteger(point?.index) || point.index < 0) bad(`points[${i}].index: expected a whole number ≥ 0`);
    if (typeof point.runDir !== 'string' || !POINT_FOLDER.test(point.runDir) || point.runDir.split('/').includes('..')) {
      bad(`points[${i}].runDir: expected ${SWEEP_POINTS}/<index>-<label> inside the sweep folder, got ${JSON.stringify(String(point.runDir).slice(0, 80))}`);
    }
  });
  return record;
}

/** Whether a folder is a queued run or sweep (holds queue.json). */
export function isQueuedFolder(folder: string): boolean {
  return existsSync(join(folder, RUN_FILES.queue));
}

/** A queued run's (or sweep's) `queue.json`, its identity and config folder checked. */
export function readQueueRecord(folder: string): QueueRecord {
  const file = join(folder, RUN_FILES.queue);
  const record = readJsonFile<QueueRecord>(file, 'it is the queued run\'s record, written when the run started; resume the run without --queue, or start it again');
  const bad = checker(file);
  if (typeof record !== 'object' || record === null) bad('expected an object');
  for (const key of ['runId', 'queueName'] as const) if (typeof record[key] !== 'string' || record[key] === '') bad(`"${key}": expected a non-empty string`);
  if (typeof record.configDir !== 'string' || !isAbsolute(record.configDir)) bad('"configDir": expected an absolute folder');
  return record;
}

/** A finished run's `summary.json`, or undefined while the run has none. */
export function readRunSummary(runDir: string, hint = 'delete it to summarise the run again'): RunSummary | undefined {
  const file = join(runDir, RUN_FILES.summary);
  if (!existsSync(file)) return undefined;
  const summary = readJsonFile<RunSummary>(file, hint);
  if (typeof summary !== 'object' || summary === null || typeof summary.setups !== 'object' || summary.setups === null) checker(file)('expected an object with "setups"');
  return summary;
}
