import { seededUniform } from './deterministic-random';
import { percentile } from './statistics';

/**
 * Percentile bootstrap confidence intervals (Efron & Tibshirani 1993, An Introduction to the
 * Bootstrap, ch. 13): the statistic on many resamples drawn with replacement, and the interval
 * between the (1 − level)/2 and (1 + level)/2 quantiles of those values. Seeded, so the same data
 * and seed give the same interval.
 */

export const BOOTSTRAP_RESAMPLES = 2000;

export interface BootstrapOptions {
  /** Resamples (default BOOTSTRAP_RESAMPLES). */
  resamples?: number;
  /** Coverage of the interval (default 0.95). */
  level?: number;
  seed?: number;
}

export interface BootstrapInterval {
  /** The statistic on the data themselves. */
  readonly estimate: number;
  readonly lower: number;
  readonly upper: number;
  readonly level: number;
  readonly resamples: number;
}

type TwoSampleStatistic = (a: Float64Array, b: Float64Array) => number;

/** Interval for statistic(a, b) of two independent samples: each is resampled on its own, keeping its size. */
export function bootstrapTwoSamples(a: ArrayLike<number>, b: ArrayLike<number>, statistic: TwoSampleStatistic, options: BootstrapOptions = {}): BootstrapInterval {
  if (a.length === 0 || b.length === 0) throw new RangeError('bootstrapTwoSamples: both samples need values');
  const first = Float64Array.from(a);
  const second = Float64Array.from(b);
  const resampledFirst = new Float64Array(first.length);
  const resampledSecond = new Float64Array(second.length);
  return bootstrap(statistic(first, second), options, (uniform) => {
    resample(first, resampledFirst, uniform);
    resample(second, resampledSecond, uniform);
    return statistic(resampledFirst, resampledSecond);
  });
}

/** Interval for statistic(a, b) of paired samples: pairs (a_i, b_i) are resampled together. */
export function bootstrapPairs(a: ArrayLike<number>, b: ArrayLike<number>, statistic: TwoSampleStatistic, options: BootstrapOptions = {}): BootstrapInterval {
  if (a.length !== b.length || a.length === 0) throw new RangeError(`bootstrapPairs: needs paired samples of equal, non-zero length, got ${a.length} and ${b.length}`);
  const first = Float64Array.from(a);
  const second = Float64Array.from(b);
  const resampledFirst = new Float64Array(first.length);
  const resampledSecond = new Float64Array(second.length);
  return bootstrap(statistic(first, second), options, (uniform) => {
    for (let i = 0; i < first.length; i++) {
      const j = Math.floor(uniform() * first.length);
      resampledFirst[i] = first[j];
      resampledSecond[i] = second[j];
    }
    return statistic(resampledFirst, resampledSecond);
  });
}

function resample(from: Float64Array, into: Float64Array, uniform: () => number): void {
  for (let i = 0; i < into.length; i++) into[i] = from[Math.floor(uniform() * from.length)];
}

function bootstrap(estimate: number, options: BootstrapOptions, draw: (uniform: () => number) => number): BootstrapInterval {
  const resamples = options.resamples ?? BOOTSTRAP_RESAMPLES;
  const level = options.level ?? 0.95;
  if (!(level > 0 && level < 1)) throw new RangeError(`bootstrap: level must be between 0 and 1, got ${level}`);
  if (!Number.isInteger(resamples) || resamples < 1) throw new RangeError(`bootstrap: resamples must be a positive integer, got ${resamples}`);
  const uniform = seededUniform(options.seed ?? 0);
  const values: number[] = [];
  for (let r = 0; r < resamples; r++) {
    const value = draw(uniform);
    // A statistic undefined on a resample (e.g. a ratio of two zero spreads) says nothing about the interval.
    if (!Number.isNaN(value)) values.push(value);
  }
  if (values.length === 0) return { estimate, lower: NaN, upper: NaN, level, resamples };
  const tail = (100 * (1 - level)) / 2;
  return { estimate, lower: percentile(values, tail), upper: percentile(values, 100 - tail), level, resamples };
}
