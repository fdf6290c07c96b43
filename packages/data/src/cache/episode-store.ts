import { closeSync, openSync, readSync } from 'fs';
import { join } from 'path';
import { SampleStore } from '@mmfuse/core';
import { readNpyHeader } from '../arrays/npy-stream';

interface OpenFile {
  fd: number;
  dataOffset: number;
  /** Bytes per value: 4 for float32, 1 for uint8 (read as its integer value). */
  item: number;
}

/**
 * Reads stretches of cached .npy files (float32 or uint8) on demand, so a dataset larger than
 * memory trains a batch at a time. Keeps a bounded number of files open.
 */
export class NpyRowFiles {
  private readonly open = new Map<string, OpenFile>();
  private scratch = Buffer.alloc(0);

  constructor(private readonly maxOpen = 64) {}

  private handle(file: string): OpenFile {
    let entry = this.open.get(file);
    if (entry) {
      // Most recently used last, so the oldest is closed first.
      this.open.delete(file);
      this.open.set(file, entry);
      return entry;
    }
    // The header check also finds a cache file cut short.
    const { dataOffset, dtype } = readNpyHeader(file);
    if (dtype !== 'f4' && dtype !== 'u1') throw new Error(`${file}: a cached array of ${dtype}; only float32 and uint8 are written to the cache`);
    entry = { fd: openSync(file, 'r'), dataOffset, item: dtype === 'u1' ? 1 : 4 };
    this.open.set(file, entry);
    if (this.open.size > this.maxOpen) {
      const [oldest, old] = this.open.entries().next().value as [string, { fd: number }];
      closeSync(old.fd);
      this.open.delete(oldest);
    }
    return entry;
  }

  /** Reads `count` values starting at value `first` of `file` into `out[offset…]`. */
  read(file: string, first: number, count: number, out: Float32Array, offset: number): void {
    const { fd, dataOffset, item } = this.handle(file);
    const bytes = count * item;
    let got: number;
    if (item === 4) got = readSync(fd, out, offset * 4, bytes, dataOffset + first * 4);
    else {
      if (this.scratch.length < bytes) this.scratch = Buffer.alloc(bytes);
      got = readSync(fd, this.scratch, 0, bytes, dataOffset + first);
      for (let i = 0; i < got; i++) out[offset + i] = this.scratch[i];
    }
    if (got !== bytes) throw new Error(`${file}: ended after ${got} of ${bytes} bytes at value ${first}; the cache entry is damaged, delete it to make it again`);
  }

  close(): void {
    for (const { fd } of this.open.values()) closeSync(fd);
    this.open.clear();
  }
}

/** Reads a stretch of one episode's named array, wherever the episodes are kept. */
export interface EpisodeArrays {
  read(episode: number, array: string, first: number, count: number, out: Float32Array, offset: number): void;
}

/** Episodes held in memory (uint8 arrays are read as their integer values). */
export class MemoryEpisodes implements EpisodeArrays {
  constructor(private readonly episodes: ReadonlyArray<Readonly<Record<string, Float32Array | Uint8Array>>>) {}

  read(episode: number, array: string, first: number, count: number, out: Float32Array, offset: number): void {
    out.set(this.episodes[episode][array].subarray(first, first + count), offset);
  }
}

/** Episodes in cache files, read on demand: `files(episode, array)` names the .npy file. */
export class FileEpisodes implements EpisodeArrays {
  private readonly files = new NpyRowFiles();

  constructor(private readonly fileOf: (episode: number, array: string) => string) {}

  /** Episodes whose arrays are all in one folder each, as `<array>.npy`. */
  static inFolders(folders: readonly string[]): FileEpisodes {
    return new FileEpisodes((episode, array) => join(folders[episode], `${array}.npy`));
  }

  read(episode: number, array: string, first: number, count: number, out: Float32Array, offset: number): void {
    this.files.read(this.fileOf(episode, array), first, count, out, offset);
  }
}

/** Where one sample lives: its episode and the frame or first row it starts at. */
export interface SampleLocation {
  readonly episode: number;
  /** Index of the sample within its episode. */
  readonly local: number;
  readonly start: number;
}

/** One modality's samples of a split, read from the episodes and finished by `finish` (noise, standardisation). */
export class EpisodeSampleStore implements SampleStore {
  constructor(
    private readonly episodes: EpisodeArrays,
    private readonly array: string,
    private readonly locations: readonly SampleLocation[],
    readonly sampleSize: number,
    /** Values per unit of `start` (a frame's pixels, or a row's channels). */
    private readonly stride: number,
    private readonly finish?: (values: Float32Array, location: SampleLocation) => void,
  ) {}

  get samples(): number {
    return this.locations.length;
  }

  readSample(index: number, out: Float32Array, offset: number): void {
    const location = this.locations[index];
    this.episodes.read(location.episode, this.array, location.start * this.stride, this.sampleSize, out, offset);
    this.finish?.(out.subarray(offset, offset + this.sampleSize), location);
  }
}
