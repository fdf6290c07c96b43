import * as tf from '@tensorflow/tfjs-core';
import { createRng, deriveSeed, Rng } from '@mmfuse/core';
import { COMMON_ESTIMATOR_PROPERTIES, CommonEstimatorOptions, Estimator, samplesUsed } from './estimator';
import { chunkedVjp } from './jacobian-products';
import type { LipschitzResult } from './lipschitz-result';
import type { LipschitzTarget } from './lipschitz-target';
import { unitRows } from './random-tensors';
import { maxOf, meanOf, readAndDispose, repeatRows, rowNorms, sliceRows } from './row-ops';

/**
 * Whose gradient varies with the input:
 * - `input`: x ↦ J_f(x)ᵀu for one fixed random unit output direction u (the input Jacobian's variation);
 * - `parameters`: x ↦ ∇_θ ℓ(x), the loss gradient w.r.t. a sub-model's parameters (Theorems 3.1/3.2).
 */
export type GradientOf = 'input' | 'parameters';

export interface GradientRatioOptions extends CommonEstimatorOptions {
  type: 'gradient-ratio';
  gradient: GradientOf;
  /** Perturbed copies per sample. */
  pairs: number;
  /** ‖x − y‖ = radius · ‖x‖ (radius itself when x = 0). */
  radius: number;
  /** Added to ‖x − y‖ so that the ratio stays finite (Algorithm 1's threshold). */
  epsilon: number;
}

export const GRADIENT_RATIO_DEFAULTS: Omit<GradientRatioOptions, 'type'> = { gradient: 'input', pairs: 1, radius: 0.05, epsilon: 1e-8, samples: 0, seed: 0 };

export const GRADIENT_RATIO_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    type: { const: 'gradient-ratio', description: 'Max over sampled pairs of ‖∇f(x) − ∇f(y)‖ / (‖x − y‖ + ε): a lower bound of the gradient\'s Lipschitz constant (not of f\'s).' },
    gradient: {
      enum: ['input', 'parameters'],
      default: GRADIENT_RATIO_DEFAULTS.gradient,
      description: 'input = J_f(x)ᵀu for a fixed random unit u; parameters = gradient of the reconstruction loss w.r.t. the sub-model\'s parameters, as a function of the model input (Theorems 3.1/3.2).',
    },
    pairs: { type: 'integer', minimum: 1, maximum: 10000, default: GRADIENT_RATIO_DEFAULTS.pairs, description: 'Perturbed copies per sample (parameters: one reverse pass each).' },
    radius: { type: 'number', exclusiveMinimum: 0, maximum: 10, default: GRADIENT_RATIO_DEFAULTS.radius, description: 'Distance of a perturbed copy relative to the sample\'s norm.' },
    epsilon: { type: 'number', minimum: 0, maximum: 1, default: GRADIENT_RATIO_DEFAULTS.epsilon, description: 'Added to ‖x − y‖ in the denominator.' },
    ...COMMON_ESTIMATOR_PROPERTIES,
  },
};

/** The loss of a model as a function of its (flat) input, and the parameter groups to compare. */
export interface ParameterGradientProbe {
  readonly inputSize: number;
  readonly norm: string;
  /** Per-row losses `[N]`; rows must not interact. */
  loss(x: tf.Tensor2D): tf.Tensor1D;
  /** One result per group (e.g. one group per sub-model). */
  readonly groups: readonly { readonly name: string; readonly variables: readonly tf.Variable[] }[];
}

/** y = x + δ with ‖δ‖ = radius·‖x‖ in a random direction; returns the copies of x and the moved rows. */
async function perturbedPairs(x: tf.Tensor2D, pairs: number, radius: number, rng: Rng): Promise<{ base: tf.Tensor2D; moved: tf.Tensor2D }> {
  const base = repeatRows(x, pairs);
  const rows = base.shape[0];
  const unit = unitRows(rng, rows, base.shape[1]);
  const scales = (await rowNorms(base)).map((norm) => radius * (norm > 0 ? norm : 1));
  const moved = tf.tidy(() => tf.add(base, tf.mul(unit, tf.tensor2d(scales, [rows, 1]))) as tf.Tensor2D);
  unit.dispose();
  return { base, moved };
}

export class GradientRatioEstimator implements Estimator {
  readonly type = 'gradient-ratio' as const;
  readonly options: GradientRatioOptions;

  constructor(options: Partial<GradientRatioOptions> = {}) {
    this.options = { ...GRADIENT_RATIO_DEFAULTS, ...options, type: 'gradient-ratio' };
  }

  /** The input-gradient variation of a target (`gradient: 'input'`); undefined for `parameters`, see `estimateParameters`. */
  async estimate(target: LipschitzTarget, samples: tf.Tensor2D, seed = 0): Promise<LipschitzResult | undefined> {
    if (this.options.gradient !== 'input') return undefined;
    const started = performance.now();
    const n = samplesUsed(samples, this.options.samples);
    const rng = createRng(deriveSeed(seed, this.options.seed, this.type, target.name));
    const x = sliceRows(samples, 0, n);
    const direction = unitRows(rng, 1, target.outputSize);
    const { base, moved } = await perturbedPairs(x, this.options.pairs, this.options.radius, rng);
    const rows = base.shape[0];
    const both = tf.concat([base, moved], 0);
    const u = tf.tile(direction, [2 * rows, 1]);
    const grads = chunkedVjp(target, both, u);
    const values = await this.ratios(sliceRows(grads, 0, rows), sliceRows(grads, rows, 2 * rows), base, moved);
    tf.dispose([x, direction, base, moved, both, u, grads]);
    return this.result(target.name, values, started, `x ↦ J(x)ᵀu for one fixed random unit u`, target.norm);
  }

  /**
   * For each group, max over pairs of ‖∇_θ ℓ(x) − ∇_θ ℓ(y)‖ / (‖x − y‖ + ε). One reverse pass per
   * pair serves every group: ∇_θ ℓ(x) − ∇_θ ℓ(y) = ∇_θ [ℓ(x) − ℓ(y)] on a batch of the two rows.
   */
  async estimateParameters(probe: ParameterGradientProbe, samples: tf.Tensor2D, seed = 0): Promise<Array<{ group: string; result: LipschitzResult }>> {
    const started = performance.now();
    const n = samplesUsed(samples, this.options.samples);
    const rng = createRng(deriveSeed(seed, this.options.seed, this.type, 'parameters'));
    const x = sliceRows(samples, 0, n);
    const { base, moved } = await perturbedPairs(x, this.options.pairs, this.options.radius, rng);
    const groups = probe.groups.filter((g) => g.variables.length > 0);
    const variables = groups.flatMap((g) => [...g.variables]);
    const perGroup = groups.map(() => [] as number[]);
    const offsets = tf.sub(base, moved) as tf.Tensor2D;
    const distances = await rowNorms(offsets);
    offsets.dispose();
    for (let r = 0; r < base.shape[0]; r++) {
      const { value, grads } = tf.variableGrads(() => {
        const losses = probe.loss(tf.concat([sliceRows(base, r, r + 1), sliceRows(moved, r, r + 1)], 0));
        return tf.reshape(tf.sub(tf.slice(losses, [0], [1]), tf.slice(losses, [1], [1])), []) as tf.Scalar;
      }, variables);
      // One read per pair for every group at once.
      const squares = tf.tidy(() => tf.stack(groups.map((group) => tf.addN(group.variables.map((v) => tf.sum(tf.square(grads[v.name])))))));
      const values = await readAndDispose(squares);
      groups.forEach((_, g) => perGroup[g].push(Math.sqrt(values[g]) / (distances[r] + this.options.epsilon)));
      tf.dispose([value, ...Object.values(grads)]);
    }
    tf.dispose([x, base, moved]);
    const seconds = (performance.now() - started) / 1000;
    return groups.map((group, g) => ({
      group: group.name,
      result: {
        ...this.result(group.name, perGroup[g], started, `x ↦ ∇_θ ℓ(x) for θ = the parameters of ${group.name}, ℓ = the model's reconstruction loss`, probe.norm),
        seconds: seconds / groups.length,
      },
    }));
  }

  reset(): void {
    // no state
  }

  private async ratios(gx: tf.Tensor2D, gy: tf.Tensor2D, x: tf.Tensor2D, y: tf.Tensor2D): Promise<number[]> {
    const diff = tf.sub(gx, gy) as tf.Tensor2D;
    const dx = tf.sub(x, y) as tf.Tensor2D;
    const num = await rowNorms(diff);
    const den = await rowNorms(dx);
    tf.dispose([gx, gy, diff, dx]);
    return num.map((v, i) => v / (den[i] + this.options.epsilon));
  }

  private result(name: string, values: number[], started: number, what: string, norm: string): LipschitzResult {
    const { pairs, radius, epsilon } = this.options;
    return {
      estimator: this.type,
      quantity: 'gradient-ratio',
      bound: 'lower',
      of: `the Lipschitz constant of the gradient map ${what}`,
      relation: `a lower bound of the gradient map's constant (up to ε in the denominator), not of ${name}'s own Lipschitz constant`,
      value: maxOf(values),
      mean: meanOf(values),
      perSample: values,
      samples: values.length,
      seconds: (performance.now() - started) / 1000,
      method: `${pairs} random pair${pairs === 1 ? '' : 's'} per sample at relative distance ${radius}, ε = ${epsilon}`,
      norm,
    };
  }
}
