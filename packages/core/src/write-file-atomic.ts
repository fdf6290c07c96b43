import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'fs';
import { dirname } from 'path';
import { environmentError } from './errors';

/**
 * Writes every byte of `bytes` at the file's current position. `write(2)` may write fewer bytes
 * than asked (a nearly full disk does), so the rest is written until all are down or the system
 * says why not (ENOSPC on the next call).
 */
export function writeAll(fd: number, bytes: Uint8Array): void {
  let written = 0;
  while (written < bytes.length) {
    const n = writeSync(fd, bytes, written, bytes.length - written);
    if (n <= 0) throw Object.assign(new Error(`write returned ${n} after ${written} of ${bytes.length} bytes`), { code: 'EIO' });
    written += n;
  }
}

function asBytes(content: string | Uint8Array): Uint8Array {
  return typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
}

/** Makes a rename or a new file in `dir` durable: the folder's entry is synced too. */
function syncFolder(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch (error) {
    // Some file systems refuse to open or sync a folder (EISDIR, EINVAL); the rename is still atomic there.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EACCES') throw error;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Writes `content` to `file` so that the file afterwards holds either its previous content or
 * all of the new one (npm's write-file-atomic would fit, but its synchronous path issues one
 * write(2) without checking how much was written, and never syncs the folder): through a temporary file whose every byte is checked written and synced,
 * then a rename and a sync of the folder. A full or read-only disk is a bad-environment error
 * naming the file (exit 2 in the CLI); the previous file is left as it was.
 */
export function writeFileAtomic(file: string, content: string | Uint8Array): void {
  const bytes = asBytes(content);
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    const fd = openSync(temporary, 'w');
    try {
      writeAll(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, file);
    syncFolder(dirname(file));
  } catch (error) {
    rmSync(temporary, { force: true });
    throw environmentError(file, error);
  }
}

/**
 * Appends `content` to `file` (created if missing) as one unit: on a short or failed write the
 * file is cut back to its previous length, so a JSON-lines file never gains half a line.
 */
export function appendFileDurable(file: string, content: string | Uint8Array): void {
  const bytes = asBytes(content);
  let fd: number | undefined;
  let before = 0;
  try {
    fd = openSync(file, 'a');
    before = fstatSync(fd).size;
    writeAll(fd, bytes);
    fsyncSync(fd);
  } catch (error) {
    if (fd !== undefined) {
      try {
        ftruncateSync(fd, before);
      } catch {
        // Cannot cut back (the disk refuses even that): readers drop a torn last line.
      }
    }
    throw environmentError(file, error);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
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
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw environmentError(lock, error);
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
