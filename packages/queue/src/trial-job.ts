import { existsSync, statSync } from 'fs';
import { isAbsolute, relative, resolve } from 'path';

/**
 * What a queued job carries: where the run is and which trial to train. Never code or a config:
 * the worker reads the config the coordinator wrote into the run folder.
 */
export interface TrialJobData {
  /** The queue-wide id of the run (one per `mmfuse run --queue`, kept by `--resume`). */
  runId: string;
  /** The run's name, for `mmfuse queue status`. */
  runName: string;
  /** Absolute path of the run folder (a sweep point's folder) on the shared storage. */
  runDir: string;
  /** The folder the config's relative paths resolve against. */
  configDir: string;
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

/**
 * Checks a job's payload before anything runs: the fields and their types, and that the run folder
 * exists (under one of `roots` when the worker was given any).
 */
export function checkJobData(data: unknown, roots: readonly string[] = []): TrialJobData {
  const d = data as Partial<TrialJobData> | null;
  const fail = (what: string) => {
    throw new InvalidJobError(`job payload: ${what}`);
  };
  if (typeof d !== 'object' || d === null) fail('not an object');
  for (const key of ['runId', 'runName', 'runDir', 'configDir', 'setup'] as const) if (typeof d![key] !== 'string' || d![key] === '') fail(`"${key}" must be a non-empty string`);
  if (!Number.isInteger(d!.trial) || d!.trial! < 0) fail('"trial" must be a whole number ≥ 0');
  if (d!.point !== undefined && (!Number.isInteger(d!.point) || d!.point! < 0)) fail('"point" must be a whole number ≥ 0');
  const known = new Set(['runId', 'runName', 'runDir', 'configDir', 'point', 'setup', 'trial']);
  const extra = Object.keys(d!).filter((k) => !known.has(k));
  if (extra.length > 0) fail(`unexpected field ${extra.map((k) => `"${k}"`).join(', ')}`);
  if (!isAbsolute(d!.runDir!)) fail(`runDir ${d!.runDir} is not an absolute path`);
  const runDir = resolve(d!.runDir!);
  if (roots.length > 0 && !roots.some((root) => isInside(runDir, resolve(root)))) fail(`run folder ${runDir} is outside the folders this worker serves (${roots.join(', ')})`);
  if (!existsSync(runDir) || !statSync(runDir).isDirectory()) fail(`run folder ${runDir} does not exist on this machine; is the shared storage mounted at the same path?`);
  if (!existsSync(resolve(runDir, 'config.json'))) fail(`run folder ${runDir} has no config.json`);
  return { ...(d as TrialJobData), runDir };
}

function isInside(path: string, root: string): boolean {
  const r = relative(root, path);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
}
