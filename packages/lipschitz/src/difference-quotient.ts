import * as tf from '@tensorflow/tfjs-core';
import { createRng, deriveSeed } from '@mmfuse/core';
import { COMMON_ESTIMATOR_PROPERTIES, CommonEstimatorOptions, Estimator, samplesUsed } from './estimator';
import { chunkedApply, chunkedVjp } from './jacobian-products';
import type { LipschitzResult } from './lipschitz-result';
import type { LipschitzTarget } from './lipschitz-target';
import { gaussianTensor, unitRows } from './random-tensors';
import { maxOf, meanOf, normalizeRows, repeatRows, rowNorms, sliceRows } from './row-ops';

/**
 * - `nearby`: each sample against `pairs` perturbed copies at relative distance `radius`;
 * - `between-samples`: every pair of distinct samples (one forward pass, the global scale).
 */
export type PairingMode = 'nearby' | 'between-samples';

/** Direction of the perturbation: uniform on the sphere, or along Jᵀg for a Gaussian g (one VJP, much sharper). */
export type PerturbationDirection = 'random' | 'gradient';

export interface DifferenceQuotientOptions extends CommonEstimatorOptions {
  type: 'difference-quotient';
  pairing: PairingMode;
  /** Perturbed copies per sample (nearby pairing). */
  pairs: number;
  /** ‖x − y‖ = radius · ‖x‖ (radius itself when x = 0). */
  radius: number;
  direction: PerturbationDirection;
}

export const DIFFERENCE_QUOTIENT_DEFAULTS: Omit<DifferenceQuotientOptions, 'type'> = { pairing: 'nearby', pairs: 2, radius: 0.01, direction: 'random', samples: 0, seed: 0 };

export const DIFFERENCE_QUOTIENT_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    type: { const: 'difference-quotient', description: 'Max of ‖f(x) − f(y)‖ / ‖x − y‖ over sampled pairs: the plainest lower bound of the l2 Lipschitz constant.' },
    pairing: { enum: ['nearby', 'between-samples'], default: DIFFERENCE_QUOTIENT_DEFAULTS.pairing, description: 'nearby = each sample against perturbed copies of itself; between-samples = every pair of distinct samples.' },
    pairs: { type: 'integer', minimum: 1, maximum: 10000, default: DIFFERENCE_QUOTIENT_DEFAULTS.pairs, description: 'Perturbed copies per sample (nearby pairing).' },
    radius: { type: 'number', exclusiveMinimum: 0, maximum: 10, default: DIFFERENCE_QUOTIENT_DEFAULTS.radius, description: 'Distance of a perturbed copy relative to the sample\'s norm.' },
    direction: { enum: ['random', 'gradient'], default: DIFFERENCE_QUOTIENT_DEFAULTS.direction, description: 'random = uniform direction; gradient = along Jᵀg for a Gaussian g (one VJP per copy, a much sharper bound).' },
    ...COMMON_ESTIMATOR_PROPERTIES,
  },
};

/** Any pair gives ‖f(x) − f(y)‖ ≤ L‖x − y‖, so every quotient is a lower bound of the l2 constant L. */
export class DifferenceQuotientEstimator implements Estimator {
  readonly type = 'difference-quotient' as const;
  readonly options: DifferenceQuotientOptions;

  constructor(options: Partial<DifferenceQuotientOptions> = {}) {
    this.options = { ...DIFFERENCE_QUOTIENT_DEFAULTS, ...options, type: 'difference-quotient' };
  }

  async estimate(target: LipschitzTarget, samples: tf.Tensor2D, seed = 0): Promise<LipschitzResult> {
    const started = performance.now();
    const n = samplesUsed(samples, this.options.samples);
    const x = sliceRows(samples, 0, n);
    const values = this.options.pairing === 'nearby' ? await this.nearby(target, x, createRng(deriveSeed(seed, this.options.seed, this.type, target.name))) : await this.betweenSamples(target, x);
    x.dispose();
    const { pairing, pairs, radius, direction } = this.options;
    return {
      estimator: this.type,
      quantity: 'difference-quotient',
      bound: 'lower',
      of: `the l2 Lipschitz constant of ${target.name}`,
      relation: '‖f(x) − f(y)‖/‖x − y‖ ≤ L for every pair: a lower bound of L',
      value: maxOf(values),
      mean: meanOf(values),
      perSample: values,
      samples: values.length,
      seconds: (performance.now() - started) / 1000,
      method:
        pairing === 'nearby'
          ? `${pairs} ${direction === 'gradient' ? 'gradient-direction' : 'random-direction'} perturbation${pairs === 1 ? '' : 's'} per sample at relative distance ${radius}`
          : `all ${values.length} pairs of distinct samples`,
      norm: target.norm,
    };
  }

  reset(): void {
    // no state
  }

  private async nearby(target: LipschitzTarget, x: tf.Tensor2D, rng: ReturnType<typeof createRng>): Promise<number[]> {
    const { pairs, radius, direction } = this.options;
    const base = repeatRows(x, pairs);
    const rows = base.shape[0];
    let unit: tf.Tensor2D;
    if (direction === 'gradient') {
      const g = gaussianTensor(rng, [rows, target.outputSize]) as tf.Tensor2D;
      const back = chunkedVjp(target, base, g);
      const fallback = unitRows(rng, rows, target.inputSize);
      unit = await normalizeRows(back, fallback);
      tf.dispose([g, back, fallback]);
    } else {
      unit = unitRows(rng, rows, target.inputSize);
    }
    const scales = (await rowNorms(base)).map((norm) => radius * (norm > 0 ? norm : 1));
    const moved = tf.tidy(() => tf.add(base, tf.mul(unit, tf.tensor2d(scales, [rows, 1]))) as tf.Tensor2D);
    const both = tf.concat([base, moved], 0);
    const out = chunkedApply(target, both);
    const ratios = tf.tidy(() => {
      const df = tf.sub(sliceRows(out, 0, rows), sliceRows(out, rows, 2 * rows));
      const dx = tf.sub(base, moved);
      return [tf.sqrt(tf.sum(tf.square(df), 1)), tf.sqrt(tf.sum(tf.square(dx), 1))];
    });
    const num = await ratios[0].data();
    const den = await ratios[1].data();
    tf.dispose([base, unit, moved, both, out, ...ratios]);
    // The distance actually realised in float32, not the one asked for.
    return Array.from(num, (v, i) => (den[i] > 0 ? v / den[i] : 0));
  }

  private async betweenSamples(target: LipschitzTarget, x: tf.Tensor2D): Promise<number[]> {
    const out = chunkedApply(target, x);
    const inputs = await x.array();
    const outputs = await out.array();
    out.dispose();
    const values: number[] = [];
    for (let i = 0; i < inputs.length; i++) {
      for (let j = i + 1; j < inputs.length; j++) {
        const dx = distance(inputs[i], inputs[j]);
        if (dx > 0) values.push(distance(outputs[i], outputs[j]) / dx);
      }
    }
    return values;
  }
}

function distance(a: readonly number[], b: readonly number[]): number {
  let sum = 0;
  for (let k = 0; k < a.length; k++) sum += (a[k] - b[k]) ** 2;
  return Math.sqrt(sum);
}
