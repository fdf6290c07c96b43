import * as tf from '@tensorflow/tfjs-core';
import { ComponentConfig, createRng, deriveSeed, MultimodalModel, normal, Parameter, Regularizer, RegularizerContext } from '@mmfuse/core';
import { NamePattern, namePatternSchema } from './name-pattern';
import { ParameterSelector } from './parameter-selection';

export interface SpectralNormConstraintOptions {
  /** c: the largest spectral norm a constrained matrix keeps. */
  maxNorm: number;
  /** Sub-models whose parameters are considered. */
  subModels: NamePattern;
  /** Parameters (full names) that are constrained. */
  parameters: NamePattern;
  /** Power-iteration steps per optimiser step and matrix. */
  powerIterations: number;
  /** Also constrain kernels of rank > 2 as matrices [∏ leading dims, last dim]. */
  matricize: boolean;
}

export const SPECTRAL_NORM_CONSTRAINT_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    maxNorm: { type: 'number', exclusiveMinimum: 0, maximum: 1e6, default: 1, description: 'c: after each optimiser step W ← W · min(1, c / σ_max(W)).' },
    subModels: namePatternSchema('*', 'Sub-models whose parameters are considered, by name (fusion, encoder:*).'),
    parameters: namePatternSchema('**/kernel', 'Parameters to constrain, by full name (fusion/projection*/kernel = the attention projections); vectors such as biases are never touched.'),
    powerIterations: {
      type: 'integer',
      minimum: 1,
      maximum: 100,
      default: 1,
      description: 'Power-iteration steps per optimiser step for each matrix; the vector persists between steps, so one step tracks σ_max as the weights move (Miyato et al. 2018).',
    },
    matricize: {
      type: 'boolean',
      default: false,
      description: 'Also constrain kernels of rank > 2 (convolutions), reshaped to [∏ leading dims, last dim]; this bounds that matrix, not the convolution operator. When false they are left alone.',
    },
  },
};

/** Squared norms below this count as zero. */
const TINY = 1e-30;

/**
 * A weight constraint: after every optimiser step, each selected matrix is projected onto the
 * spectral-norm ball, W ← W · min(1, c / σ̂), with σ̂ from power iteration whose vector persists per
 * matrix. σ̂ ≤ σ_max, so a matrix already inside the ball is multiplied by exactly 1 (unchanged),
 * and one outside reaches σ_max ≤ c as the vector converges. Runs on the device, without reading
 * values back.
 */
export class SpectralNormConstraint implements Regularizer {
  private readonly selector: ParameterSelector;
  /** Power-iteration vectors of the model trained now, per parameter. */
  private vectors = new Map<tf.Variable, tf.Variable>();
  private currentModel?: MultimodalModel;

  constructor(
    readonly name: string,
    readonly options: SpectralNormConstraintOptions,
  ) {
    this.selector = new ParameterSelector(options, (p) => p.variable.rank === 2 || (options.matricize && p.variable.rank > 2));
  }

  /** Full names of the parameters this constraint projects in `model`. */
  selectedParameters(model: MultimodalModel): string[] {
    return this.selector.select(model).map((p) => p.name);
  }

  afterStep(model: MultimodalModel): void {
    if (model !== this.currentModel) {
      // A new trial's model: the previous model's vectors are of no further use.
      this.dispose();
      this.currentModel = model;
    }
    for (const parameter of this.selector.select(model)) this.project(parameter);
  }

  /** The current σ̂ of each selected matrix (reads values back asynchronously; for reports and tests). */
  async estimates(model: MultimodalModel): Promise<Record<string, number>> {
    const entries: Array<[string, number]> = [];
    for (const p of this.selector.select(model)) {
      const sigma = tf.tidy(() => tf.norm(tf.matMul(asMatrix(p.variable), this.vectorFor(p))));
      try {
        entries.push([p.name, (await sigma.data())[0]]);
      } finally {
        sigma.dispose();
      }
    }
    return Object.fromEntries(entries);
  }

  getConfig(): ComponentConfig {
    return { type: 'spectral-norm', ...this.options };
  }

  /** Frees the power-iteration vectors. */
  dispose(): void {
    for (const vector of this.vectors.values()) vector.dispose();
    this.vectors = new Map();
    this.currentModel = undefined;
  }

  private project(parameter: Parameter): void {
    const u = this.vectorFor(parameter);
    tf.tidy(() => {
      const W = asMatrix(parameter.variable);
      let current = u as tf.Tensor2D;
      for (let t = 0; t < this.options.powerIterations; t++) {
        const v = unitOrZero(tf.matMul(W, current));
        current = unitOr(tf.matMul(W, v, true, false), current);
      }
      u.assign(current);
      const sigma = tf.sqrt(tf.maximum(tf.sum(tf.square(tf.matMul(W, current))), TINY));
      const factor = tf.minimum(1, tf.div(this.options.maxNorm, sigma));
      parameter.variable.assign(tf.mul(parameter.variable, factor));
    });
  }

  private vectorFor(parameter: Parameter): tf.Variable {
    let vector = this.vectors.get(parameter.variable);
    if (!vector) {
      const cols = parameter.variable.shape[parameter.variable.rank - 1];
      const rng = createRng(deriveSeed(0, this.name, parameter.name));
      const values = Float32Array.from({ length: cols }, () => normal(rng));
      const norm = Math.hypot(...values) || 1;
      const initial = tf.tensor2d(values.map((x) => x / norm), [cols, 1]);
      vector = tf.variable(initial, false);
      initial.dispose();
      this.vectors.set(parameter.variable, vector);
    }
    return vector;
  }
}

/** A kernel as the matrix [∏ leading dims, last dim]. */
function asMatrix(variable: tf.Variable): tf.Tensor2D {
  const cols = variable.shape[variable.rank - 1];
  return variable.rank === 2 ? (variable as tf.Tensor as tf.Tensor2D) : tf.reshape(variable, [-1, cols]);
}

function unitOrZero(x: tf.Tensor2D): tf.Tensor2D {
  return tf.mul(x, tf.rsqrt(tf.maximum(tf.sum(tf.square(x)), TINY))) as tf.Tensor2D;
}

/** x / ‖x‖, or `fallback` when x is ~0 (a zero matrix must not zero the persistent vector for good). */
function unitOr(x: tf.Tensor2D, fallback: tf.Tensor2D): tf.Tensor2D {
  const degenerate = tf.cast(tf.lessEqual(tf.sum(tf.square(x)), TINY), 'float32');
  return tf.add(tf.mul(unitOrZero(x), tf.sub(1, degenerate)), tf.mul(fallback, degenerate)) as tf.Tensor2D;
}

export function createSpectralNormConstraint(options: SpectralNormConstraintOptions, context: RegularizerContext): SpectralNormConstraint {
  return new SpectralNormConstraint(context.name, options);
}
