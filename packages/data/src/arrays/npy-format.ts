import { existsSync, readFileSync } from 'fs';
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

/**
 * A `.npz` archive as numpy.savez (stored) or numpy.savez_compressed (deflated) writes it: a zip
 * with one `<name>.npy` entry per array. Entries are inflated only when read.
 */
export class NpzArchive {
  private constructor(
    readonly path: string,
    private readonly bytes: Uint8Array,
    private readonly entries: readonly string[],
  ) {}

  static open(path: string): NpzArchive {
    if (!existsSync(path)) throw new UserInputError(`${path}: missing`);
    const bytes = readFileSync(path);
    const entries: string[] = [];
    try {
      // A filter that declines every entry lists the central directory without inflating anything.
      unzipSync(bytes, {
        filter: (entry) => {
          entries.push(entry.name);
          return false;
        },
      });
    } catch (error) {
      throw new UserInputError(`${path}: not a readable .npz archive (${(error as Error).message})`);
    }
    return new NpzArchive(path, bytes, entries);
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
    return parseNpy(bytes, label);
  }
}
