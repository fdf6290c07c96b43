import { readTextFile } from '@mmfuse/data';
import { UserInputError } from '@mmfuse/core';

/** Reads a JSON data file; a missing, unreadable or malformed file is one error naming it. */
export function readJsonFile(file: string): unknown {
  const text = readTextFile(file);
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message);
    const at = position ? Number(position[1]) : undefined;
    const truncated = /Unexpected end/.test(message) || (at !== undefined && at >= text.trimEnd().length);
    const where = at !== undefined ? ` at character ${at} of ${text.length}` : '';
    throw new UserInputError(`${file}: not valid JSON${where}${truncated ? ' (the file ends early: truncated?)' : ''}`);
  }
}
