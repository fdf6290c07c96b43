import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'fs';
import { hostname } from 'os';
import { dirname, isAbsolute, join, relative, resolve } from 'path';
import { readJsonFile, readJsonLines as readJsonLinesOf, updateJsonFile, writeFileAtomic } from '@mmfuse/core';
import { attemptsFolder, checkpointName, outcomeName, readCheckpoint, RunRow, RUN_FILES, RUN_FOLDERS } from '@mmfuse/runs';

/** The rows of a run's JSON-lines file that parse, each with its text. */
const readJsonLines = (file: string) => readJsonLinesOf<RunRow>(file).rows;

// Every attempt at a job trains in a folder of its own, `<run>/attempts/<setup>.trial<k>/<attempt>/`,
// laid out like a run folder. Only the attempt whose completion the queue accepted is merged into
// the run folder, so a worker that died, or a slow one that comes back after its job was given to
// another, can never add or duplicate rows there.

const jsonLineFiles = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.jsonl')) : []);

function copyAtomic(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true });
  writeFileAtomic(to, readFileSync(from));
}

export interface PreparedAttempt {
  dir: string;
  /** The epoch it continues from: that of the furthest checkpoint any earlier attempt left. */
  startEpoch: number;
  resumedFrom?: string;
}

/**
 * Creates the folder of a new attempt at a trial: the run's config, and, when an earlier attempt
 * (or the run folder itself) holds a checkpoint, the furthest one with the rows written up to it,
 * so the attempt continues where that one stopped.
 */
export function prepareAttempt(runDir: string, setup: string, trial: number, attempt: string): PreparedAttempt {
  const parent = attemptsFolder(runDir, setup, trial);
  const dir = join(parent, attempt);
  mkdirSync(join(dir, RUN_FOLDERS.checkpoints), { recursive: true });
  mkdirSync(join(dir, RUN_FOLDERS.trials), { recursive: true });
  copyAtomic(join(runDir, RUN_FILES.config), join(dir, RUN_FILES.config));

  const sources = [runDir, ...(existsSync(parent) ? readdirSync(parent).map((name) => join(parent, name)).filter((d) => d !== dir && statSync(d).isDirectory()) : [])];
  let best: { source: string; epoch: number } | undefined;
  for (const source of sources) {
    const file = join(source, checkpointName(setup, trial));
    if (!existsSync(file)) continue;
    let epoch: number | undefined;
    try {
      epoch = readCheckpoint(file)?.epoch;
    } catch {
      continue; // damaged: another source, or the start, will do
    }
    if (epoch !== undefined && (!best || epoch > best.epoch)) best = { source, epoch };
  }
  if (best) {
    copyAtomic(join(best.source, checkpointName(setup, trial)), join(dir, checkpointName(setup, trial)));
    for (const name of jsonLineFiles(best.source)) {
      const kept = readJsonLines(join(best.source, name)).filter(({ row }) => row.setup === setup && row.trial === trial && !(typeof row.epoch === 'number' && row.epoch > best!.epoch));
      if (kept.length > 0) writeFileAtomic(join(dir, name), `${kept.map((r) => r.text).join('\n')}\n`);
    }
  }
  const resumedFrom = best ? (best.source === runDir ? '.' : relative(runDir, best.source)) : undefined;
  // RunFolder.open needs a run.json; this one says whose attempt it is.
  writeFileAtomic(
    join(dir, RUN_FILES.run),
    `${JSON.stringify({ attempt, setup, trial, host: hostname(), pid: process.pid, startedAt: new Date().toISOString(), startEpoch: best?.epoch ?? 0, resumedFrom: resumedFrom ?? null }, null, 2)}\n`,
  );
  return { dir, startEpoch: best?.epoch ?? 0, resumedFrom };
}

/** Where an attempt's results are: inside the run's attempts folder, or an error. */
export function attemptFolder(runDir: string, attempt: string): string {
  const dir = resolve(runDir, attempt);
  const r = relative(join(resolve(runDir), RUN_FOLDERS.attempts), dir);
  if (r === '' || r.startsWith('..') || isAbsolute(r)) throw new Error(`attempt ${attempt} is not inside ${join(runDir, RUN_FOLDERS.attempts)}`);
  return dir;
}

/**
 * Moves a finished attempt's results into the run folder, as a local run would have written them:
 * its rows replace every row of that trial in each JSON-lines file, its analysis entries replace
 * the trial's, its checkpoint and files are copied, and its outcome file comes last, marking the
 * trial finished. Merging the same attempt again (a coordinator restarted half-way) changes nothing.
 */
export function mergeAttempt(runDir: string, attempt: string, setup: string, trial: number): void {
  const dir = attemptFolder(runDir, attempt);
  const outcome = join(dir, outcomeName(setup, trial));
  if (!existsSync(outcome)) throw new Error(`${dir}: the attempt finished without ${outcomeName(setup, trial)}`);

  const ofTrial = (row: RunRow) => row.setup === setup && row.trial === trial;
  for (const name of new Set([...jsonLineFiles(runDir), ...jsonLineFiles(dir)])) {
    const target = join(runDir, name);
    const rows = readJsonLines(target);
    const kept = rows.filter(({ row }) => !ofTrial(row));
    const added = readJsonLines(join(dir, name)).filter(({ row }) => ofTrial(row));
    if (kept.length === rows.length && added.length === 0) continue;
    const lines = [...kept, ...added].map((r) => r.text);
    writeFileAtomic(target, lines.length > 0 ? `${lines.join('\n')}\n` : '');
  }

  const analysis = join(dir, RUN_FOLDERS.analysis);
  for (const name of existsSync(analysis) ? readdirSync(analysis).filter((n) => n.endsWith('.json')) : []) {
    mergeAnalysisFile(join(analysis, name), join(runDir, RUN_FOLDERS.analysis, name), trial);
  }

  const skip = new Set<string>([RUN_FILES.config, RUN_FILES.run, RUN_FILES.lock, RUN_FOLDERS.analysis, outcomeName(setup, trial)]);
  for (const file of filesUnder(dir)) {
    if (skip.has(file) || skip.has(file.split(/[\\/]/)[0]) || (!file.includes('/') && file.endsWith('.jsonl'))) continue;
    copyAtomic(join(dir, file), join(runDir, file));
  }
  copyAtomic(outcome, join(runDir, outcomeName(setup, trial)));
}

function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((entry) => {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) return filesUnder(dir, path);
    return entry.isFile() && !entry.name.endsWith('.tmp') ? [path] : [];
  });
}

/**
 * Analysis files are `{ setups: { <setup>: { trials: [{ trial, … }] } } }` (one entry per trial) or
 * `{ setups: { <setup>: entry } }` (one per set-up). The attempt's entries for its trial replace
 * the run's; everything else in the run's file stays.
 */
function mergeAnalysisFile(from: string, to: string, trial: number): void {
  const incoming = readJsonFile<{ setups?: Record<string, unknown> }>(from, 'the attempt\'s analysis file; the job is tried again');
  mkdirSync(dirname(to), { recursive: true });
  updateJsonFile<{ setups: Record<string, unknown> }>(to, () => ({ setups: {} }), (content) => {
    for (const [setup, entry] of Object.entries(incoming.setups ?? {})) {
      const trials = (entry as { trials?: unknown }).trials;
      if (Array.isArray(trials)) {
        const own = trials.filter((t) => (t as { trial?: unknown }).trial === trial);
        const existing = ((content.setups[setup] as { trials?: Array<{ trial: number }> } | undefined)?.trials ?? []).filter((t) => t.trial !== trial);
        content.setups[setup] = { ...(entry as object), trials: [...existing, ...own].sort((a, b) => (a as { trial: number }).trial - (b as { trial: number }).trial) };
      } else {
        content.setups[setup] = entry;
      }
    }
  });
}
