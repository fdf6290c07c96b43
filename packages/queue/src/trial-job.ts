import { existsSync, realpathSync, statSync } from 'fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'path';
import { readJsonFile } from '@mmfuse/core';
import { setupLabel } from '@mmfuse/config';
import { isQueuedFolder, readQueueRecord, readSweepRecord, RUN_FILES, SWEEP_POINTS } from '@mmfuse/runs';

/**
 * What a queued job carries: identifiers only. Never code, a config or a path the worker would
 * use as given: the worker checks the run folder lies under the folders it serves, and that the
 * run id, sweep point, set-up and trial are those the run folder's own records (queue.json,
 * config.json) list; every other path it derives itself.
 */
export interface TrialJobData {
  /** The queue-wide id of the run (one per `mmfuse run --queue`, kept by `--resume`). */
  runId: string;
  /** The run's name, for `mmfuse queue status`. */
  runName: string;
  /** Absolute path of the run folder (a sweep point's folder) on the shared storage. */
  runDir: string;
  /** Sweep point, when the run is a sweep. */
  point?: number;
  setup: string;
  trial: number;
}

/** What a finished job returns: the attempt folder that holds its results, relative to `runDir`. */
export interface TrialJobResult {
  attempt: string;
  host: string;
  pid: number;
  seconds: number;
  /** Epoch the attempt continued from (0: from the start). */
  startEpoch: number;
}

/** The job id BullMQ dedupes on, so enqueueing a run again (a resumed coordinator) adds nothing twice. */
export function trialJobId(data: Pick<TrialJobData, 'runId' | 'point' | 'setup' | 'trial'>): string {
  // BullMQ ids may not contain ':' and must not look like integers.
  const setup = data.setup.replace(/[^A-Za-z0-9_.-]/g, (c) => `%${c.charCodeAt(0).toString(16)}`);
  return `${data.runId}.p${data.point ?? 0}.${setup}.t${data.trial}`;
}

export class InvalidJobError extends Error {}

/** What a worker knows about a job once its payload has been checked against the run folder. */
export interface CheckedJob extends TrialJobData {
  /** The folder the run's config resolves relative paths against, from the run's queue.json. */
  configDir: string;
}

const MAX_FIELD = 1000;

/**
 * Checks a job's payload before anything runs: the fields and their types; that the run folder,
 * with symbolic links resolved, lies under one of `roots`; and that the run id, point, set-up and
 * trial are the run folder's own (its queue.json, or its sweep's, and its config.json).
 */
export function checkJobData(data: unknown, roots: readonly string[]): CheckedJob {
  const d = data as Partial<TrialJobData> | null;
  const fail = (what: string): never => {
    throw new InvalidJobError(`job payload: ${what}`);
  };
  if (roots.length === 0) fail('this worker serves no folder (give it --runs <folder>)');
  if (typeof d !== 'object' || d === null) fail('not an object');
  for (const key of ['runId', 'runName', 'runDir', 'setup'] as const) {
    if (typeof d![key] !== 'string' || d![key] === '' || d![key]!.length > MAX_FIELD) fail(`"${key}" must be a non-empty string of at most ${MAX_FIELD} characters`);
  }
  if (!Number.isInteger(d!.trial) || d!.trial! < 0) fail('"trial" must be a whole number ≥ 0');
  if (d!.point !== undefined && (!Number.isInteger(d!.point) || d!.point! < 0)) fail('"point" must be a whole number ≥ 0');
  const known = new Set(['runId', 'runName', 'runDir', 'point', 'setup', 'trial']);
  const extra = Object.keys(d!).filter((k) => !known.has(k));
  if (extra.length > 0) fail(`unexpected field ${extra.map((k) => `"${k.slice(0, 40)}"`).join(', ')}`);
  if (!isAbsolute(d!.runDir!)) fail(`runDir ${d!.runDir} is not an absolute path`);
  if (!existsSync(d!.runDir!) || !statSync(d!.runDir!).isDirectory()) fail(`run folder ${d!.runDir} does not exist on this machine; is the shared storage mounted at the same path?`);
  // Resolved, so that neither `..` nor a symbolic link leads outside the served folders.
  const runDir = realpathSync(d!.runDir!);
  if (!roots.some((root) => existsSync(root) && isInside(runDir, realpathSync(root)))) fail(`run folder ${runDir} is outside the folders this worker serves (${roots.join(', ')})`);
  const record = readRecord(runDir, d!.point);
  if (!record) fail(`run folder ${runDir} is not a queued run (no queue.json in it or, for a sweep point, in its sweep folder)`);
  if (record!.runId !== d!.runId) fail(`run id "${d!.runId}" is not the run's ("${record!.runId}")`);
  const setups = configSetups(runDir);
  if (!setups) fail(`run folder ${runDir} has no readable config.json`);
  if (!setups!.labels.includes(d!.setup!)) fail(`set-up "${d!.setup}" is not one of the run's (${setups!.labels.join(', ')})`);
  if (d!.trial! >= setups!.trials) fail(`trial ${d!.trial} is not one of the run's ${setups!.trials} trials`);
  return { runId: d!.runId!, runName: d!.runName!, runDir, ...(d!.point !== undefined ? { point: d!.point } : {}), setup: d!.setup!, trial: d!.trial!, configDir: record!.configDir };
}

/**
 * The queue record of a run folder: its own queue.json, or, for a sweep point
 * (`<sweep>/points/<nnn>-…`), its sweep folder's, whose point folder must be this one.
 */
function readRecord(runDir: string, point: number | undefined): { runId: string; configDir: string } | undefined {
  const read = (folder: string) => orUndefined(() => readQueueRecord(folder));
  if (point === undefined) return isQueuedFolder(runDir) ? read(runDir) : undefined;
  const sweep = dirname(dirname(runDir));
  if (basename(dirname(runDir)) !== SWEEP_POINTS || !isQueuedFolder(sweep)) return undefined;
  const listed = orUndefined(() => readSweepRecord(sweep))?.points.find((p) => p.index === point);
  if (!listed || resolve(sweep, listed.runDir) !== runDir) return undefined;
  return read(sweep);
}

/** The set-up labels and trial count of the config in a run folder. */
function configSetups(runDir: string): { labels: string[]; trials: number } | undefined {
  const config = orUndefined(() => readJsonFile<{ fusions?: unknown; training?: { trials?: unknown } } | null>(join(runDir, RUN_FILES.config), ''));
  if (!config || !Array.isArray(config.fusions)) return undefined;
  const labels = (config.fusions as Array<{ type: string; label?: string } | null>).map((f) => String(f ? setupLabel(f) : undefined));
  const trials = Number(config.training?.trials ?? 1);
  return Number.isInteger(trials) ? { labels, trials } : undefined;
}

/** A run folder's record as its reader checks it, or undefined when it is missing or damaged. */
function orUndefined<T>(read: () => T): T | undefined {
  try {
    const value = read();
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

function isInside(path: string, root: string): boolean {
  const r = relative(root, path);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
}
