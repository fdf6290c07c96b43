import type * as tf from '@tensorflow/tfjs-core';
import type { ComponentConfig, MultimodalModel, Regularizer, RegularizerContext } from '@mmfuse/core';
import { lambdaSchema } from './lambda-schema';
import { NamePattern, namePatternSchema } from './name-pattern';
import { ParameterSelector } from './parameter-selection';
import { sumOfSquares } from './sum-of-squares';

export interface WeightDecayRegularizerOptions {
  /** λ, the weight of the penalty. */
  lambda: number;
  /** Sub-models whose kernels decay. */
  subModels: NamePattern;
}

export const WEIGHT_DECAY_REGULARIZER_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    lambda: lambdaSchema(1e-4, 'λ in λ Σ ‖W‖² over the kernels (the gradient of the term is 2λW).'),
    subModels: namePatternSchema('*', 'Sub-models whose kernels decay, by name (* = all: every encoder, decoder and the fusion).'),
  },
};

/**
 * Classic weight decay as a loss term: λ Σ ‖W‖² over every kernel (every parameter of rank ≥ 2:
 * dense and convolution weights, never biases or other vectors) of the selected sub-models.
 */
export class WeightDecayRegularizer implements Regularizer {
  private readonly selector: ParameterSelector;

  constructor(
    readonly name: string,
    readonly options: WeightDecayRegularizerOptions,
  ) {
    this.selector = new ParameterSelector({ subModels: options.subModels, parameters: '**' }, (p) => p.variable.rank >= 2);
  }

  /** Full names of the kernels this regularizer penalises in `model`. */
  selectedParameters(model: MultimodalModel): string[] {
    return this.selector.select(model).map((p) => p.name);
  }

  penalty(model: MultimodalModel): tf.Scalar {
    return sumOfSquares(this.selector.select(model).map((p) => p.variable), this.options.lambda);
  }

  getConfig(): ComponentConfig {
    return { type: 'weight-decay', ...this.options };
  }
}

export function createWeightDecayRegularizer(options: WeightDecayRegularizerOptions, context: RegularizerContext): WeightDecayRegularizer {
  return new WeightDecayRegularizer(context.name, options);
}
