import { readFileSync, statSync } from 'fs';
import { UserInputError } from '@mmfuse/core';

/** Reads a UTF-8 data file; a missing or unreadable one is one error naming it. */
export function readTextFile(file: string): string {
  try {
    if (!statSync(file).isFile()) throw new UserInputError(`${file}: is not a file`);
    return readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof UserInputError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserInputError(code === 'ENOENT' ? `${file}: missing` : `${file}: cannot read it (${code ?? (error as Error).message})`);
  }
}
