import { parse } from 'csv-parse/sync';
import { didYouMean, UserInputError } from '@mmfuse/core';
import { readTextFile } from '../read-text-file';

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

/**
 * Reads a CSV file with a header line: the timestamp column and the chosen numeric columns.
 * Every problem is one error naming the file and, where there is one, its line (the header is
 * line 1), the column and the value.
 */
export function readCsvSeries(file: string, spec: CsvSeriesSpec): CsvSeries {
  let text = readTextFile(file);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const delimiter = spec.delimiter === 'auto' ? detectDelimiter(text) : spec.delimiter;
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = parse(text, { delimiter, relax_column_count: true, skip_empty_lines: true, trim: true, info: true }) as unknown as typeof records;
  } catch (error) {
    throw new UserInputError(`${file}: not a readable CSV (${(error as Error).message})`);
  }
  if (records.length === 0) throw new UserInputError(`${file}: empty; expected a header line and data rows`);
  const header = records[0].record;
  const rows = records.slice(1);
  if (rows.length === 0) throw new UserInputError(`${file}: no data rows after the header (${header.join(delimiter)})`);
  const columnIndex = (name: string, what: string): number => {
    const index = header.indexOf(name);
    if (index < 0) throw new UserInputError(`${file}: no ${what} "${name}".${didYouMean(name, header)} Columns: ${header.join(', ')}`);
    return index;
  };
  const timeIndex = columnIndex(spec.timestamp, 'timestamp column');
  const decimalComma = delimiter !== ',';
  const columns =
    spec.columns ??
    header.filter((name, i) => i !== timeIndex && name !== '' && i < rows[0].record.length && parseValue(rows[0].record[i], decimalComma) !== undefined);
  if (columns.length === 0) throw new UserInputError(`${file}: no numeric column besides the timestamp "${spec.timestamp}" (judged by line ${rows[0].info.lines}); list them in "columns"`);
  const indices = columns.map((name) => columnIndex(name, 'column'));

  const timestampsNs: bigint[] = new Array(rows.length);
  const values = new Float64Array(rows.length * columns.length);
  rows.forEach(({ record, info }, r) => {
    const where = `${file} line ${info.lines}`;
    if (record.length < header.length) {
      throw new UserInputError(`${where}: ${record.length} field(s), the header has ${header.length} (truncated row?)`);
    }
    if (record.slice(header.length).some((extra) => extra !== '')) {
      throw new UserInputError(`${where}: ${record.length} fields, the header has ${header.length} (wrong delimiter or unquoted "${delimiter}" in a value?)`);
    }
    const time = parseTime(record[timeIndex], spec.timeUnit);
    if (time === undefined) throw new UserInputError(`${where}: timestamp column "${spec.timestamp}" is "${record[timeIndex]}", expected a number (in ${spec.timeUnit})`);
    if (r > 0 && time <= timestampsNs[r - 1]) {
      throw new UserInputError(`${where}: timestamp ${record[timeIndex]} is not after the previous row's ${rows[r - 1].record[timeIndex]} (timestamps must increase)`);
    }
    timestampsNs[r] = time;
    indices.forEach((index, c) => {
      const value = parseValue(record[index], decimalComma);
      if (value === undefined) throw new UserInputError(`${where}: column "${columns[c]}" is ${record[index] === '' ? 'empty' : `"${record[index]}"`}, expected a number`);
      values[r * columns.length + c] = value;
    });
  });
  return { file, columns, timestampsNs, values };
}
