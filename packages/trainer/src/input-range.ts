import { isSampleStore, ModalitySamples, MultimodalDataset, sampleSize, UserInputError } from '@mmfuse/core';

/**
 * Largest |value| a modality may hold: training squares errors in float32, whose largest finite
 * value (3.4e38) a squared error passes beyond |x| ≈ 1.8e19; a margin keeps the sums finite too.
 */
export const MAX_INPUT_MAGNITUDE = 1e15;

/** Samples of a store are checked up to this many (spread evenly), so a streamed dataset is not read twice. */
const STORE_SAMPLES_CHECKED = 256;

interface Extremes {
  min: number;
  max: number;
  /** Sample holding the value of largest magnitude. */
  sample: number;
}

function extremes(samples: ModalitySamples, size: number, count: number): Extremes {
  let min = Infinity;
  let max = -Infinity;
  let sample = 0;
  let largest = -1;
  const visit = (values: Float32Array, s: number) => {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v < min) min = v;
      if (v > max) max = v;
      if (Math.abs(v) > largest) {
        largest = Math.abs(v);
        sample = s;
      }
    }
  };
  if (isSampleStore(samples)) {
    const row = new Float32Array(size);
    const step = Math.max(1, Math.floor(count / STORE_SAMPLES_CHECKED));
    for (let s = 0; s < count; s += step) {
      samples.readSample(s, row, 0);
      visit(row, s);
    }
  } else {
    for (let s = 0; s < count; s++) visit(samples.subarray(s * size, (s + 1) * size), s);
  }
  return { min, max, sample };
}

/**
 * Checks each modality's values against what training can use: values whose squares overflow
 * float32 are an error (naming modality, split and sample); images outside 0..1, the range image
 * modalities are scaled to (8-bit data is divided by 255 when loaded), are a stated warning.
 * Returns the warnings.
 */
export function checkInputRange(data: MultimodalDataset): string[] {
  const warnings: string[] = [];
  for (const spec of data.modalities) {
    const size = sampleSize(spec);
    let min = Infinity;
    let max = -Infinity;
    for (const split of ['train', 'test'] as const) {
      const part = data[split];
      const samples = part.arrays[spec.name];
      if (!samples || part.size === 0) continue;
      const e = extremes(samples, size, part.size);
      const magnitude = Math.max(Math.abs(e.min), Math.abs(e.max));
      if (magnitude > MAX_INPUT_MAGNITUDE) {
        throw new UserInputError(
          `data: modality "${spec.name}" holds ${magnitude.toExponential(2)} (${split} sample ${e.sample}); training squares errors in float32, which overflow for values this large: standardise or rescale the data (|values| ≤ ${MAX_INPUT_MAGNITUDE.toExponential(0)})`,
        );
      }
      min = Math.min(min, e.min);
      max = Math.max(max, e.max);
    }
    if (spec.kind === 'image' && (min < -0.01 || max > 1.01)) {
      warnings.push(`modality "${spec.name}": image values range from ${+min.toPrecision(6)} to ${+max.toPrecision(6)}, not 0..1; 8-bit images are scaled on load, but float or 16-bit ones are used as stored: divide them by their full scale (e.g. 255 or 65535) unless this range is intended`);
    }
  }
  return warnings;
}
