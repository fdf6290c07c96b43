import { UserInputError } from '@mmfuse/core';
import { readJsonFile } from './read-json-file';

/** Subcarriers of an 80 MHz capture that carry pilots or nothing: dropped, leaving 232. */
export const CSI_UNUSED_SUBCARRIERS: readonly number[] = [0, 1, 2, 3, 4, 115, 116, 117, 118, 119, 120, 122, 123, 124, 125, 126, 127, 128, 129, 130, 131, 253, 254, 255];
export const CSI_SUBCARRIERS = 256;
export const CSI_USED_SUBCARRIERS = CSI_SUBCARRIERS - CSI_UNUSED_SUBCARRIERS.length;

const UNSIGNED = '(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?';
const REAL_ONLY = new RegExp(`^([+-]?${UNSIGNED})$`);
const IMAGINARY_ONLY = new RegExp(`^([+-]?${UNSIGNED})?[jJ]$`);
const BOTH = new RegExp(`^([+-]?${UNSIGNED})([+-])(${UNSIGNED})?[jJ]$`);

/** Parses Python's `complex()` text: `"(12+3j)"`, `"-4-7j"`, `"3j"`, `"5"`, `"(1e-3-2.5e+1j)"`, `"(1+2J)"`. Undefined when it is not one. */
export function parseComplex(text: string): [number, number] | undefined {
  const t = text.replace(/\s+/g, '').replace(/^\((.*)\)$/, '$1');
  let m = REAL_ONLY.exec(t);
  if (m) return [Number(m[1]), 0];
  m = IMAGINARY_ONLY.exec(t);
  if (m) return [0, m[1] === undefined ? 1 : Number(m[1])];
  m = BOTH.exec(t);
  if (m) return [Number(m[1]), (m[2] === '-' ? -1 : 1) * (m[3] === undefined ? 1 : Number(m[3]))];
  return undefined;
}

/** One sniffer of a `…_Rxall_csi.json` file. */
export interface SnifferCsi {
  module: number;
  timestampsNs: Float64Array;
  /** `[T, 232]` amplitudes |h| of the used subcarriers, row-major. */
  amplitudes: Float32Array;
  rss: Float32Array;
}

const USED = Array.from({ length: CSI_SUBCARRIERS }, (_, i) => i).filter((i) => !CSI_UNUSED_SUBCARRIERS.includes(i));

/**
 * Reads RoboMNIST WiFi CSI: a list of sniffers `{module_number, time_stamp_ns[T],
 * complex_csi[T][256] (strings), RSS[T]}`, keeping the amplitude of the 232 used subcarriers.
 * Every problem names the file, the sniffer, the row and the subcarrier.
 */
export function readCsi(file: string): SnifferCsi[] {
  const data = readJsonFile(file);
  if (!Array.isArray(data) || data.length === 0) throw new UserInputError(`${file}: expected a list of sniffers, got ${Array.isArray(data) ? 'an empty list' : typeof data}`);
  return data.map((entry, i) => {
    const sniffer = entry as Record<string, unknown>;
    for (const key of ['module_number', 'time_stamp_ns', 'complex_csi', 'RSS']) {
      if (!(key in (sniffer ?? {}))) throw new UserInputError(`${file}: [${i}]: missing "${key}"`);
    }
    const stamps = sniffer.time_stamp_ns as unknown[];
    const rows = sniffer.complex_csi as unknown[];
    const rss = sniffer.RSS as unknown[];
    if (!Array.isArray(stamps) || !Array.isArray(rows) || !Array.isArray(rss)) throw new UserInputError(`${file}: [${i}]: time_stamp_ns, complex_csi and RSS must be arrays`);
    if (rows.length !== stamps.length || rss.length !== stamps.length) {
      throw new UserInputError(`${file}: [${i}]: ${stamps.length} timestamps, ${rows.length} CSI rows and ${rss.length} RSS values; they must match`);
    }
    const amplitudes = new Float32Array(rows.length * USED.length);
    rows.forEach((row, r) => {
      if (!Array.isArray(row) || row.length !== CSI_SUBCARRIERS) throw new UserInputError(`${file}: [${i}].complex_csi[${r}]: expected ${CSI_SUBCARRIERS} subcarriers, got ${Array.isArray(row) ? row.length : typeof row}`);
      USED.forEach((k, u) => {
        const value = row[k];
        const parsed = typeof value === 'string' ? parseComplex(value) : undefined;
        if (!parsed || !Number.isFinite(parsed[0]) || !Number.isFinite(parsed[1])) throw new UserInputError(`${file}: [${i}].complex_csi[${r}][${k}]: expected a complex number like "(12+3j)", got ${JSON.stringify(value)}`);
        amplitudes[r * USED.length + u] = Math.hypot(parsed[0], parsed[1]);
      });
    });
    return {
      module: Number(sniffer.module_number),
      timestampsNs: Float64Array.from(stamps as number[]),
      amplitudes,
      rss: Float32Array.from(rss as number[]),
    };
  });
}
