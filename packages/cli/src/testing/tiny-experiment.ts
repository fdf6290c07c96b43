/**
 * The two-modality experiment the command's end-to-end tests train (16 × 16 frames and joint
 * windows of the synthetic arm, sum and concat): about a second per trial on wasm.
 */
export const TINY_EXPERIMENT = {
  backend: 'wasm',
  data: { type: 'synthetic-arm', episodes: 4, framesPerEpisode: 12, imageSize: 16, window: 4, windowStep: 2 },
  modalities: [
    { name: 'camera', encoder: { type: 'conv2d', channels: [4, 4] }, decoder: { type: 'conv2d-transpose' } },
    { name: 'joints', encoder: { type: 'mlp', units: [8], latentSize: 36 }, decoder: { type: 'mlp' } },
  ],
  fusions: [{ type: 'sum' }, { type: 'concat' }],
};
