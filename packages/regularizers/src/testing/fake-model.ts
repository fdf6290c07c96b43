// A stand-in for an assembled model in the specs (not part of the built package): only
// subModels() is real, which is all regularizers use.
import * as tf from '@tensorflow/tfjs-core';
import type { ComponentConfig, MultimodalModel, Parameter, SubModel } from '@mmfuse/core';

/** Parameter values by local name (`dense0/kernel`), any rank. */
export type ParameterValues = Record<string, tf.TensorLike>;

export interface FakeModel extends MultimodalModel {
  /** Every parameter by full name. */
  readonly byName: Record<string, tf.Variable>;
}

export function fakeModel(subModels: Record<string, ParameterValues>): FakeModel {
  const byName: Record<string, tf.Variable> = {};
  const list: SubModel[] = Object.entries(subModels).map(([name, values]) => {
    const parameters: Parameter[] = Object.entries(values).map(([local, value]) => {
      const initial = tf.tensor(value);
      const variable = tf.variable(initial, true);
      initial.dispose();
      byName[`${name}/${local}`] = variable;
      return { name: `${name}/${local}`, variable };
    });
    return {
      name,
      parameters,
      getConfig: (): ComponentConfig => ({ type: 'fake' }),
      dispose: () => parameters.forEach((p) => p.variable.dispose()),
    };
  });
  const model = {
    byName,
    encoders: [],
    decoders: [],
    subModels: () => list,
    dispose: () => list.forEach((s) => s.dispose()),
  };
  return model as unknown as FakeModel;
}

/** Seeded values from a simple deterministic sequence (no Math.random in tests). */
export function filled(shape: number[], seed: number, scale = 1): tf.TensorLike {
  const size = shape.reduce((a, b) => a * b, 1);
  const t = tf.tensor(Float32Array.from({ length: size }, (_, i) => Math.sin(seed * 97.1 + i * 12.9898) * scale), shape);
  const values = t.arraySync();
  t.dispose();
  return values as tf.TensorLike;
}

/** A model shaped like the paper's network, with mmfuse's parameter names. */
export function paperLikeModel(): FakeModel {
  return fakeModel({
    'encoder:camera': {
      'conv0/kernel': filled([3, 3, 2, 4], 1),
      'conv0/bias': filled([4], 2),
      'dense0/kernel': filled([8, 6], 3),
    },
    'encoder:joints': {
      'dense0/kernel': filled([5, 6], 4),
      'dense0/bias': filled([6], 5),
    },
    fusion: {
      'projection0/kernel': filled([6, 6], 6, 2),
      'projection1/kernel': filled([6, 6], 7, 2),
    },
    'decoder:camera': {
      'projection/kernel': filled([12, 8], 8),
      'projection/bias': filled([8], 9),
      'deconv0/kernel': filled([3, 3, 2, 4], 10),
    },
    'decoder:joints': {
      'dense0/kernel': filled([12, 5], 11),
      'dense0/bias': filled([5], 12),
    },
  });
}
