import type { Rng } from '@mmfuse/core';
import type { FailureDefinition, FailureTarget } from './failure-types';

/** Dimensions of an image sample, row-major HWC. */
export interface ImageDims {
  height: number;
  width: number;
  channels: number;
}

/** Dimensions of a series sample, `steps` rows of `channels` values. */
export interface SeriesDims {
  steps: number;
  channels: number;
}

interface FailureInfo {
  type: string;
  label: string;
  description: string;
}

function checkCall(info: FailureInfo, sample: Float32Array, shape: readonly number[], rank: number, severity: number): void {
  if (!(severity >= 0 && severity <= 1)) throw new RangeError(`${info.type}: severity must be in [0, 1], got ${severity}`);
  if (shape.length !== rank || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new RangeError(`${info.type}: expected a shape of ${rank} positive integers, got [${shape.join(', ')}]`);
  }
  const size = shape.reduce((a, b) => a * b, 1);
  if (sample.length !== size) throw new RangeError(`${info.type}: sample holds ${sample.length} values, shape [${shape.join(', ')}] needs ${size}`);
}

function define(info: FailureInfo, target: FailureTarget, apply: FailureDefinition['apply']): FailureDefinition {
  return Object.freeze({ ...info, target, apply });
}

/**
 * An image failure whose `corrupt` only sees valid arguments with severity > 0; its result is
 * clipped to [0, 1] so no failure can leave the image range.
 */
export function imageFailure(info: FailureInfo, corrupt: (image: Float32Array, dims: ImageDims, severity: number, rng: Rng) => void): FailureDefinition {
  return define(info, 'image', (sample, shape, severity, rng) => {
    checkCall(info, sample, shape, 3, severity);
    if (severity === 0) return;
    corrupt(sample, { height: shape[0], width: shape[1], channels: shape[2] }, severity, rng);
    for (let i = 0; i < sample.length; i++) sample[i] = clamp01(sample[i]);
  });
}

/** A series failure whose `corrupt` only sees valid arguments with severity > 0. */
export function seriesFailure(info: FailureInfo, corrupt: (series: Float32Array, dims: SeriesDims, severity: number, rng: Rng) => void): FailureDefinition {
  return define(info, 'series', (sample, shape, severity, rng) => {
    checkCall(info, sample, shape, 2, severity);
    if (severity === 0) return;
    corrupt(sample, { steps: shape[0], channels: shape[1] }, severity, rng);
  });
}

export function clamp01(value: number): number {
  // NaN-safe: a NaN becomes 0 rather than escaping the image range.
  return value > 0 ? (value < 1 ? value : 1) : 0;
}

export function uniform(rng: Rng, low: number, high: number): number {
  return low + (high - low) * rng();
}

/** An integer in [low, high], both inclusive. */
export function randomInt(rng: Rng, low: number, high: number): number {
  return low + Math.min(high - low, Math.floor(rng() * (high - low + 1)));
}

export function randomSign(rng: Rng): number {
  return rng() < 0.5 ? -1 : 1;
}

/** `count` distinct integers from [0, n), in random order (partial Fisher-Yates). */
export function distinctIndices(n: number, count: number, rng: Rng): number[] {
  const pool = Array.from({ length: n }, (_, i) => i);
  const take = Math.min(count, n);
  for (let i = 0; i < take; i++) {
    const j = i + Math.floor(rng() * (n - i));
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, take);
}
