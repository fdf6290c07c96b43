import { existsSync, readFileSync, statSync } from 'fs';
import { crc32 } from 'zlib';
import { unzipSync } from 'fflate';
import { parse } from 'npyjs';
import { didYouMean, UserInputError } from '@mmfuse/core';
import { StoredArray } from './array-dataset';

/** Numeric dtypes of the .npy format (npyjs turns float16 into float32). */
const NUMERIC_DTYPES = new Set(['b1', 'i1', 'u1', 'i2', 'u2', 'i4', 'u4', 'i8', 'u8', 'f2', 'f4', 'f8']);

/** At most this many names are listed in an error, so a large archive or group stays readable. */
const LISTED_NAMES = 20;

export function listNames(names: readonly string[]): string {
  if (names.length === 0) return 'nothing';
  const shown = names.slice(0, LISTED_NAMES).join(', ');
  return names.length > LISTED_NAMES ? `${shown} and ${names.length - LISTED_NAMES} more` : shown;
}

/** The bytes of one .npy array (a file's or an archive entry's); `label` names it in errors. */
export function parseNpy(bytes: Uint8Array, label: string): StoredArray {
  let array;
  try {
    array = parse(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  } catch (error) {
    throw new UserInputError(`${label}: not a readable .npy array (${(error as Error).message})`);
  }
  if (!NUMERIC_DTYPES.has(array.dtype)) throw new UserInputError(`${label}: dtype ${array.dtype} is not numeric; save integers or floats`);
  if (array.fortranOrder) throw new UserInputError(`${label}: stored in Fortran order; save it in C order (numpy.ascontiguousarray)`);
  return { label, shape: array.shape, data: array.data as unknown as ArrayLike<number | bigint>, uint8: array.dtype === 'u1' };
}

export function readNpyFile(file: string): StoredArray {
  if (!existsSync(file)) throw new UserInputError(`${file}: missing`);
  return parseNpy(readFileSync(file), file);
}

/** Largest .npz read (2 GiB, below Node's largest buffer). */
export const MAX_NPZ_BYTES = 2 ** 31 - 1;

/**
 * The CRC-32 each entry of a zip archive declares, by name, from its central directory (zip64
 * included). fflate inflates without checking them; numpy does check, and so does mmfuse.
 */
export function zipEntryCrcs(bytes: Uint8Array): Map<string, number> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let end = -1;
  for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - 22 - 0xffff); at--) {
    if (view.getUint32(at, true) === 0x06054b50) {
      end = at;
      break;
    }
  }
  if (end < 0) throw new Error('no end of central directory');
  let count = view.getUint16(end + 10, true);
  let offset = view.getUint32(end + 16, true);
  if (offset === 0xffffffff || count === 0xffff) {
    const locator = end - 20;
    if (locator < 0 || view.getUint32(locator, true) !== 0x07064b50) throw new Error('no zip64 end of central directory locator');
    const zip64 = Number(view.getBigUint64(locator + 8, true));
    if (zip64 + 56 > bytes.length || view.getUint32(zip64, true) !== 0x06064b50) throw new Error('no zip64 end of central directory');
    count = Number(view.getBigUint64(zip64 + 32, true));
    offset = Number(view.getBigUint64(zip64 + 48, true));
  }
  const crcs = new Map<string, number>();
  for (let i = 0, at = offset; i < count; i++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== 0x02014b50) throw new Error(`central directory entry ${i} is damaged`);
    const nameLength = view.getUint16(at + 28, true);
    const name = Buffer.from(bytes.buffer, bytes.byteOffset + at + 46, nameLength).toString('utf8');
    crcs.set(name, view.getUint32(at + 16, true));
    at += 46 + nameLength + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
  }
  return crcs;
}

/**
 * A `.npz` archive as numpy.savez (stored) or numpy.savez_compressed (deflated) writes it: a zip
 * with one `<name>.npy` entry per array. Entries are inflated only when read.
 */
export class NpzArchive {
  private constructor(
    readonly path: string,
    private readonly bytes: Uint8Array,
    private readonly entries: readonly string[],
    private readonly crcs: ReadonlyMap<string, number>,
  ) {}

  static open(path: string): NpzArchive {
    if (!existsSync(path)) throw new UserInputError(`${path}: missing`);
    // An archive is read whole; past Node's largest buffer, the arrays belong in .npy files, which stream.
    const size = statSync(path).size;
    if (size > MAX_NPZ_BYTES) throw new UserInputError(`${path}: ${size} bytes, more than the ${MAX_NPZ_BYTES} an .npz is read whole up to; save the arrays as .npy files (numpy.save) and give "file" for each, which streams`);
    const bytes = readFileSync(path);
    const entries: string[] = [];
    let crcs: Map<string, number>;
    try {
      // A filter that declines every entry lists the central directory without inflating anything.
      unzipSync(bytes, {
        filter: (entry) => {
          entries.push(entry.name);
          return false;
        },
      });
      crcs = zipEntryCrcs(bytes);
    } catch (error) {
      throw new UserInputError(`${path}: not a readable .npz archive (${(error as Error).message})`);
    }
    return new NpzArchive(path, bytes, entries, crcs);
  }

  /** Array names as given to numpy.savez (entries without their `.npy` suffix). */
  get arrays(): string[] {
    return this.entries.map((e) => e.replace(/\.npy$/, ''));
  }

  /** The array saved as `name` (`name.npy` in the zip; the entry's own name is accepted too). */
  read(name: string): StoredArray {
    const label = `${this.path}:${name}`;
    const entry = this.entries.includes(`${name}.npy`) ? `${name}.npy` : this.entries.includes(name) ? name : undefined;
    if (entry === undefined) {
      const arrays = this.arrays;
      throw new UserInputError(`${label}: no such array in the archive; it holds ${listNames(arrays)}.${didYouMean(name, arrays)}`);
    }
    let bytes: Uint8Array | undefined;
    try {
      bytes = unzipSync(this.bytes, { filter: (e) => e.name === entry })[entry];
    } catch (error) {
      throw new UserInputError(`${label}: damaged in the archive (${(error as Error).message})`);
    }
    const declared = this.crcs.get(entry);
    const actual = crc32(bytes) >>> 0;
    if (declared === undefined || declared !== actual) {
      throw new UserInputError(`${label}: damaged in the archive (CRC-32 ${actual.toString(16).padStart(8, '0')}, the archive says ${declared?.toString(16).padStart(8, '0') ?? 'nothing'}); write the .npz again`);
    }
    return parseNpy(bytes, label);
  }
}
