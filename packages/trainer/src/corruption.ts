import { ModalitySpec, normal, Rng, UserInputError } from '@mmfuse/core';
import type { CorruptionConfig } from '@mmfuse/config';
import { FailureDefinition, failureByType, failureTypes } from '@mmfuse/failures';

/** The failures a `failures` corruption draws from for a modality, checked against its kind. */
export function corruptionFailures(corruption: CorruptionConfig, spec: ModalitySpec, path: string): FailureDefinition[] {
  if (spec.kind === 'vector') throw new UserInputError(`${path}.kind: "failures" apply to image and series modalities; "${spec.name}" is a vector`);
  if (corruption.level > 1) throw new UserInputError(`${path}.level: ${corruption.level} is a failure severity and must lie in [0, 1]`);
  const types = corruption.failures ?? failureTypes(spec.kind);
  return types.map((type, j) => {
    let failure: FailureDefinition;
    try {
      failure = failureByType(type);
    } catch (error) {
      throw new UserInputError(`${path}.failures[${j}]: ${(error as Error).message}`);
    }
    if (failure.target !== spec.kind) throw new UserInputError(`${path}.failures[${j}]: "${type}" is a failure of ${failure.target} data, and "${spec.name}" holds ${spec.kind} data`);
    return failure;
  });
}

/**
 * Corrupts a batch of one modality in place (`samples` blocks of `sampleSize` values): each
 * sample is hit with probability `probability` by Gaussian noise of std `level`, by zeroing a
 * share `level` of its values, by blanking it entirely, or by one failure drawn from `failures`
 * at severity `level` (the reference protocol of the paper's failure set).
 */
export function corruptBatch(batch: Float32Array, samples: number, corruption: CorruptionConfig, rng: Rng, spec?: ModalitySpec, failures?: readonly FailureDefinition[]): void {
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
      case 'failures': {
        if (!spec || !failures?.length) throw new Error('failure corruption needs the modality and its failures');
        const failure = failures[Math.floor(rng() * failures.length)];
        failure.apply(batch.subarray(start, end), spec.shape, corruption.level, rng);
        break;
      }
    }
  }
}
