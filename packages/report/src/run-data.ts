import { existsSync } from 'fs';
import { join, resolve } from 'path';
import { readJsonFile, readJsonLines as readJsonLinesOf, UserInputError } from '@mmfuse/core';
import { analysisName, ANALYSIS_FILES, EpochRow, RunRecord, RunSummary, RUN_FILES, SetupSummary } from '@mmfuse/runs';
import type { MeanStd } from './statistics';

/** Final losses of one split: per loss key (each modality and `total`). */
export type FinalLosses = Record<string, MeanStd & { values?: number[] }>;

/**
 * A set-up's entry in `summary.json` as the report reads it: the record, every field optional but
 * the final losses (the report also reads runs of earlier versions, checked on reading).
 */
export type SetupSummaryData = Partial<Omit<SetupSummary, 'final' | 'parameterNorm'>> & {
  final: { train: FinalLosses; test: FinalLosses };
  /** Written by some runs: the norm of the trained parameters, a number or mean ± std over trials. */
  parameterNorm?: number | (Partial<MeanStd> & { values?: number[] });
};

export interface CallbackSummaryData {
  name: string;
  title?: string;
  data?: Record<string, unknown>;
}

/** `summary.json` (RunSummary) as the report reads it: every field optional but the set-ups. */
export type RunSummaryData = Partial<Omit<RunSummary, 'setups' | 'callbacks' | 'backend'>> & {
  backend?: Partial<RunSummary['backend']>;
  setups: Record<string, SetupSummaryData>;
  callbacks?: Record<string, CallbackSummaryData>;
};

/** The parts of a `metrics.jsonl` line the report reads. */
export type MetricRow = Pick<EpochRow, 'setup' | 'trial' | 'epoch' | 'train' | 'test'> & Partial<Pick<EpochRow, 'seconds' | 'memory'>>;

/** One line of `lipschitz.jsonl` with a value (rows of failed estimates carry `value: null` and are kept apart). */
export interface LipschitzRowData {
  setup: string;
  trial: number;
  epoch: number;
  subModel: string;
  estimator: string;
  quantity?: string;
  bound?: string;
  value: number;
}

export interface FailedLipschitzRow {
  setup: string;
  trial: number;
  epoch: number;
  subModel: string;
  estimator: string;
  error: string;
}

/** `analysis/failure-detection.json`. */
export interface FailureDetectionFile {
  setups: Record<
    string,
    {
      trials: Array<{
        trial: number;
        results: Array<{
          failure: string;
          threshold: number;
          confusion: { tp: number; fp: number; tn: number; fn: number };
          tpr?: number;
          fpr?: number;
          auc?: number;
          distances?: { clean: number[]; faulty: number[] };
        }>;
      }>;
    }
  >;
}

/** `analysis/robustness.json`. */
export interface RobustnessFile {
  setups: Record<string, { trials: Array<{ trial: number; curves: Array<{ perturbed: string; mode: string; severity: number; loss: Record<string, number> }> }> }>;
}

/** `analysis/reconstructions.json`: values in [0, 1], row-major height × width × channels. */
export interface ReconstructionsFile {
  setups: Record<string, { modality: string; shape: number[]; samples: Array<{ input: number[]; output: number[] }> }>;
}

/** `claims.json`, written by `mmfuse claims`: the parts the report shows. */
export interface ClaimsFile {
  alpha: number;
  results: Array<{
    id: string;
    statement: string;
    verdict: string;
    reason: string;
    comparisons: Array<{
      what: string;
      a: { label: string; mean: number; std: number; n: number };
      b: { label: string; mean: number; std: number; n: number };
      p: number;
      effects: Array<{ symbol: string; estimate: number; lower: number; upper: number }>;
      verdict: string;
      reason: string;
    }>;
  }>;
}

/** An optional file: absent, read, or present but unusable (with why). */
export type Optional<T> = { state: 'missing'; file: string } | { state: 'ok'; file: string; value: T } | { state: 'damaged'; file: string; reason: string };

/** `run.json` (RunRecord) as the report reads it: every field optional. */
export type RunInfoData = Partial<Omit<RunRecord, 'backend' | 'data'>> & {
  backend?: Partial<RunRecord['backend']>;
  data?: Partial<Omit<RunRecord['data'], 'modalities'>> & { modalities?: Array<{ name: string; kind?: string; shape?: readonly number[] }> };
};

/** Everything the report reads from one run folder. */
export interface RunData {
  dir: string;
  summary: RunSummaryData;
  config?: Record<string, unknown>;
  run?: RunInfoData;
  /** Empty when the run wrote no `metrics.jsonl` (curves then come from summary.json). */
  metrics: MetricRow[];
  lipschitz: LipschitzRowData[];
  lipschitzFailures: FailedLipschitzRow[];
  lipschitzFile: string;
  failureDetection: Optional<FailureDetectionFile>;
  robustness: Optional<RobustnessFile>;
  reconstructions: Optional<ReconstructionsFile>;
  claims: Optional<ClaimsFile>;
  /** Things that were skipped while reading (unparseable lines), for the page. */
  notes: string[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readJsonOrUndefined(file: string): unknown {
  if (!existsSync(file)) return undefined;
  try {
    return readJsonFile<unknown>(file, '');
  } catch {
    return undefined;
  }
}

/** `summary.json` of a finished run; missing or damaged is the user's problem, named with the file. */
export function readSummary(dir: string): RunSummaryData {
  const file = join(dir, RUN_FILES.summary);
  if (!existsSync(file)) {
    throw new UserInputError(`${file}: no summary.json; give the folder of a finished run (runs/<name>-<timestamp>) or a sweep folder with sweep.json`);
  }
  const parsed = readJsonFile<unknown>(file, 'rerun or resume the run to write it again');
  const problems = summaryProblems(parsed);
  if (problems.length > 0) throw new UserInputError(problems.map((p) => `${file}: ${p}`));
  return parsed as RunSummaryData;
}

function summaryProblems(parsed: unknown): string[] {
  if (!isObject(parsed)) return ['damaged summary.json: not a JSON object'];
  if (!isObject(parsed.setups)) return ['damaged summary.json: no "setups" object (is this a run summary?)'];
  const problems: string[] = [];
  for (const [setup, entry] of Object.entries(parsed.setups)) {
    if (!isObject(entry) || !isObject(entry.final) || !isObject(entry.final.train) || !isObject(entry.final.test)) {
      problems.push(`damaged summary.json: setups.${setup} has no "final" losses with "train" and "test"`);
    }
  }
  return problems;
}

/** JSON lines; unparseable lines (a run killed mid-write) are skipped and counted in `notes`. */
function readJsonLines(file: string, notes: string[]): unknown[] {
  const { rows, skipped } = readJsonLinesOf(file);
  if (skipped > 0) notes.push(`${file}: ${skipped} unreadable line${skipped === 1 ? '' : 's'} skipped`);
  return rows.map((r) => r.row);
}

/** Rows of a resumed run can repeat a (set-up, trial, epoch); the last one written counts. */
function lastOfEach<T>(rows: T[], key: (row: T) => string): T[] {
  const byKey = new Map<string, T>();
  for (const row of rows) {
    const k = key(row);
    byKey.delete(k);
    byKey.set(k, row);
  }
  return [...byKey.values()];
}

function readOptional<T>(file: string, check: (value: unknown) => string | undefined): Optional<T> {
  if (!existsSync(file)) return { state: 'missing', file };
  let value: unknown;
  try {
    value = readJsonFile<unknown>(file, 'the rest of the report is written without it');
  } catch (error) {
    return { state: 'damaged', file, reason: `not JSON (${(error as Error).message.slice(file.length + 2)})` };
  }
  const problem = check(value);
  return problem ? { state: 'damaged', file, reason: problem } : { state: 'ok', file, value: value as T };
}

function setupsProblem(value: unknown, each: (setup: string, entry: Record<string, unknown>) => string | undefined): string | undefined {
  if (!isObject(value) || !isObject(value.setups)) return 'no "setups" object';
  for (const [setup, entry] of Object.entries(value.setups)) {
    if (!isObject(entry)) return `setups.${setup} is not an object`;
    const problem = each(setup, entry);
    if (problem) return problem;
  }
  return undefined;
}

const trialsProblem = (setup: string, entry: Record<string, unknown>, list: string) => {
  if (!Array.isArray(entry.trials)) return `setups.${setup}.trials is not a list`;
  for (const [i, t] of entry.trials.entries()) {
    if (!isObject(t) || !Array.isArray(t[list])) return `setups.${setup}.trials[${i}].${list} is not a list`;
  }
  return undefined;
};

function reconstructionProblem(setup: string, entry: Record<string, unknown>): string | undefined {
  const shape = entry.shape;
  if (!Array.isArray(shape) || shape.length < 2 || shape.length > 3 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    return `setups.${setup}.shape must be [height, width] or [height, width, channels]`;
  }
  const size = (shape as number[]).reduce((a, b) => a * b, 1);
  if (!Array.isArray(entry.samples)) return `setups.${setup}.samples is not a list`;
  for (const [i, s] of entry.samples.entries()) {
    if (!isObject(s) || !Array.isArray(s.input) || !Array.isArray(s.output)) return `setups.${setup}.samples[${i}] needs "input" and "output" lists`;
    if (s.input.length !== size || s.output.length !== size) return `setups.${setup}.samples[${i}]: input and output need ${size} values for shape [${shape.join(', ')}]`;
  }
  return undefined;
}

function claimsProblem(value: unknown): string | undefined {
  if (!isObject(value) || typeof value.alpha !== 'number' || !Array.isArray(value.results)) return 'no "alpha" and "results"';
  for (const [i, r] of value.results.entries()) {
    // Files of earlier versions had a status per claim instead of a verdict with its reason.
    if (!isObject(r) || typeof r.verdict !== 'string' || typeof r.reason !== 'string' || !Array.isArray(r.comparisons)) return `results[${i}] has no verdict, reason and comparisons (written by an earlier mmfuse claims)`;
  }
  return undefined;
}

/** Reads a run folder: summary.json is required, everything else is used when present. */
export function readRunFolder(dir: string): RunData {
  const root = resolve(dir);
  const summary = readSummary(root);
  const notes: string[] = [];
  const config = readJsonOrUndefined(join(root, RUN_FILES.config));
  const run = readJsonOrUndefined(join(root, RUN_FILES.run));

  const metrics = lastOfEach(
    readJsonLines(join(root, RUN_FILES.metrics), notes).filter(
      (r): r is MetricRow => isObject(r) && typeof r.setup === 'string' && typeof r.trial === 'number' && typeof r.epoch === 'number' && isObject(r.train) && isObject(r.test),
    ),
    (r) => `${r.setup}\u0000${r.trial}\u0000${r.epoch}`,
  );

  // The tracker's file name is an option of the callback; its summary says which it used.
  const lipschitzData = summary.callbacks?.lipschitz?.data;
  const lipschitzName = typeof lipschitzData?.file === 'string' ? lipschitzData.file : RUN_FILES.lipschitz;
  const lipschitzFile = join(root, lipschitzName);
  const lipschitzRows = readJsonLines(lipschitzFile, notes).filter(
    (r): r is Record<string, unknown> => isObject(r) && typeof r.setup === 'string' && typeof r.trial === 'number' && typeof r.epoch === 'number' && typeof r.subModel === 'string' && typeof r.estimator === 'string',
  );
  const lipschitz = lastOfEach(
    lipschitzRows.filter((r) => typeof r.value === 'number' && Number.isFinite(r.value)) as unknown as LipschitzRowData[],
    (r) => [r.setup, r.trial, r.epoch, r.subModel, r.estimator].join('\u0000'),
  );
  const lipschitzFailures = lipschitzRows.filter((r) => r.value === null && typeof r.error === 'string') as unknown as FailedLipschitzRow[];

  return {
    dir: root,
    summary,
    config: isObject(config) ? config : undefined,
    run: isObject(run) ? (run as RunInfoData) : undefined,
    metrics,
    lipschitz,
    lipschitzFailures,
    lipschitzFile,
    failureDetection: readOptional<FailureDetectionFile>(join(root, analysisName(ANALYSIS_FILES.failureDetection)), (v) => setupsProblem(v, (s, e) => trialsProblem(s, e, 'results'))),
    robustness: readOptional<RobustnessFile>(join(root, analysisName(ANALYSIS_FILES.robustness)), (v) => setupsProblem(v, (s, e) => trialsProblem(s, e, 'curves'))),
    reconstructions: readOptional<ReconstructionsFile>(join(root, analysisName(ANALYSIS_FILES.reconstructions)), (v) => setupsProblem(v, reconstructionProblem)),
    claims: readOptional<ClaimsFile>(join(root, RUN_FILES.claims), claimsProblem),
    notes,
  };
}

/** Set-up labels in the order the run trained them. */
export function setupsOf(data: RunData): string[] {
  return Object.keys(data.summary.setups);
}

/** Loss keys (each modality, then `total`) in the run's order. */
export function lossKeysOf(data: RunData): string[] {
  const keys: string[] = [];
  const add = (k: string) => {
    if (!keys.includes(k)) keys.push(k);
  };
  for (const setup of Object.values(data.summary.setups)) Object.keys(setup.final.test).forEach(add);
  for (const row of data.metrics) Object.keys(row.test).forEach(add);
  const modalities = data.summary.modalities ?? [];
  const order = (k: string) => (k === 'total' ? modalities.length + 1 : modalities.includes(k) ? modalities.indexOf(k) : modalities.length);
  return keys.sort((a, b) => order(a) - order(b));
}
