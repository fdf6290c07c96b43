import * as tf from '@tensorflow/tfjs-core';
import { Decoder, Encoder, Fusion, MultimodalModel, sampleSize } from '@mmfuse/core';
import type { LipschitzTarget } from './lipschitz-target';

/** Encoder `x_m ↦ h_m` on flattened samples. */
export function encoderTarget(encoder: Encoder): LipschitzTarget {
  const shape = encoder.modality.shape;
  return {
    name: encoder.name,
    kind: 'encoder',
    inputSize: sampleSize(encoder.modality),
    outputSize: encoder.outputSize,
    norm: 'l2 on the flattened sample and on the latent',
    source: encoder,
    apply: (x) => tf.tidy(() => encoder.apply(tf.reshape(x, [x.shape[0], ...shape]))),
  };
}

/** Decoder `z ↦ x̂_m`, output flattened. */
export function decoderTarget(decoder: Decoder): LipschitzTarget {
  const size = sampleSize(decoder.modality);
  return {
    name: decoder.name,
    kind: 'decoder',
    inputSize: decoder.inputSize,
    outputSize: size,
    norm: 'l2 on the fused representation and on the flattened reconstruction',
    source: decoder,
    apply: (z) => tf.tidy(() => tf.reshape(decoder.apply(z), [z.shape[0], size]) as tf.Tensor2D),
  };
}

/** Fusion `(h_1..h_M) ↦ z` as a function of the concatenated latents (the product norm). */
export function fusionTarget(fusion: Fusion): LipschitzTarget {
  const sizes = [...fusion.inputSizes];
  return {
    name: fusion.name,
    kind: 'fusion',
    inputSize: sizes.reduce((a, b) => a + b, 0),
    outputSize: fusion.outputSize,
    norm: "l2 on the concatenated latents (product norm over the modalities) and on z",
    source: fusion,
    apply: (h) => tf.tidy(() => fusion.apply(sizes.length === 1 ? [h] : (tf.split(h, sizes, 1) as tf.Tensor2D[]))),
  };
}

/** The whole model `(x_1..x_M) ↦ (x̂_1..x̂_M)` on concatenated flattened inputs and outputs. */
export function modelTarget(model: MultimodalModel, name = 'model'): LipschitzTarget {
  const inSizes = model.encoders.map((e) => sampleSize(e.modality));
  const outSizes = model.decoders.map((d) => sampleSize(d.modality));
  return {
    name,
    kind: 'model',
    inputSize: inSizes.reduce((a, b) => a + b, 0),
    outputSize: outSizes.reduce((a, b) => a + b, 0),
    norm: 'l2 on the concatenated flattened inputs and reconstructions (product norm over the modalities)',
    source: model,
    apply: (x) => tf.tidy(() => flattenRows(model.apply(splitModelRows(model, x)))),
  };
}

/** Model inputs (one tensor per modality, in encoder order) → concatenated flat rows. */
export function flattenRows(tensors: readonly tf.Tensor[]): tf.Tensor2D {
  return tf.tidy(() => {
    const flat = tensors.map((t) => tf.reshape(t, [t.shape[0], t.size / t.shape[0]]) as tf.Tensor2D);
    return flat.length === 1 ? flat[0] : tf.concat(flat, 1);
  });
}

/** Concatenated flat rows → one tensor per modality, shaped as the encoders expect. */
export function splitModelRows(model: MultimodalModel, x: tf.Tensor2D): tf.Tensor[] {
  return tf.tidy(() => {
    const sizes = model.encoders.map((e) => sampleSize(e.modality));
    const parts = sizes.length === 1 ? [x] : tf.split(x, sizes, 1);
    return parts.map((p, i) => tf.reshape(p, [x.shape[0], ...model.encoders[i].modality.shape]));
  });
}

/** Latents of every encoder on model inputs, concatenated (the fusion's input rows). */
export function latentRows(model: MultimodalModel, inputs: readonly tf.Tensor[]): tf.Tensor2D {
  return tf.tidy(() => flattenRows(model.encoders.map((e, i) => e.apply(inputs[i]))));
}
