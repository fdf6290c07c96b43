import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'fs';

/** Writes `text` to `file` through a temporary file and a rename, so readers never see half a file. */
export function writeFileAtomic(file: string, text: string | Uint8Array): void {
  const temporary = `${file}.${process.pid}.tmp`;
  const fd = openSync(temporary, 'w');
  try {
    if (typeof text === 'string') writeSync(fd, text);
    else writeSync(fd, text, 0, text.length);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temporary, { force: true });
    throw error;
  }
  closeSync(fd);
  renameSync(temporary, file);
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Runs `update` while holding `<file>.lock` (a directory: creating one is atomic), so processes
 * that read, change and write the same file take turns. A lock older than `staleMs` is taken to
 * belong to a process that died and is broken.
 */
export function withFileLock<T>(file: string, update: () => T, staleMs = 60000): T {
  const lock = `${file}.lock`;
  for (let waited = 0; ; waited += 10) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      try {
        if (Date.now() - statSync(lock).mtimeMs > staleMs) rmSync(lock, { recursive: true, force: true });
      } catch {
        // Released between the two calls: try again.
      }
      if (waited > 10 * staleMs) throw new Error(`${lock}: still held after ${waited / 1000} s`);
      Atomics.wait(pause, 0, 0, 10);
    }
  }
  try {
    return update();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * Read, change, write under the file's lock: `file` parsed as JSON (`empty()` when it is missing,
 * or unreadable, which atomic writes never leave), edited in place by `change`, written back
 * atomically. For files that processes running side by side all update.
 */
export function updateJsonFile<T>(file: string, empty: () => T, change: (content: T) => void): void {
  withFileLock(file, () => {
    let content = empty();
    if (existsSync(file)) {
      try {
        content = JSON.parse(readFileSync(file, 'utf8')) as T;
      } catch {
        content = empty();
      }
    }
    change(content);
    writeFileAtomic(file, `${JSON.stringify(content)}\n`);
  });
}
