import { readFileSync, statSync } from 'fs';
import { UserInputError } from './errors';

/** Largest JSON file mmfuse reads back from a run folder (64 MiB); larger is not one it wrote. */
export const MAX_JSON_FILE_BYTES = 64 * 1024 * 1024;

/**
 * Reads a JSON file mmfuse wrote (a run folder's records) back as data: size-bounded, and a
 * missing, truncated or otherwise unreadable one is one error naming the file, with `remedy`.
 */
export function readJsonFile<T>(file: string, remedy: string): T {
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > MAX_JSON_FILE_BYTES) throw new UserInputError(`${file}: ${size} bytes, more than a file mmfuse writes there; ${remedy}`);
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof UserInputError) throw error;
    throw new UserInputError(`${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); ${remedy}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new UserInputError(`${file}: damaged (${(error as Error).message.slice(0, 120)}); ${remedy}`);
  }
}
