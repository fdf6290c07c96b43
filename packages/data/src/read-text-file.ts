import { readFileSync, statSync } from 'fs';
import { UserInputError } from '@mmfuse/core';

/** Largest text file read whole (256 MiB): larger ones are refused before any byte is read. */
export const MAX_TEXT_FILE_BYTES = 256 * 1024 * 1024;

/**
 * Checks that a data file exists, is a file and (when `maxBytes` is given) is at most that large;
 * a file that is not is one error naming it.
 */
export function checkDataFile(file: string, maxBytes = Infinity): void {
  let size: number;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) throw new UserInputError(`${file}: is not a file`);
    size = stat.size;
  } catch (error) {
    throw readError(file, error);
  }
  if (size > maxBytes) throw new UserInputError(`${file}: ${size} bytes, more than the ${maxBytes} this file is read whole up to; is it the right file?`);
}

/** Reads a UTF-8 data file; a missing, unreadable or oversized one is one error naming it. */
export function readTextFile(file: string, maxBytes = MAX_TEXT_FILE_BYTES): string {
  checkDataFile(file, maxBytes);
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw readError(file, error);
  }
}

function readError(file: string, error: unknown): UserInputError {
  if (error instanceof UserInputError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  return new UserInputError(code === 'ENOENT' ? `${file}: missing` : `${file}: cannot read it (${code ?? (error as Error).message})`);
}
