import type * as tf from '@tensorflow/tfjs-core';
import type { ComponentConfig, MultimodalModel, Regularizer, RegularizerContext } from '@mmfuse/core';
import { lambdaSchema } from './lambda-schema';
import { NamePattern, namePatternSchema } from './name-pattern';
import { ParameterSelector } from './parameter-selection';
import { sumOfSquares } from './sum-of-squares';

export interface L2RegularizerOptions {
  /** λ, the weight of the penalty. */
  lambda: number;
  /** Sub-models whose parameters are considered. */
  subModels: NamePattern;
  /** Parameters (full names) that are penalised. */
  parameters: NamePattern;
}

export const L2_REGULARIZER_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    lambda: lambdaSchema(1e-4, 'λ in λ Σ ‖W‖_F² (the gradient of the term is 2λW).'),
    subModels: namePatternSchema('*', 'Sub-models whose parameters are considered, by name (fusion, encoder:camera, decoder:*).'),
    parameters: namePatternSchema('**', 'Parameters to penalise, by full name (fusion/projection*/kernel targets the attention projections; ** = all, biases included).'),
  },
};

/**
 * λ Σ ‖W‖_F² over the parameters a name selection picks (e.g. the attention projections, the
 * paper's Section 4.5.2 term). A selection that matches nothing in a model adds 0, so one config
 * can compare fusions with and without the targeted parameters.
 */
export class L2Regularizer implements Regularizer {
  private readonly selector: ParameterSelector;

  constructor(
    readonly name: string,
    readonly options: L2RegularizerOptions,
  ) {
    this.selector = new ParameterSelector(options);
  }

  /** Full names of the parameters this regularizer penalises in `model`. */
  selectedParameters(model: MultimodalModel): string[] {
    return this.selector.select(model).map((p) => p.name);
  }

  penalty(model: MultimodalModel): tf.Scalar {
    return sumOfSquares(this.selector.select(model).map((p) => p.variable), this.options.lambda);
  }

  getConfig(): ComponentConfig {
    return { type: 'l2', ...this.options };
  }
}

export function createL2Regularizer(options: L2RegularizerOptions, context: RegularizerContext): L2Regularizer {
  return new L2Regularizer(context.name, options);
}
