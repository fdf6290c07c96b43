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

/** Per-channel mean and standard deviation over every row of `data` (rows of `channels` values). */
export function channelStatistics(data: Float32Array, channels: number): { mean: Float64Array; std: Float64Array } {
  const rows = data.length / channels;
  const mean = new Float64Array(channels);
  const std = new Float64Array(channels);
  for (let r = 0; r < rows; r++) for (let c = 0; c < channels; c++) mean[c] += data[r * channels + c];
  for (let c = 0; c < channels; c++) mean[c] /= Math.max(rows, 1);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < channels; c++) {
      const d = data[r * channels + c] - mean[c];
      std[c] += d * d;
    }
  }
  // A constant channel keeps scale 1 rather than dividing by zero.
  for (let c = 0; c < channels; c++) std[c] = Math.sqrt(std[c] / Math.max(rows, 1)) || 1;
  return { mean, std };
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
