import { existsSync } from 'fs';
import { join, resolve } from 'path';
import { readJsonFile, UserInputError } from '@mmfuse/core';
import { isSweepFolder, RUN_FILES, SWEEP_FILES } from '@mmfuse/runs';
import { finalLipschitz, FinalLipschitz, preferredEstimate, CERTIFIED_ESTIMATOR } from './aggregates';
import { readRunFolder, RunData } from './run-data';
import { MeanStd, meanStd } from './statistics';

export interface SweepPoint {
  index: number;
  assignments: Record<string, unknown>;
  /** Absolute path of the point's run folder. */
  runDir: string;
  /** The point's run, when it has finished (has a summary.json). */
  run?: RunData;
  /** Why there is no run to show. */
  problem?: string;
}

export interface SweepData {
  dir: string;
  name: string;
  parameters: string[];
  points: SweepPoint[];
}

export { isSweepFolder };

/** Reads `sweep.json` and every point's run folder; a point without a summary.json yet is listed as unfinished. */
export function readSweepFolder(dir: string): SweepData {
  const root = resolve(dir);
  const file = join(root, SWEEP_FILES.sweep);
  const parsed = readJsonFile<unknown>(file, 'it lists the sweep\'s points, written when the sweep started');
  const sweep = parsed as { name?: unknown; parameters?: unknown; points?: unknown };
  if (typeof sweep !== 'object' || sweep === null || !Array.isArray(sweep.points)) throw new UserInputError(`${file}: damaged sweep.json: no "points" list`);
  const points = (sweep.points as Array<Record<string, unknown>>).map((p, i): SweepPoint => {
    if (typeof p !== 'object' || p === null || typeof p.runDir !== 'string') throw new UserInputError(`${file}: points[${i}] has no "runDir"`);
    const runDir = resolve(root, p.runDir);
    const point: SweepPoint = { index: typeof p.index === 'number' ? p.index : i, assignments: (p.assignments as Record<string, unknown>) ?? {}, runDir };
    if (!existsSync(join(runDir, RUN_FILES.summary))) return { ...point, problem: existsSync(runDir) ? 'no summary.json yet (running, interrupted or failed)' : 'run folder not found' };
    return { ...point, run: readRunFolder(runDir) };
  });
  const parameters = Array.isArray(sweep.parameters) ? sweep.parameters.map(String) : [...new Set(points.flatMap((p) => Object.keys(p.assignments)))];
  return { dir: root, name: typeof sweep.name === 'string' ? sweep.name : 'sweep', parameters, points };
}

/** `parameterNorm` of a set-up's summary, as mean ± std whatever form it was written in. */
export function parameterNormOf(value: unknown): MeanStd | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return { mean: value, std: 0, n: 1 };
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as { mean?: unknown; std?: unknown; n?: unknown; values?: unknown };
  if (Array.isArray(v.values) && v.values.length > 0) return meanStd(v.values.filter((x): x is number => typeof x === 'number'));
  if (typeof v.mean === 'number') return { mean: v.mean, std: typeof v.std === 'number' ? v.std : 0, n: typeof v.n === 'number' ? v.n : 1 };
  return undefined;
}

/** One value per point, set-up and series, with the swept parameter's value as x. */
export interface SweepValue {
  point: number;
  x: number | string;
  /** The other parameters' values, when more than one was swept. */
  group: string;
  setup: string;
  series: string;
  kind: string;
  mean: number;
  std: number;
  n: number;
}

function xOf(sweep: SweepData, point: SweepPoint): { x: number | string; group: string } {
  const [first, ...rest] = sweep.parameters;
  const raw = point.assignments[first];
  return { x: typeof raw === 'number' ? raw : String(raw), group: rest.map((p) => `${p}=${JSON.stringify(point.assignments[p])}`).join(', ') };
}

/** Final Lipschitz estimate and certified bound per point, set-up and sub-model (Fig. 22, top). */
export function sweepLipschitz(sweep: SweepData): SweepValue[] {
  const out: SweepValue[] = [];
  for (const point of sweep.points) {
    if (!point.run) continue;
    const finals = finalLipschitz(point.run);
    const estimate = preferredEstimate(finals.map((f) => f.estimator));
    const add = (f: FinalLipschitz, kind: string) => out.push({ point: point.index, ...xOf(sweep, point), setup: f.setup, series: f.subModel, kind, mean: f.mean, std: f.std, n: f.n });
    for (const f of finals) {
      if (f.estimator === estimate) add(f, 'estimate');
      else if (f.estimator === CERTIFIED_ESTIMATOR) add(f, 'certified bound');
    }
  }
  return out;
}

/** Parameter norm per point and set-up, from summary.json's `parameterNorm` (empty when no run recorded it). */
export function sweepParameterNorms(sweep: SweepData): SweepValue[] {
  const out: SweepValue[] = [];
  for (const point of sweep.points) {
    if (!point.run) continue;
    for (const [setup, s] of Object.entries(point.run.summary.setups)) {
      const norm = parameterNormOf(s.parameterNorm);
      if (norm) out.push({ point: point.index, ...xOf(sweep, point), setup, series: setup, kind: 'parameter norm', ...norm });
    }
  }
  return out;
}

/** Final test loss (total) per point and set-up. */
export function sweepFinalLoss(sweep: SweepData, loss = 'total'): SweepValue[] {
  const out: SweepValue[] = [];
  for (const point of sweep.points) {
    if (!point.run) continue;
    for (const [setup, s] of Object.entries(point.run.summary.setups)) {
      const cell = s.final.test[loss];
      if (!cell) continue;
      const stats = cell.values && cell.values.length > 0 ? meanStd(cell.values) : cell;
      out.push({ point: point.index, ...xOf(sweep, point), setup, series: setup, kind: `test ${loss}`, mean: stats.mean, std: stats.std, n: stats.n });
    }
  }
  return out;
}
