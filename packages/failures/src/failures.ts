import { didYouMean, Rng, UserInputError } from '@mmfuse/core';
import type { FailureDefinition, FailureTarget } from './failure-types';
import { IMAGE_FAILURES } from './image-failures';
import { SERIES_FAILURES } from './series-failures';

/** Every known failure: series first, then images. */
export const FAILURES: readonly FailureDefinition[] = Object.freeze([...SERIES_FAILURES, ...IMAGE_FAILURES]);

/** Types of the known failures, optionally only those for one target. */
export function failureTypes(target?: FailureTarget): string[] {
  return FAILURES.filter((f) => target === undefined || f.target === target).map((f) => f.type);
}

/** The failure with this type; an unknown type is a user error naming the known ones. */
export function failureByType(type: string): FailureDefinition {
  const failure = FAILURES.find((f) => f.type === type);
  if (failure) return failure;
  const known = failureTypes();
  throw new UserInputError(`Unknown failure type "${type}".${didYouMean(type, known)} Known failure types: ${known.join(', ')}.`);
}

function sampleSize(batch: Float32Array, count: number, shape: readonly number[]): number {
  const size = shape.reduce((a, b) => a * b, 1);
  if (!Number.isInteger(count) || count < 0 || count * size > batch.length) {
    throw new RangeError(`batch holds ${batch.length} values, too few for ${count} samples of shape [${shape.join(', ')}]`);
  }
  return size;
}

/** Applies one failure to samples [0, count) of a batch laid out row-major (sample after sample). */
export function applyFailureToBatch(batch: Float32Array, count: number, shape: readonly number[], failure: FailureDefinition, severity: number, rng: Rng): void {
  const size = sampleSize(batch, count, shape);
  for (let s = 0; s < count; s++) failure.apply(batch.subarray(s * size, (s + 1) * size), shape, severity, rng);
}

/**
 * The reference protocol (Altinses et al., IECON 2023): each sample gets one failure drawn
 * uniformly from `types` (default: every failure for `target`). Returns, per sample, the index
 * into `types` of the failure it got, so samples can be labelled.
 */
export function applyRandomFailures(
  batch: Float32Array,
  count: number,
  shape: readonly number[],
  target: FailureTarget,
  severity: number,
  rng: Rng,
  types: readonly string[] = failureTypes(target),
): Int32Array {
  if (types.length === 0) throw new UserInputError(`No failure types given for ${target} samples.`);
  const failures = types.map((type) => {
    const failure = failureByType(type);
    if (failure.target !== target) throw new UserInputError(`Failure "${type}" corrupts ${failure.target} samples and cannot be applied to ${target} samples; ${target} failures: ${failureTypes(target).join(', ')}.`);
    return failure;
  });
  const size = sampleSize(batch, count, shape);
  const chosen = new Int32Array(count);
  for (let s = 0; s < count; s++) {
    chosen[s] = Math.min(failures.length - 1, Math.floor(rng() * failures.length));
    failures[chosen[s]].apply(batch.subarray(s * size, (s + 1) * size), shape, severity, rng);
  }
  return chosen;
}
