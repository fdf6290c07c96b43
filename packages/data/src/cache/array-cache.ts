import { createHash } from 'crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'fs';
import { homedir } from 'os';
import { join, resolve } from 'path';
import { threadId } from 'worker_threads';
import { dump } from 'npyjs';
import { writeFileAtomic } from '@mmfuse/core';
import { readNpyHeader } from '../arrays/npy-stream';

/**
 * Arrays that are slow to make (simulated episodes, decoded video) are written once to disk, one
 * folder per entry keyed by everything that shapes them, as .npy files any tool can read, with the
 * SHA-256 of each recorded beside them. A folder appears only complete (written beside, then
 * renamed), so an interrupted run never leaves half an entry behind.
 */

/** Where entries are kept: $MMFUSE_CACHE_DIR, or ~/.cache/mmfuse/episodes ($XDG_CACHE_HOME respected). */
export function defaultCacheDirectory(): string {
  if (process.env.MMFUSE_CACHE_DIR) return resolve(process.env.MMFUSE_CACHE_DIR);
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'mmfuse', 'episodes');
}

/** A 24-hex-digit key from everything that shapes an entry (JSON of `parts`, in the order given). */
export function cacheKey(parts: Record<string, unknown>): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 24);
}

/** Arrays stored as float32 or, for 8-bit data such as video frames, as bytes. */
export type CachedArrayData = Float32Array | Uint8Array;

export interface CachedArray {
  readonly data: CachedArrayData;
  readonly shape: readonly number[];
}

const ENTRY_FILE = 'entry.json';
const MAX_ENTRY_JSON_BYTES = 16 * 2 ** 20;

interface EntryRecord<Meta> {
  sha256: Record<string, string>;
  shapes: Record<string, number[]>;
  meta: Meta;
}

export type CacheRead<Meta> =
  | { status: 'absent' }
  | { status: 'damaged'; file: string; why: string }
  | { status: 'ok'; meta: Meta; arrays: Record<string, CachedArray> };

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

export function cacheEntryFolder(directory: string, key: string): string {
  return join(directory, key);
}

/** The path of one array of an entry (for reading it row by row once the entry has been checked). */
export function cachedArrayFile(directory: string, key: string, name: string): string {
  return join(directory, key, `${name}.npy`);
}

/**
 * Reads an entry back, checking every array against its recorded SHA-256 and shape. With
 * `keep: false` the arrays are checked and dropped (for data read later from the files), so memory
 * holds one array at a time. A damaged entry is reported, never returned.
 */
export function readCacheEntry<Meta>(directory: string, key: string, names: readonly string[], keep = true): CacheRead<Meta> {
  const folder = cacheEntryFolder(directory, key);
  const entryFile = join(folder, ENTRY_FILE);
  if (!existsSync(entryFile)) return { status: 'absent' };
  let record: EntryRecord<Meta>;
  try {
    const bytes = readFileSync(entryFile);
    if (bytes.length > MAX_ENTRY_JSON_BYTES) return { status: 'damaged', file: entryFile, why: `${bytes.length} bytes, more than an entry record holds` };
    record = JSON.parse(bytes.toString('utf8')) as EntryRecord<Meta>;
  } catch (error) {
    return { status: 'damaged', file: entryFile, why: `not JSON: ${(error as Error).message.slice(0, 100)}` };
  }
  if (typeof record?.sha256 !== 'object' || typeof record?.shapes !== 'object' || record.sha256 === null || record.shapes === null) return { status: 'damaged', file: entryFile, why: 'no checksums or shapes' };
  const arrays: Record<string, CachedArray> = {};
  for (const name of names) {
    const file = join(folder, `${name}.npy`);
    if (!existsSync(file)) return { status: 'damaged', file, why: 'missing' };
    const bytes = readFileSync(file);
    if (typeof record.sha256[name] !== 'string' || sha256(bytes) !== record.sha256[name]) return { status: 'damaged', file, why: 'its SHA-256 does not match the one recorded when it was written' };
    const header = readNpyHeader(file);
    const shape = record.shapes[name];
    if (!Array.isArray(shape) || shape.join() !== header.shape.join() || !['f4', 'u1'].includes(header.dtype)) {
      return { status: 'damaged', file, why: `shape [${header.shape.join(', ')}] of ${header.dtype}, the entry records [${String(shape)}]` };
    }
    if (!keep) continue;
    const body = bytes.subarray(header.dataOffset);
    const length = shape.reduce((a, b) => a * b, 1);
    const data = header.dtype === 'u1' ? new Uint8Array(length) : new Float32Array(length);
    new Uint8Array(data.buffer).set(body.subarray(0, data.byteLength));
    arrays[name] = { data, shape };
  }
  return { status: 'ok', meta: record.meta, arrays };
}

/** Writes an entry in full, or not at all; a concurrent writer of the same key keeps its identical copy. */
export function writeCacheEntry(directory: string, key: string, arrays: Record<string, CachedArray>, meta: unknown): void {
  const folder = cacheEntryFolder(directory, key);
  const staging = `${folder}.partial-${process.pid}-${threadId}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const record: EntryRecord<unknown> = { sha256: {}, shapes: {}, meta };
  for (const [name, array] of Object.entries(arrays)) {
    const bytes = new Uint8Array(dump(array.data, [...array.shape]));
    writeFileAtomic(join(staging, `${name}.npy`), bytes);
    record.sha256[name] = sha256(bytes);
    record.shapes[name] = [...array.shape];
  }
  writeFileAtomic(join(staging, ENTRY_FILE), JSON.stringify(record));
  // A damaged entry read earlier is replaced.
  if (existsSync(folder) && !existsSync(join(folder, ENTRY_FILE))) rmSync(folder, { recursive: true, force: true });
  try {
    renameSync(staging, folder);
  } catch {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Removes an entry (a damaged one, before it is made again). */
export function removeCacheEntry(directory: string, key: string): void {
  rmSync(cacheEntryFolder(directory, key), { recursive: true, force: true });
}
