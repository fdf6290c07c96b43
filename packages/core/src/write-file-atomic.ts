import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'fs';

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
