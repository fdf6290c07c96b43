import { existsSync, readFileSync, statSync } from 'fs';
import { UserInputError } from './errors';

/** Largest JSON-lines file read (512 MiB, about the longest string V8 holds). */
export const MAX_JSON_LINES_BYTES = 512 * 1024 * 1024;

export interface JsonLines<T> {
  /** Each parsed row with the line it came from. */
  rows: Array<{ text: string; row: T }>;
  /** Lines that did not parse: a torn last line of an interrupted append, or damage. */
  skipped: number;
}

/**
 * The rows of a JSON-lines file of a run folder (metrics, Lipschitz estimates), the one reader
 * every package uses: blank lines ignored, unparseable ones counted and skipped, a missing file
 * empty, a file too large to be one mmfuse wrote refused with its name.
 */
export function readJsonLines<T = unknown>(file: string): JsonLines<T> {
  if (!existsSync(file)) return { rows: [], skipped: 0 };
  const size = statSync(file).size;
  if (size > MAX_JSON_LINES_BYTES) throw new UserInputError(`${file}: ${size} bytes, more than the ${MAX_JSON_LINES_BYTES} a JSON-lines file of a run is read up to`);
  const rows: Array<{ text: string; row: T }> = [];
  let skipped = 0;
  for (const text of readFileSync(file, 'utf8').split('\n')) {
    if (text.trim() === '') continue;
    try {
      rows.push({ text, row: JSON.parse(text) as T });
    } catch {
      skipped++;
    }
  }
  return { rows, skipped };
}
