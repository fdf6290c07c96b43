import { readFileSync, statSync } from 'fs';
import { UserInputError } from '@mmfuse/core';
import { parse as parseTolerant, ParseError, printParseErrorCode } from 'jsonc-parser';

/** Larger files are refused before reading: no real experiment config comes near this. */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

function lineAndColumn(text: string, position: number): string {
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  return `${line}:${column}`;
}

/** Reads and parses a JSON config; every failure is one line naming the file (and line:column). */
export function readConfigFile(file: string): unknown {
  let size: number;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) throw new UserInputError(`${file}: is not a file`);
    size = stat.size;
  } catch (error) {
    if (error instanceof UserInputError) throw error;
    throw new UserInputError(`${file}: cannot read the config (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  if (size > MAX_CONFIG_BYTES) {
    throw new UserInputError(`${file}: the file is ${(size / 1048576).toFixed(1)} MiB; a config may be at most ${MAX_CONFIG_BYTES / 1048576} MiB`);
  }
  const bytes = readFileSync(file);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    let valid = 0;
    // Find the first byte that breaks UTF-8 decoding, for the message.
    for (let end = 1; end <= bytes.length; end++) {
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, end));
        valid = end;
      } catch {
        if (end - valid > 4) break;
      }
    }
    throw new UserInputError(`${file}: is not valid UTF-8 (first bad byte at offset ${valid})`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    // JSON.parse's messages vary between Node versions and rarely say where; a strict second
    // parse with jsonc-parser gives the offset and the kind of the first error.
    const errors: ParseError[] = [];
    parseTolerant(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
    if (errors.length > 0) {
      const first = errors[0];
      const found = JSON.stringify(text.slice(first.offset, first.offset + Math.max(1, Math.min(first.length, 20))));
      throw new UserInputError(`${file}:${lineAndColumn(text, first.offset)}: not valid JSON: ${printParseErrorCode(first.error)} at ${found}`);
    }
    throw new UserInputError(`${file}: not valid JSON: ${(error as Error).message.split('\n')[0]}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UserInputError(`${file}: expected a JSON object at the top level, got ${Array.isArray(parsed) ? 'an array' : JSON.stringify(parsed)}`);
  }
  return parsed;
}
