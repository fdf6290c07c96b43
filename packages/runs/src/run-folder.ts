import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync } from 'fs';
import { hostname } from 'os';
import { dirname, join, resolve } from 'path';
import { appendFileDurable, environmentError, UserInputError, writeAll, writeFileAtomic } from '@mmfuse/core';
import { checkpointName, outcomeName, RUN_FILES, RUN_FOLDERS } from './layout';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function timestamp(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}-${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`;
}

/** Creates `path` and its parents; a full or read-only disk is named as such. */
export function makeFolder(path: string): void {
  try {
    mkdirSync(path, { recursive: true });
  } catch (error) {
    throw environmentError(path, (error as NodeJS.ErrnoException).code === 'ENOENT' ? whyNotCreated(resolve(path)) ?? error : error);
  }
}

/**
 * A recursive mkdir reports ENOENT whatever stopped it; creating the first missing folder below
 * the deepest existing one gives the real reason (EROFS, EACCES, ENOSPC).
 */
function whyNotCreated(path: string): unknown {
  let missing = path;
  while (!existsSync(dirname(missing)) && dirname(missing) !== missing) missing = dirname(missing);
  try {
    mkdirSync(missing);
    rmSync(missing, { recursive: true, force: true });
    return undefined;
  } catch (error) {
    return error;
  }
}

/** One run's folder: `<dir>/<name>-<timestamp>`, created only when the run really starts. */
export class RunFolder {
  readonly path: string;
  private locked = false;

  private constructor(path: string) {
    this.path = path;
  }

  /** An existing run folder (to resume it). */
  static open(path: string): RunFolder {
    for (const required of [RUN_FILES.config, RUN_FILES.run]) {
      if (!existsSync(join(path, required))) throw new UserInputError(`${path}: not a run folder (no ${required}); give the folder a run wrote, e.g. runs/<name>-<timestamp>`);
    }
    return new RunFolder(resolve(path));
  }

  /** A new run in exactly this folder (created if missing; it must not hold a run already). */
  static at(path: string): RunFolder {
    if (existsSync(join(path, RUN_FILES.run))) throw new UserInputError(`${path}: already holds a run; continue it with --resume ${path}`);
    makeFolder(path);
    return new RunFolder(resolve(path));
  }

  static create(outputDir: string, name: string, now = new Date()): RunFolder {
    const base = resolve(outputDir, `${name}-${timestamp(now)}`);
    let path = base;
    for (let k = 2; existsSync(path); k++) path = `${base}-${k}`;
    makeFolder(path);
    return new RunFolder(path);
  }

  /**
   * Takes the folder's lock (one writer per run). A lock left by a process that no longer runs on
   * this host is taken over; a live one is refused with its pid.
   */
  lock(): void {
    const file = this.file(RUN_FILES.lock);
    const mine = JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() });
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(file, 'wx');
        try {
          writeAll(fd, Buffer.from(mine, 'utf8'));
        } catch (error) {
          // A lock that says nothing would be taken for a stale one by the next run: leave none.
          closeSync(fd);
          rmSync(file, { force: true });
          throw error;
        }
        closeSync(fd);
        this.locked = true;
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw environmentError(file, error);
        let holder: { pid?: number; host?: string; since?: string } = {};
        try {
          holder = JSON.parse(readFileSync(file, 'utf8'));
        } catch {
          // unreadable: treated as stale
        }
        if (holder.pid && holder.host === hostname() && isAlive(holder.pid)) {
          throw new UserInputError(`${this.path}: the run is being written by process ${holder.pid} (since ${holder.since}); wait for it to finish or stop it first`);
        }
        if (holder.host && holder.host !== hostname()) {
          throw new UserInputError(`${this.path}: the run is locked by ${holder.host} (pid ${holder.pid}); if that process is gone, delete ${file}`);
        }
        rmSync(file, { force: true });
      }
    }
    throw new UserInputError(`${this.path}: could not take the run lock ${file}`);
  }

  unlock(): void {
    if (this.locked) rmSync(this.file(RUN_FILES.lock), { force: true });
    this.locked = false;
  }

  /**
   * Removes the temporary files of atomic writes (`<file>.<pid>.tmp`) that a killed process left,
   * in the run folder and its subfolders; those of processes still running here are kept.
   */
  removeStaleTemporaries(): void {
    const sweep = (dir: string, depth: number) => {
      if (depth > 3 || !existsSync(dir)) return;
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) sweep(path, depth + 1);
        const pid = /\.(\d+)\.tmp$/.exec(entry.name)?.[1];
        if (entry.isFile() && pid && !isAlive(Number(pid))) rmSync(path, { force: true });
      }
    };
    sweep(this.path, 0);
  }

  file(name: string): string {
    return join(this.path, name);
  }

  /** A trial's outcome file. */
  outcomeFile(setup: string, trial: number): string {
    return this.file(outcomeName(setup, trial));
  }

  /** A trial's checkpoint. */
  checkpointFile(setup: string, trial: number): string {
    return this.file(checkpointName(setup, trial));
  }

  /** The folders trials write into. */
  makeTrialFolders(): void {
    for (const name of [RUN_FOLDERS.trials, RUN_FOLDERS.checkpoints]) makeFolder(this.file(name));
  }

  writeJson(name: string, value: unknown): void {
    writeFileAtomic(this.file(name), `${JSON.stringify(value, null, 2)}\n`);
  }

  writeText(name: string, text: string): void {
    writeFileAtomic(this.file(name), text);
  }

  appendJsonLine(name: string, value: unknown): void {
    appendFileDurable(this.file(name), `${JSON.stringify(value)}\n`);
  }
}
