// Helpers shared by the specs (not part of the built package): the fusion references from
// @mmfuse/testing, and setting one of this fusion's projections.
import * as tf from '@tensorflow/tfjs-core';
import type { AttentionFusion } from '../attention-fusion';

export * from '@mmfuse/testing';

/** Sets the linear projection of modality i to W (k × d_i, the theorem's orientation). */
export function setProjection(fusion: AttentionFusion, i: number, W: number[][]): void {
  const parameter = fusion.parameters.find((p) => p.name === `${fusion.name}/projection${i}/kernel`);
  if (!parameter) throw new Error(`no linear projection ${i}`);
  const kernel = tf.tidy(() => tf.transpose(tf.tensor2d(W)));
  parameter.variable.assign(kernel);
  kernel.dispose();
}
