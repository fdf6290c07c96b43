import { parse, ParseError, printParseErrorCode } from 'jsonc-parser';
import { readTextFile } from '@mmfuse/data';
import { UserInputError } from '@mmfuse/core';

/** Line and column (1-based) of a character offset. */
function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

/**
 * Reads a JSON data file; a missing, unreadable or malformed file is one error naming it, with the
 * line and column of the first problem and what was found there. Python's json module writes
 * `NaN` and `Infinity` for non-finite floats, which JSON does not allow: those are named as such.
 */
export function readJsonFile(file: string): unknown {
  const text = readTextFile(file);
  try {
    return JSON.parse(text);
  } catch {
    // jsonc-parser gives the offset and the kind of the first error, where JSON.parse's message varies by Node version.
    const errors: ParseError[] = [];
    parse(text, errors, { disallowComments: true, allowTrailingComma: false });
    const first = errors[0];
    if (!first) throw new UserInputError(`${file}: not valid JSON`);
    const { line, column } = lineAndColumn(text, first.offset);
    const found = text.slice(first.offset, first.offset + 24).split('\n')[0];
    const literal = /^-?(NaN|Infinity)\b/.exec(found)?.[0];
    if (literal) throw new UserInputError(`${file} line ${line}, column ${column}: ${literal} is not a JSON number (Python's json module writes it for a non-finite value); expected a finite number`);
    if (first.offset >= text.trimEnd().length) throw new UserInputError(`${file} line ${line}: the file ends early (truncated?)`);
    const what = printParseErrorCode(first.error).replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
    throw new UserInputError(`${file} line ${line}, column ${column}: ${what}, found '${found}'`);
  }
}
