import * as tf from '@tensorflow/tfjs-core';
import type { MultimodalModel, SubModel } from '@mmfuse/core';
import type { ParameterGradientProbe } from './gradient-ratio';
import { modelTarget, splitModelRows } from './sub-model-targets';

/**
 * The reconstruction loss of one sample, Σ_m mean((x̂_m − x_m)²) (the training loss with unit
 * weights and clean targets), as a function of the model's flat input, with one parameter group
 * per sub-model (and `model` for all parameters together).
 */
export function modelLossProbe(model: MultimodalModel, subModels: readonly SubModel[], includeModel = true): ParameterGradientProbe {
  const target = modelTarget(model);
  const groups = subModels.map((s) => ({ name: s.name, variables: s.parameters.map((p) => p.variable) }));
  if (includeModel) groups.push({ name: 'model', variables: model.subModels().flatMap((s) => s.parameters.map((p) => p.variable)) });
  return {
    inputSize: target.inputSize,
    norm: target.norm,
    groups,
    loss: (x) =>
      tf.tidy(() => {
        const inputs = splitModelRows(model, x);
        const outputs = model.apply(inputs);
        const perModality = outputs.map((out, m) => {
          const flat = tf.reshape(tf.squaredDifference(out, inputs[m]), [x.shape[0], -1]);
          return tf.mean(flat, 1);
        });
        return (perModality.length === 1 ? perModality[0] : tf.addN(perModality)) as tf.Tensor1D;
      }),
  };
}
