import { existsSync } from 'fs';
import { availableParallelism } from 'os';
import { join, relative, resolve } from 'path';
import { Presets, SingleBar } from 'cli-progress';
import { UserInputError, writeFileAtomic } from '@mmfuse/core';
import { ExperimentConfig, expandSweep, pointLabel, SweepPoint } from '@mmfuse/config';
import { isSweepFolder, pointFolderName, PointOutcome, readRunSummary, readSweepRecord, RunFolder, RUN_FILES, SWEEP_FILES, SweepRecord } from '@mmfuse/runs';
import type { ChildJob } from './child-job';
import { failure, runChildPool } from './process-pool';

export interface SweepOptions {
  /** An existing sweep folder to continue. */
  resume?: string;
  out?: string;
  quiet?: boolean;
  /** Told the sweep folder once it exists. */
  onFolder?: (dir: string) => void;
}

function pointFolder(point: SweepPoint): string {
  return pointFolderName(point.index, pointLabel(point.assignments));
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const m = Math.floor(seconds / 60);
  return m > 0 ? `${m} m ${Math.round(seconds % 60)} s` : `${seconds.toFixed(1)} s`;
}

/**
 * Runs every point of a sweep, each as `mmfuse run --point i --run-dir <folder>` would, in a pool
 * of worker processes: a process that finished a point is handed the next (its start and its
 * code's first, unoptimised calls are paid once, not per point); one whose point failed exits,
 * and the next point gets a fresh process, so a crash takes no other point down.
 * A point whose folder holds a summary is never run again; one that was interrupted continues
 * from its checkpoints. Writes `sweep.json` first and `sweep-summary.json` last.
 */
export async function runSweep(configFile: string, config: ExperimentConfig, configDir: string, options: SweepOptions): Promise<{ dir: string; outcomes: PointOutcome[] }> {
  const points = expandSweep(config as unknown as Record<string, unknown>);
  const folder = options.resume ? resolve(options.resume) : createSweepFolder(config, configDir, options.out);
  options.onFolder?.(folder);
  const record = readSweepRecord(folder);
  const configCopy = join(folder, SWEEP_FILES.config);
  const cores = availableParallelism();
  const wanted = config.sweep?.workers ?? 'auto';
  const processes = Math.max(1, Math.min(points.length, wanted === 'auto' ? cores : wanted));
  // Threads per point: the cores a point has to itself, unless the config fixes them.
  const threads = config.training.workers === 'auto' ? Math.max(1, Math.floor(cores / processes)) : undefined;

  const outcomes: PointOutcome[] = [];
  const pending = record.points.filter((p) => {
    if (!existsSync(join(folder, p.runDir, RUN_FILES.summary))) return true;
    outcomes.push(outcomeOf(folder, p, 'done'));
    return false;
  });
  const total = record.points.length;
  const started = Date.now();
  let finishedHere = 0;
  const bar = !options.quiet && process.stderr.isTTY ? new SingleBar({ stream: process.stderr, hideCursor: true, format: ' sweep |{bar}| {value}/{total} points, about {left} left' }, Presets.shades_classic) : undefined;
  if (!options.quiet) process.stderr.write(`mmfuse: sweep of ${total} points (${total - pending.length} already done) in ${processes} worker process${processes > 1 ? 'es' : ''}\n  sweep folder: ${folder}\n`);
  bar?.start(total, total - pending.length, { left: '?' });

  const jobOf = (point: SweepRecord['points'][number]): ChildJob => ({
    kind: 'point',
    config: configCopy,
    baseDir: record.configDir,
    point: point.index,
    runDir: join(folder, point.runDir),
    ...(threads !== undefined ? { workers: threads } : {}),
  });
  await runChildPool(pending, processes, jobOf, (point, result) => {
    const outcome: PointOutcome =
      result.code === 0
        ? { ...outcomeOf(folder, point, 'done'), seconds: result.seconds }
        : { index: point.index, assignments: point.assignments, runDir: point.runDir, status: 'failed', seconds: result.seconds, error: failure(result) };
    outcomes.push(outcome);
    finishedHere++;
    const elapsed = (Date.now() - started) / 1000;
    const left = (elapsed / finishedHere) * (pending.length - finishedHere);
    bar?.increment(1, { left: duration(left) });
    if (!options.quiet && !bar) {
      const what = outcome.status === 'done' ? 'done' : `failed (${outcome.error})`;
      process.stderr.write(`point ${outcome.index} ${pointLabel(outcome.assignments)}: ${what} in ${duration(outcome.seconds ?? 0)}; ${outcomes.length}/${total} points, about ${duration(left)} left\n`);
    }
  });
  bar?.stop();
  outcomes.sort((a, b) => a.index - b.index);
  writeSweepSummary(folder, record.name, record.parameters, outcomes);
  return { dir: folder, outcomes };
}

/**
 * A new sweep folder holding its own copy of the config (editing the original later does not change
 * a resumed sweep) and `sweep.json`, which lists every point and its folder.
 */
export function createSweepFolder(config: ExperimentConfig, configDir: string, out: string | undefined): string {
  const points = expandSweep(config as unknown as Record<string, unknown>);
  const folder = RunFolder.create(out ?? config.output.dir, `${config.name}-sweep`, new Date()).path;
  writeFileAtomic(join(folder, SWEEP_FILES.config), `${JSON.stringify(config, null, 2)}\n`);
  const record: SweepRecord = {
    name: config.name,
    configDir,
    parameters: [...new Set(points.flatMap((p) => Object.keys(p.assignments)))],
    points: points.map((p) => ({ index: p.index, assignments: { ...p.assignments }, runDir: pointFolder(p) })),
  };
  writeFileAtomic(join(folder, SWEEP_FILES.sweep), `${JSON.stringify(record, null, 2)}\n`);
  return folder;
}

/** Writes `sweep-summary.json` from the points' outcomes. */
export function writeSweepSummary(folder: string, name: string, parameters: string[], outcomes: PointOutcome[]): void {
  writeFileAtomic(join(folder, SWEEP_FILES.summary), `${JSON.stringify({ name, parameters, points: outcomes }, null, 2)}\n`);
}

/** A finished point's outcome, from its summary. */
export function outcomeOf(folder: string, point: SweepRecord['points'][number], status: 'done'): PointOutcome {
  const summary = readRunSummary(join(folder, point.runDir), 'delete it to run this point again on --resume');
  if (!summary) throw new UserInputError(`${join(folder, point.runDir)}: the point has no ${RUN_FILES.summary}`);
  const final = Object.fromEntries(Object.entries(summary.setups).map(([setup, s]) => [setup, s.final.test]));
  return { index: point.index, assignments: point.assignments, runDir: point.runDir, status, seconds: summary.seconds, final, lipschitz: summary.callbacks.lipschitz };
}

/** The sweep folder a `--resume` names, or undefined when it is a plain run folder. */
export function sweepFolder(dir: string): string | undefined {
  return isSweepFolder(dir) ? dir : undefined;
}

/** One line per point and set-up: the final total test loss, for the terminal. */
export function sweepTable(dir: string, outcomes: readonly PointOutcome[]): string {
  const lines = outcomes.map((o) => {
    const losses = o.final ? Object.entries(o.final).map(([setup, f]) => `${setup} ${f.total ? `${f.total.mean.toPrecision(4)} ± ${f.total.std.toPrecision(2)}` : '-'}`) : [];
    return `  ${String(o.index).padStart(3)} ${pointLabel(o.assignments).padEnd(30)} ${o.status === 'done' ? losses.join('   ') : `FAILED: ${o.error}`}`;
  });
  return [`sweep: final test loss (total, mean ± std over trials) per point`, ...lines, `results: ${relative(process.cwd(), dir) || dir}`].join('\n');
}

/** The config of sweep point `index`, validated; an error when the config has no sweep or no such point. */
export function sweepPointConfig(config: ExperimentConfig, index: number, validate: (raw: unknown) => ExperimentConfig): ExperimentConfig {
  if (!config.sweep) throw new UserInputError(`--point ${index}: the config has no "sweep"`);
  const points = expandSweep(config as unknown as Record<string, unknown>);
  const point = points[index];
  if (!point) throw new UserInputError(`--point ${index}: the sweep has points 0–${points.length - 1}`);
  return validate(point.config);
}
