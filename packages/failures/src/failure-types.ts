import type { Rng } from '@mmfuse/core';

/** The kind of sample a failure corrupts: an image `[H, W, C]` or a series `[L, n]`. */
export type FailureTarget = 'image' | 'series';

/**
 * One kind of sensor failure. Images are row-major HWC float32 in [0, 1] and stay in [0, 1];
 * series are row-major `L × n` float32 (standardised values).
 */
export interface FailureDefinition {
  /** Kebab-case id used in configs, e.g. 'gaussian-blur'. */
  readonly type: string;
  /** Which modality kind it applies to. */
  readonly target: FailureTarget;
  /** Short human label, e.g. 'Gaussian blur'. */
  readonly label: string;
  /** One line: what it does, with its parameters at severity 1. */
  readonly description: string;
  /**
   * Corrupts one sample in place. `shape` is `[H, W, C]` for images and `[L, n]` for series;
   * severity 0 leaves the sample bit-identical and 1 is the strongest setting.
   */
  apply(sample: Float32Array, shape: readonly number[], severity: number, rng: Rng): void;
}
