import Ajv from 'ajv';
import { isAbsolute, join } from 'path';
import { UserInputError } from '@mmfuse/core';
import { RUN_FILES } from '@mmfuse/runs';

/**
 * What a parent mmfuse process hands a child process over its IPC channel: a typed job, checked
 * by the child before it does anything. Trials of a run (a process pool or a queue worker's
 * attempt) and sweep points travel this way; the command line is never the protocol.
 */
export type ChildJob =
  | {
      kind: 'trials';
      /** The run folder's config.json (a queued attempt's own copy). */
      config: string;
      /** Folder the config's relative paths resolve against. */
      baseDir: string;
      /** Folder the trials write into (the run's, or an attempt's). */
      runDir: string;
      trials: Array<{ setup: string; trial: number }>;
      /** Threads per trial, when the parent decides them. */
      workers?: number;
    }
  | {
      kind: 'point';
      /** The sweep's own copy of its config. */
      config: string;
      baseDir: string;
      point: number;
      /** The point's folder (continued when it holds an interrupted run). */
      runDir: string;
      workers?: number;
    };

/** What a child sends its parent when a job has finished well; it then waits for the next job. */
export const JOB_FINISHED = { kind: 'finished' } as const;

/** True for a child's `JOB_FINISHED` message. */
export function isJobFinished(message: unknown): boolean {
  return (message as { kind?: unknown } | null)?.kind === JOB_FINISHED.kind;
}

/** The job of trials of a run, trained one after another in `runDir` with the run's (or attempt's) own config.json. */
export function trialJob(runDir: string, baseDir: string, trials: ReadonlyArray<{ setup: string; trial: number }>, workers?: number): ChildJob {
  return {
    kind: 'trials',
    config: join(runDir, RUN_FILES.config),
    baseDir,
    runDir,
    trials: trials.map((t) => ({ setup: t.setup, trial: t.trial })),
    ...(workers !== undefined ? { workers } : {}),
  };
}

const path = { type: 'string', minLength: 1, maxLength: 4096 } as const;
const workers = { type: 'integer', minimum: 1, maximum: 1024 } as const;

const CHILD_JOB_SCHEMA = {
  oneOf: [
    {
      type: 'object',
      additionalProperties: false,
      required: ['kind', 'config', 'baseDir', 'runDir', 'trials'],
      properties: {
        kind: { const: 'trials' },
        config: path,
        baseDir: path,
        runDir: path,
        trials: {
          type: 'array',
          minItems: 1,
          maxItems: 100000,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['setup', 'trial'],
            properties: { setup: { type: 'string', minLength: 1, maxLength: 200 }, trial: { type: 'integer', minimum: 0 } },
          },
        },
        workers,
      },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['kind', 'config', 'baseDir', 'point', 'runDir'],
      properties: { kind: { const: 'point' }, config: path, baseDir: path, point: { type: 'integer', minimum: 0 }, runDir: path, workers },
    },
  ],
};

const validate = new Ajv({ allErrors: false, strict: true }).compile<ChildJob>(CHILD_JOB_SCHEMA);

/** The job as a child receives it, checked: its shape, and every path absolute (the parent resolves them). */
export function checkChildJob(message: unknown): ChildJob {
  if (!validate(message)) {
    const detail = validate.errors?.map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ') ?? 'unknown problem';
    throw new UserInputError(`child job: not a job this version sends (${detail.slice(0, 300)})`);
  }
  for (const key of ['config', 'baseDir', 'runDir'] as const) {
    if (!isAbsolute(message[key])) throw new UserInputError(`child job: ${key} must be an absolute path, got ${JSON.stringify(message[key].slice(0, 200))}`);
  }
  return message;
}
