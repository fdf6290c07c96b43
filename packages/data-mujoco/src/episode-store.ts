import { closeSync, openSync, readSync } from 'fs';
import { join } from 'path';
import { SampleStore } from '@mmfuse/core';
import { readNpyHeader } from '@mmfuse/data';

/**
 * Reads float32 rows of the cached episodes' .npy files on demand, so a dataset larger than memory
 * trains a batch at a time. Keeps a bounded number of files open.
 */
export class NpyRowFiles {
  private readonly open = new Map<string, { fd: number; dataOffset: number }>();

  constructor(private readonly maxOpen = 64) {}

  private handle(file: string): { fd: number; dataOffset: number } {
    let entry = this.open.get(file);
    if (entry) {
      // Most recently used last, so the oldest is closed first.
      this.open.delete(file);
      this.open.set(file, entry);
      return entry;
    }
    // The header check also finds a cache file cut short.
    const { dataOffset } = readNpyHeader(file);
    entry = { fd: openSync(file, 'r'), dataOffset };
    this.open.set(file, entry);
    if (this.open.size > this.maxOpen) {
      const [oldest, old] = this.open.entries().next().value as [string, { fd: number }];
      closeSync(old.fd);
      this.open.delete(oldest);
    }
    return entry;
  }

  /** Reads `count` float32 values starting at value `first` of `file` into `out[offset…]`. */
  read(file: string, first: number, count: number, out: Float32Array, offset: number): void {
    const { fd, dataOffset } = this.handle(file);
    const bytes = count * 4;
    const got = readSync(fd, out, offset * 4, bytes, dataOffset + first * 4);
    if (got !== bytes) throw new Error(`${file}: ended after ${got} of ${bytes} bytes at value ${first}; the cached episode is damaged, delete it to simulate it again`);
  }

  close(): void {
    for (const { fd } of this.open.values()) closeSync(fd);
    this.open.clear();
  }
}

export type EpisodeArray = 'frames' | 'sensors' | 'radio';

/** Reads a stretch of one episode's array, wherever the episodes are kept. */
export interface EpisodeArrays {
  read(episode: number, array: EpisodeArray, first: number, count: number, out: Float32Array, offset: number): void;
}

/** Episodes held in memory. */
export class MemoryEpisodes implements EpisodeArrays {
  constructor(private readonly episodes: readonly Record<EpisodeArray, Float32Array>[]) {}

  read(episode: number, array: EpisodeArray, first: number, count: number, out: Float32Array, offset: number): void {
    out.set(this.episodes[episode][array].subarray(first, first + count), offset);
  }
}

/** Episodes in their cache folders, read on demand. */
export class FileEpisodes implements EpisodeArrays {
  private readonly files = new NpyRowFiles();

  constructor(private readonly folders: readonly string[]) {}

  read(episode: number, array: EpisodeArray, first: number, count: number, out: Float32Array, offset: number): void {
    this.files.read(join(this.folders[episode], `${array}.npy`), first, count, out, offset);
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
    private readonly array: EpisodeArray,
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
