import { normal, Rng } from '@mmfuse/core';
import { distinctIndices, randomInt, randomSign, seriesFailure, SeriesDims, uniform } from './failure-support';
import type { FailureDefinition } from './failure-types';

/*
 * Series failures on a row-major `L × n` window (index t·n + c) of standardised values, so
 * amplitudes below are in units of a channel's standard deviation. The first six follow the
 * reference set of Altinses et al. (IECON 2023); the rest model faults of real sensor and radio
 * (CSI) channels.
 */

/** Maximum ratio between the fastest and slowest local speed of a time warp (tsaug's default). */
const MAX_WARP_SPEED_RATIO = 3;
const WARP_SPEED_KNOTS = 5;
const NOISE_STD = 0.9;
const TREND_MIN = 0.1;
const TREND_MAX = 0.6;
const CUTOUT_MIN_STEPS = 5;
const CUTOUT_MAX_STEPS = 25;
const MAX_SCALE_FACTOR = 3;
const SPIKE_SHARE = 0.02;
const SPIKE_MIN = 4;
const SPIKE_MAX = 8;
const INTERFERENCE_AMPLITUDE = 3;

/** x(position) for a fractional row position in [0, L − 1], linearly interpolated. */
function interpolateRow(source: Float32Array, dims: SeriesDims, position: number, channel: number): number {
  const below = Math.min(Math.floor(position), dims.steps - 1);
  if (below >= dims.steps - 1) return source[(dims.steps - 1) * dims.channels + channel];
  const fraction = position - below;
  const a = source[below * dims.channels + channel];
  const b = source[(below + 1) * dims.channels + channel];
  return a + (b - a) * fraction;
}

/**
 * A smooth, strictly increasing map of [0, L − 1] onto itself: the local speed is drawn at a few
 * knots (log-uniform up to `maxRatio`) and cosine-interpolated in between, then integrated.
 */
export function randomTimeWarp(steps: number, maxRatio: number, rng: Rng): Float64Array {
  const speeds = Array.from({ length: WARP_SPEED_KNOTS }, () => Math.pow(maxRatio, rng()));
  const speedAt = (t: number) => {
    const knot = (t / Math.max(steps - 1, 1)) * (WARP_SPEED_KNOTS - 1);
    const k = Math.min(Math.floor(knot), WARP_SPEED_KNOTS - 2);
    const blend = (1 - Math.cos(Math.PI * (knot - k))) / 2;
    return speeds[k] * (1 - blend) + speeds[k + 1] * blend;
  };
  const warp = new Float64Array(steps);
  for (let t = 1; t < steps; t++) warp[t] = warp[t - 1] + (speedAt(t - 1) + speedAt(t)) / 2;
  const scale = (steps - 1) / warp[steps - 1];
  for (let t = 1; t < steps - 1; t++) warp[t] *= scale;
  // Set exactly, so the end points of the window never move.
  warp[steps - 1] = steps - 1;
  return warp;
}

const timeWarp = seriesFailure(
  {
    type: 'time-warp',
    label: 'Time warp',
    description: `Smooth monotone random time remapping (local speed varies up to ${MAX_WARP_SPEED_RATIO}:1 across ${WARP_SPEED_KNOTS} knots), linear interpolation; end points kept.`,
  },
  (series, dims, severity, rng) => {
    if (dims.steps < 3) return;
    const warp = randomTimeWarp(dims.steps, 1 + (MAX_WARP_SPEED_RATIO - 1) * severity, rng);
    const source = series.slice();
    for (let t = 0; t < dims.steps; t++) {
      for (let c = 0; c < dims.channels; c++) series[t * dims.channels + c] = interpolateRow(source, dims, warp[t], c);
    }
  },
);

const gaussianNoise = seriesFailure(
  { type: 'gaussian-noise', label: 'Gaussian noise', description: `Additive white Gaussian noise of std ${NOISE_STD} on every value.` },
  (series, _dims, severity, rng) => {
    const std = NOISE_STD * severity;
    for (let i = 0; i < series.length; i++) series[i] += std * normal(rng);
  },
);

const linearTrend = seriesFailure(
  {
    type: 'linear-trend',
    label: 'Linear trend',
    description: `Per channel adds bias + slope·t/(L−1), |slope| and |bias| uniform in [${TREND_MIN}, ${TREND_MAX}] with random signs (a drift over the window).`,
  },
  (series, dims, severity, rng) => {
    // Time is normalised to [0, 1] over the window so the drift does not grow with L.
    const span = Math.max(dims.steps - 1, 1);
    for (let c = 0; c < dims.channels; c++) {
      const slope = randomSign(rng) * uniform(rng, TREND_MIN, TREND_MAX) * severity;
      const bias = randomSign(rng) * uniform(rng, TREND_MIN, TREND_MAX) * severity;
      for (let t = 0; t < dims.steps; t++) series[t * dims.channels + c] += bias + (slope * t) / span;
    }
  },
);

const timeCutout = seriesFailure(
  {
    type: 'time-cutout',
    label: 'Time cutout',
    description: `One block of ${CUTOUT_MIN_STEPS}–${CUTOUT_MAX_STEPS} consecutive steps (all channels) set to zero, clipped to L; the length range scales with severity.`,
  },
  (series, dims, severity, rng) => {
    const shortest = Math.max(1, Math.round(CUTOUT_MIN_STEPS * severity));
    const longest = Math.max(shortest, Math.round(CUTOUT_MAX_STEPS * severity));
    const length = Math.min(dims.steps, randomInt(rng, shortest, longest));
    const start = randomInt(rng, 0, dims.steps - length);
    series.fill(0, start * dims.channels, (start + length) * dims.channels);
  },
);

const flip = seriesFailure(
  {
    type: 'flip',
    label: 'Flip',
    description: 'Sign flip: x → −x on a random share `severity` of the channels (at least one; all of them at severity 1).',
  },
  (series, dims, severity, rng) => {
    // A sign flip has no partial strength, so severity sets how many channels are inverted.
    const flipped = distinctIndices(dims.channels, Math.max(1, Math.round(severity * dims.channels)), rng);
    for (const c of flipped) for (let t = 0; t < dims.steps; t++) series[t * dims.channels + c] = -series[t * dims.channels + c];
  },
);

const channelScaling = seriesFailure(
  {
    type: 'channel-scaling',
    label: 'Channel scaling',
    description: `Each channel multiplied by its own random gain, log-uniform in [1/${MAX_SCALE_FACTOR}, ${MAX_SCALE_FACTOR}] (a gain or calibration fault).`,
  },
  (series, dims, severity, rng) => {
    const logRange = Math.log(1 + (MAX_SCALE_FACTOR - 1) * severity);
    for (let c = 0; c < dims.channels; c++) {
      const gain = Math.exp(uniform(rng, -logRange, logRange));
      for (let t = 0; t < dims.steps; t++) series[t * dims.channels + c] *= gain;
    }
  },
);

const spikes = seriesFailure(
  {
    type: 'spikes',
    label: 'Spikes',
    description: `Sparse impulses: ${SPIKE_SHARE * 100}% of the values (at least one) get ±${SPIKE_MIN}–${SPIKE_MAX} added (glitches, EMI, bit errors).`,
  },
  (series, _dims, severity, rng) => {
    const count = Math.max(1, Math.round(SPIKE_SHARE * severity * series.length));
    for (const i of distinctIndices(series.length, count, rng)) series[i] += randomSign(rng) * uniform(rng, SPIKE_MIN, SPIKE_MAX) * severity;
  },
);

const stuckAt = seriesFailure(
  {
    type: 'stuck-at',
    label: 'Stuck sensor',
    description: 'A quarter of the channels (at least one) freeze at their value from a random step on, for the last 50–100% of the window.',
  },
  (series, dims, severity, rng) => {
    if (dims.steps < 2) return;
    const stuck = distinctIndices(dims.channels, Math.max(1, Math.round((severity * dims.channels) / 4)), rng);
    for (const c of stuck) {
      const frozenSteps = Math.max(1, Math.round(severity * uniform(rng, 0.5, 1) * (dims.steps - 1)));
      const from = dims.steps - 1 - frozenSteps;
      const value = series[from * dims.channels + c];
      for (let t = from + 1; t < dims.steps; t++) series[t * dims.channels + c] = value;
    }
  },
);

const timeLag = seriesFailure(
  {
    type: 'time-lag',
    label: 'Time lag',
    description: 'Half of the channels (at least one) delayed by the same 1 to L/4 steps, the first value repeated at the start (a clock or buffering fault).',
  },
  (series, dims, severity, rng) => {
    if (dims.steps < 2) return;
    const lag = randomInt(rng, 1, Math.max(1, Math.round((severity * dims.steps) / 4)));
    const delayed = distinctIndices(dims.channels, Math.max(1, Math.round((severity * dims.channels) / 2)), rng);
    for (const c of delayed) {
      // Backwards, so every read still sees the undelayed value.
      for (let t = dims.steps - 1; t >= 0; t--) series[t * dims.channels + c] = series[Math.max(0, t - lag) * dims.channels + c];
    }
  },
);

const subcarrierLoss = seriesFailure(
  {
    type: 'subcarrier-loss',
    label: 'Subcarrier loss',
    description: '1–3 blocks of adjacent channels (each 5–15% of the channels, at least one) zeroed for the whole window (lost CSI subcarriers).',
  },
  (series, dims, severity, rng) => {
    const blocks = randomInt(rng, 1, 3);
    for (let b = 0; b < blocks; b++) {
      const width = Math.min(dims.channels, Math.max(1, Math.round(severity * uniform(rng, 0.05, 0.15) * dims.channels)));
      const first = randomInt(rng, 0, dims.channels - width);
      for (let t = 0; t < dims.steps; t++) series.fill(0, t * dims.channels + first, t * dims.channels + first + width);
    }
  },
);

/** A Hann bump over `length` points that is positive at both ends. */
function taper(index: number, length: number): number {
  return Math.sin((Math.PI * (index + 1)) / (length + 1)) ** 2;
}

const radioInterference = seriesFailure(
  {
    type: 'radio-interference',
    label: 'Radio interference',
    description: `Narrow-band burst: a band of 5–20% adjacent channels gets a tapered sinusoid plus noise of amplitude ${INTERFERENCE_AMPLITUDE} added over 25–75% of the window.`,
  },
  (series, dims, severity, rng) => {
    const bandWidth = Math.min(dims.channels, Math.max(1, Math.round(uniform(rng, 0.05, 0.2) * dims.channels)));
    const firstChannel = randomInt(rng, 0, dims.channels - bandWidth);
    const duration = Math.min(dims.steps, Math.max(1, Math.round(uniform(rng, 0.25, 0.75) * dims.steps)));
    const firstStep = randomInt(rng, 0, dims.steps - duration);
    const cyclesPerStep = uniform(rng, 0.05, 0.25);
    const amplitude = INTERFERENCE_AMPLITUDE * severity;
    for (let b = 0; b < bandWidth; b++) {
      const c = firstChannel + b;
      const phase = uniform(rng, 0, 2 * Math.PI);
      for (let k = 0; k < duration; k++) {
        const t = firstStep + k;
        const carrier = Math.sin(2 * Math.PI * cyclesPerStep * t + phase) + 0.5 * normal(rng);
        series[t * dims.channels + c] += amplitude * taper(b, bandWidth) * taper(k, duration) * carrier;
      }
    }
  },
);

export const SERIES_FAILURES: readonly FailureDefinition[] = [
  timeWarp,
  gaussianNoise,
  linearTrend,
  timeCutout,
  flip,
  channelScaling,
  spikes,
  stuckAt,
  timeLag,
  subcarrierLoss,
  radioInterference,
];
