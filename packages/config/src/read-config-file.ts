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

/** Deeper values are refused: no config needs them, and they overflow recursive JSON tools. */
export const MAX_CONFIG_DEPTH = 64;

/** The path of the first value nested deeper than `limit` (shortened), or undefined. Iterative. */
function tooDeep(root: unknown, limit: number): string | undefined {
  const stack: Array<{ value: unknown; depth: number; path: string }> = [{ value: root, depth: 0, path: '' }];
  while (stack.length > 0) {
    const { value, depth, path } = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= limit) return path;
    const entries: Array<[string, unknown]> = Array.isArray(value) ? value.map((v, i) => [`[${i}]`, v]) : Object.entries(value).map(([k, v]) => [/^[A-Za-z_$][\w$]*$/.test(k) ? `${path ? '.' : ''}${k}` : `[${JSON.stringify(k)}]`, v]);
    for (const [step, child] of entries) stack.push({ value: child, depth: depth + 1, path: path.length > 120 ? path : `${path}${step}` });
  }
  return undefined;
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
  const deep = tooDeep(parsed, MAX_CONFIG_DEPTH);
  if (deep !== undefined) {
    throw new UserInputError(`${file}: ${deep.length > 120 ? `${deep.slice(0, 120)}…` : deep}: nested deeper than ${MAX_CONFIG_DEPTH} levels; a config is at most ${MAX_CONFIG_DEPTH} levels deep`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UserInputError(`${file}: expected a JSON object at the top level, got ${Array.isArray(parsed) ? 'an array' : JSON.stringify(parsed)}`);
  }
  return parsed;
}
