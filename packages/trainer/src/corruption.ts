import { normal, Rng } from '@mmfuse/core';
import type { CorruptionConfig } from '@mmfuse/config';

/**
 * Corrupts a batch of one modality in place (`samples` blocks of `sampleSize` values): each
 * sample is hit with probability `probability` by Gaussian noise of std `level`, by zeroing a
 * share `level` of its values, or by blanking it entirely.
 */
export function corruptBatch(batch: Float32Array, samples: number, corruption: CorruptionConfig, rng: Rng): void {
  const sampleSize = batch.length / samples;
  for (let s = 0; s < samples; s++) {
    if (rng() >= corruption.probability) continue;
    const start = s * sampleSize;
    const end = start + sampleSize;
    switch (corruption.kind) {
      case 'gaussian':
        for (let i = start; i < end; i++) batch[i] += corruption.level * normal(rng);
        break;
      case 'dropout':
        for (let i = start; i < end; i++) if (rng() < corruption.level) batch[i] = 0;
        break;
      case 'blank':
        batch.fill(0, start, end);
        break;
    }
  }
}
