import { createRng, Fusion, ModalitySpec } from '@mmfuse/core';
import { ConvImageDecoder, ConvImageEncoder, MlpDecoder, MlpEncoder } from '@mmfuse/encoders';
import { MultimodalAutoencoder } from '@mmfuse/model';
import type { BatchArrays } from '../batch-gradients';

/** A small camera + joints autoencoder for the gradient specs, around the fusion the caller builds. */
export const camera: ModalitySpec = { name: 'camera', kind: 'image', shape: [12, 12, 3] };
export const joints: ModalitySpec = { name: 'joints', kind: 'series', shape: [4, 3] };
export const layout = { shapes: [camera.shape, joints.shape], sizes: [432, 12], weights: [1, 0.5] };

export function smallAutoencoder(fusionOf: (cameraLatent: number) => { fusion: Fusion; jointsLatent: number }): MultimodalAutoencoder {
  const options = { channels: [4, 6], kernelSize: 5, stride: 2, padding: 1, activation: 'relu' as const, activateLast: true, init: 'pytorch' as const };
  const ce = new ConvImageEncoder('encoder:camera', camera, options, 1);
  const { fusion, jointsLatent } = fusionOf(ce.outputSize);
  const je = new MlpEncoder('encoder:joints', joints, { units: [8], latentSize: jointsLatent, activation: 'tanh', activateLast: true, init: 'pytorch' }, 2);
  const cd = new ConvImageDecoder('decoder:camera', camera, fusion.outputSize, ce.layers, { activation: 'relu', outputActivation: 'linear', init: 'pytorch' }, 3);
  const jd = new MlpDecoder('decoder:joints', joints, fusion.outputSize, { units: [8], activation: 'tanh', outputActivation: 'linear', init: 'pytorch' }, 4);
  return new MultimodalAutoencoder([ce, je], fusion, [cd, jd]);
}

/** `count` samples of both modalities, uniform in [0, 1), inputs as targets. */
export function randomBatch(count: number): BatchArrays {
  const rng = createRng(9);
  const inputs = layout.sizes.map((size) => Float32Array.from({ length: count * size }, () => rng()));
  return { count, inputs, targets: inputs };
}
