import { closeSync, createReadStream, openSync, readSync } from 'fs';
import { parse } from 'csv-parse';
import { didYouMean, UserInputError } from '@mmfuse/core';
import { checkDataFile } from '@mmfuse/data';

export type TimeUnit = 's' | 'ms' | 'us' | 'ns';
export const TIME_UNITS: readonly TimeUnit[] = ['s', 'ms', 'us', 'ns'];

const NS_PER_UNIT: Record<TimeUnit, bigint> = { s: 1_000_000_000n, ms: 1_000_000n, us: 1_000n, ns: 1n };
const PLAIN_DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?$/;

/**
 * A time in integer nanoseconds. Plain decimals are converted exactly, because epoch times in ns
 * (~1.7e18) exceed float64 precision and would make neighbouring rows compare equal; other
 * spellings (exponents) go through Number. Undefined when the text is not a finite number.
 */
export function parseTime(text: string, unit: TimeUnit): bigint | undefined {
  const trimmed = text.trim();
  const scale = NS_PER_UNIT[unit];
  const match = PLAIN_DECIMAL.exec(trimmed);
  if (match && (match[2] !== '' || (match[3] ?? '') !== '')) {
    const digits = String(scale).length - 1;
    const fraction = (match[3] ?? '').padEnd(digits, '0').slice(0, digits);
    const ns = BigInt(match[2] || '0') * scale + (digits > 0 ? BigInt(fraction) : 0n);
    return match[1] === '-' ? -ns : ns;
  }
  if (trimmed === '') return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? BigInt(Math.round(value * Number(scale))) : undefined;
}

/**
 * A number in a CSV field; with a delimiter other than ',' a decimal comma (`1,5`) is accepted too,
 * as spreadsheets in many locales write it. Undefined for empty, non-numeric or non-finite text.
 */
export function parseValue(text: string, decimalComma: boolean): number | undefined {
  let trimmed = text.trim();
  if (trimmed === '') return undefined;
  if (decimalComma && /^[+-]?\d*,\d+$/.test(trimmed)) trimmed = trimmed.replace(',', '.');
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : undefined;
}

export type CsvDelimiter = ',' | ';' | '\t' | 'auto';

/** The most frequent of `,` `;` tab in the header line (a header holds no decimal separators). */
export function detectDelimiter(text: string): ',' | ';' | '\t' {
  const newline = text.search(/\r?\n/);
  const header = newline < 0 ? text : text.slice(0, newline);
  const counts = ([',', ';', '\t'] as const).map((d) => [d, header.split(d).length - 1] as const);
  return counts.reduce((best, c) => (c[1] > best[1] ? c : best))[0];
}

export interface CsvSeriesSpec {
  timestamp: string;
  timeUnit: TimeUnit;
  /** Columns to read; all numeric columns (judged by the first data row) when undefined. */
  columns?: string[];
  delimiter: CsvDelimiter;
}

export interface CsvSeries {
  file: string;
  columns: string[];
  /** Strictly increasing timestamps, in ns. */
  timestampsNs: bigint[];
  /** Row-major values: `timestampsNs.length` rows of `columns.length`. */
  values: Float64Array;
}

/** Longest CSV record read (1 MiB): a file without line breaks, or with a runaway quote, stops there instead of filling memory. */
export const MAX_CSV_RECORD_BYTES = 1 << 20;

/** A value or header quoted in an error: at most `max` characters, so a huge field never floods the terminal. */
export function excerpt(text: string, max = 60): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length} characters)` : text;
}

const listColumns = (names: readonly string[]) => excerpt(names.join(', '), 200);

/** The first bytes of a file, to read its header line from before streaming it. */
function readHead(file: string, bytes = 64 * 1024): string {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    return buffer.toString('utf8', 0, readSync(fd, buffer, 0, bytes, 0));
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads a CSV file with a header line: the timestamp column and the chosen numeric columns,
 * streamed record by record (memory grows with the values kept, not the file). Every problem is
 * one error naming the file and, where there is one, its line (the header is line 1), the column
 * and a short excerpt of the value.
 */
export async function readCsvSeries(file: string, spec: CsvSeriesSpec): Promise<CsvSeries> {
  checkDataFile(file);
  let head = readHead(file);
  if (head.charCodeAt(0) === 0xfeff) head = head.slice(1);
  const delimiter = spec.delimiter === 'auto' ? detectDelimiter(head) : spec.delimiter;
  const decimalComma = delimiter !== ',';
  const parser = createReadStream(file).pipe(
    parse({ delimiter, bom: true, relax_column_count: true, skip_empty_lines: true, trim: true, info: true, max_record_size: MAX_CSV_RECORD_BYTES }),
  );

  let header: string[] | undefined;
  let columns: string[] = [];
  let indices: number[] = [];
  let timeIndex = -1;
  const times: bigint[] = [];
  let previousTimeText = '';
  let values = new Float64Array(1024);
  let firstLine = 0;
  const columnIndex = (name: string, what: string): number => {
    const index = header!.indexOf(name);
    if (index < 0) throw new UserInputError(`${file}: no ${what} "${excerpt(name)}".${didYouMean(name, header!)} Columns: ${listColumns(header!)}`);
    return index;
  };
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      if (!header) {
        header = record;
        timeIndex = columnIndex(spec.timestamp, 'timestamp column');
        continue;
      }
      const where = `${file} line ${info.lines}`;
      if (times.length === 0) {
        firstLine = info.lines;
        columns =
          spec.columns ??
          header.filter((name, i) => i !== timeIndex && name !== '' && i < record.length && parseValue(record[i], decimalComma) !== undefined);
        if (columns.length === 0) throw new UserInputError(`${file}: no numeric column besides the timestamp "${spec.timestamp}" (judged by line ${firstLine}); list them in "columns"`);
        indices = columns.map((name) => columnIndex(name, 'column'));
      }
      if (record.length < header.length) throw new UserInputError(`${where}: ${record.length} field(s), the header has ${header.length} (truncated row?)`);
      if (record.slice(header.length).some((extra) => extra !== '')) {
        throw new UserInputError(`${where}: ${record.length} fields, the header has ${header.length} (wrong delimiter or unquoted "${delimiter}" in a value?)`);
      }
      const time = parseTime(record[timeIndex], spec.timeUnit);
      if (time === undefined) throw new UserInputError(`${where}: timestamp column "${spec.timestamp}" is "${excerpt(record[timeIndex])}", expected a number (in ${spec.timeUnit})`);
      if (times.length > 0 && time <= times[times.length - 1]) {
        throw new UserInputError(`${where}: timestamp ${excerpt(record[timeIndex])} is not after the previous row's ${excerpt(previousTimeText)} (timestamps must increase)`);
      }
      const row = times.length;
      times.push(time);
      previousTimeText = record[timeIndex];
      if ((row + 1) * columns.length > values.length) {
        const grown = new Float64Array(values.length * 2);
        grown.set(values);
        values = grown;
      }
      indices.forEach((index, c) => {
        const value = parseValue(record[index], decimalComma);
        if (value === undefined) throw new UserInputError(`${where}: column "${columns[c]}" is ${record[index] === '' ? 'empty' : `"${excerpt(record[index])}"`}, expected a number`);
        values[row * columns.length + c] = value;
      });
    }
  } catch (error) {
    parser.destroy();
    if (error instanceof UserInputError) throw error;
    throw new UserInputError(`${file}: not a readable CSV (${excerpt((error as Error).message, 200)})`);
  }
  if (!header) throw new UserInputError(`${file}: empty; expected a header line and data rows`);
  if (times.length === 0) throw new UserInputError(`${file}: no data rows after the header (${excerpt(header.join(delimiter), 200)})`);
  return { file, columns, timestampsNs: times, values: values.slice(0, times.length * columns.length) };
}
