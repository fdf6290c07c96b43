import { readFileSync, statSync } from 'fs';
import { UserInputError } from '@mmfuse/core';

/** Largest text file read whole (256 MiB): larger ones are refused before any byte is read. */
export const MAX_TEXT_FILE_BYTES = 256 * 1024 * 1024;

/** Reads a UTF-8 data file; a missing, unreadable or oversized one is one error naming it. */
export function readTextFile(file: string, maxBytes = MAX_TEXT_FILE_BYTES): string {
  try {
    const stat = statSync(file);
    if (!stat.isFile()) throw new UserInputError(`${file}: is not a file`);
    if (stat.size > maxBytes) throw new UserInputError(`${file}: ${stat.size} bytes, more than the ${maxBytes} this file is read whole up to; is it the right file?`);
    return readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof UserInputError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserInputError(code === 'ENOENT' ? `${file}: missing` : `${file}: cannot read it (${code ?? (error as Error).message})`);
  }
}
