import type { SampleStore } from '@mmfuse/core';

/**
 * Transforms shared by data sources. Arrays are row-major float32: a series of `steps` rows of
 * `channels` values; a set of samples is `count` consecutive blocks of equal size.
 */

/** Number of windows of length `length` taken every `step` rows from `steps` rows. */
export function windowCount(steps: number, length: number, step: number): number {
  return steps < length ? 0 : Math.floor((steps - length) / step) + 1;
}

/**
 * Overlapping windows of a series: window k holds rows k·step … k·step + length − 1, so the
 * sample count drops by length − 1 (for step 1) and each window ends at row k·step + length − 1.
 */
export function slidingWindows(series: Float32Array, steps: number, channels: number, length: number, step = 1): Float32Array {
  if (series.length !== steps * channels) throw new RangeError(`series holds ${series.length} values, expected ${steps} × ${channels}`);
  const count = windowCount(steps, length, step);
  const out = new Float32Array(count * length * channels);
  for (let k = 0; k < count; k++) out.set(series.subarray(k * step * channels, (k * step + length) * channels), k * length * channels);
  return out;
}

/**
 * Per-channel mean and standard deviation accumulated block by block in two passes (first every
 * block for the mean, then every block again for the spread), so data that never sit in memory at
 * once get exactly the statistics `channelStatistics` gives for their concatenation.
 */
export class StreamingChannelStatistics {
  private readonly sum: Float64Array;
  private readonly squares: Float64Array;
  private rows = 0;
  private mean?: Float64Array;

  constructor(readonly channels: number) {
    this.sum = new Float64Array(channels);
    this.squares = new Float64Array(channels);
  }

  /** First pass: every block, in order. */
  addToMean(block: Float32Array): void {
    const channels = this.channels;
    const rows = block.length / channels;
    for (let r = 0; r < rows; r++) for (let c = 0; c < channels; c++) this.sum[c] += block[r * channels + c];
    this.rows += rows;
  }

  /** Second pass: the same blocks, in the same order. */
  addToSpread(block: Float32Array): void {
    const channels = this.channels;
    if (!this.mean) this.mean = this.sum.map((s) => s / Math.max(this.rows, 1));
    const mean = this.mean;
    const rows = block.length / channels;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < channels; c++) {
        const d = block[r * channels + c] - mean[c];
        this.squares[c] += d * d;
      }
    }
  }

  result(): { mean: Float64Array; std: Float64Array } {
    const mean = this.mean ?? this.sum.map((s) => s / Math.max(this.rows, 1));
    // A constant channel keeps scale 1 rather than dividing by zero.
    const std = this.squares.map((q) => Math.sqrt(q / Math.max(this.rows, 1)) || 1);
    return { mean, std };
  }
}

/** Per-channel mean and standard deviation over every row of `data` (rows of `channels` values). */
export function channelStatistics(data: Float32Array, channels: number): { mean: Float64Array; std: Float64Array } {
  const statistics = new StreamingChannelStatistics(channels);
  statistics.addToMean(data);
  statistics.addToSpread(data);
  return statistics.result();
}

/** `channelStatistics` of every sample of a store, read one sample at a time (twice). */
export function storeChannelStatistics(store: SampleStore, channels: number): { mean: Float64Array; std: Float64Array } {
  const statistics = new StreamingChannelStatistics(channels);
  const sample = new Float32Array(store.sampleSize);
  for (const pass of [0, 1]) {
    for (let i = 0; i < store.samples; i++) {
      store.readSample(i, sample, 0);
      if (pass === 0) statistics.addToMean(sample);
      else statistics.addToSpread(sample);
    }
  }
  return statistics.result();
}

/** (x − mean) / std per channel, in place; statistics come from the training split only. */
export function standardize(data: Float32Array, channels: number, stats: { mean: ArrayLike<number>; std: ArrayLike<number> }): Float32Array {
  for (let i = 0; i < data.length; i++) {
    const c = i % channels;
    data[i] = (data[i] - stats.mean[c]) / stats.std[c];
  }
  return data;
}

/**
 * Splits episode indices 0..episodes−1 into train and test (the last `round(testFraction ·
 * episodes)` of a seeded shuffle), so that no window crosses from one split to the other.
 */
export function splitEpisodes(episodes: number, testFraction: number, shuffled: ArrayLike<number>): { train: number[]; test: number[] } {
  const testCount = Math.min(episodes - 1, Math.max(1, Math.round(testFraction * episodes)));
  const order = Array.from(shuffled);
  return { train: order.slice(0, episodes - testCount).sort((a, b) => a - b), test: order.slice(episodes - testCount).sort((a, b) => a - b) };
}

/** Concatenates equally shaped blocks into one array. */
export function concatBlocks(blocks: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(blocks.reduce((n, b) => n + b.length, 0));
  let offset = 0;
  for (const block of blocks) {
    out.set(block, offset);
    offset += block.length;
  }
  return out;
}

/** Index of the last of the sorted `times` at or before `t`, or −1 when `t` precedes them all (binary search). */
export function lastAtOrBefore(times: ArrayLike<number>, t: number): number {
  let lo = -1;
  let hi = times.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (times[mid] <= t) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
