// Per-layer certified bound of the quickstart camera encoder and decoder (configs/quickstart.json,
// trial 0's initial weights) against the layer's norm by power iteration and, with --svd, by an SVD
// of the materialised operator in float64 (ml-matrix; minutes for the first layer). Then the time
// the certified bound takes on the paper-128 camera encoder and decoder (configs/bench/paper-128.json).
// Run from the repository root after building: node packages/lipschitz/scripts/conv-bound-gaps.js [--svd]
const tf = require('@tensorflow/tfjs-core');
const { Matrix, SingularValueDecomposition } = require('ml-matrix');
const { initBackend } = require('@mmfuse/backend');
const { deriveSeed } = require('@mmfuse/core');
const { ConvImageDecoder, ConvImageEncoder } = require('@mmfuse/encoders');
const { CertifiedBoundEstimator, convNormUpperBound, convOperator, convPowerIteration } = require('@mmfuse/lipschitz');

/** The layer's matrix, transposed (rows = basis inputs): what conv2d, or conv2dTranspose for a decoder layer, makes of each basis vector. */
function materialised(layer) {
  const n = layer.inShape.reduce((a, b) => a * b, 1);
  const m = layer.outShape.reduce((a, b) => a * b, 1);
  const pads = [[0, 0], [layer.pads[0], layer.pads[1]], [layer.pads[2], layer.pads[3]], [0, 0]];
  const rows = [];
  for (let first = 0; first < n; first += 256) {
    const count = Math.min(256, n - first);
    const images = tf.tidy(() => {
      const basis = tf.reshape(tf.slice(tf.eye(n), [first, 0], [count, n]), [count, ...layer.inShape]);
      const out = layer.kind === 'conv2d' ? tf.conv2d(basis, layer.kernel, layer.stride, pads) : tf.conv2dTranspose(basis, layer.kernel, [count, ...layer.outShape], layer.stride, pads);
      return tf.reshape(out, [count, m]);
    });
    rows.push(...images.arraySync());
    images.dispose();
  }
  return rows;
}

async function main() {
  await initBackend('cpu');
  const trial = deriveSeed(42, 'trial', 0);
  const camera = { name: 'camera', kind: 'image', shape: [32, 32, 3] };
  const encoder = new ConvImageEncoder('encoder:camera', camera, { channels: [8, 16, 16], kernelSize: 5, stride: 2, padding: 1, activation: 'relu', activateLast: true, init: 'pytorch' }, deriveSeed(trial, 'encoder:camera'));
  const decoder = new ConvImageDecoder('decoder:camera', camera, 144, encoder.layers, { activation: 'relu', outputActivation: 'linear', init: 'pytorch' }, deriveSeed(trial, 'decoder:camera'));
  for (const layer of [...encoder.describeLayers(), ...decoder.describeLayers()].filter((l) => l.kind === 'conv2d' || l.kind === 'conv2d-transpose')) {
    const op = convOperator(layer);
    const started = performance.now();
    const bound = await convNormUpperBound(op);
    const seconds = (performance.now() - started) / 1000;
    const { lower, vector } = await convPowerIteration(op, 500, undefined, 1);
    vector.dispose();
    let exact = '';
    if (process.argv.includes('--svd')) {
      const sigma = new SingularValueDecomposition(new Matrix(materialised(layer)), { autoTranspose: true, computeLeftSingularVectors: false, computeRightSingularVectors: false }).diagonal[0];
      exact = `, SVD ${sigma.toFixed(4)}, certified / SVD ${(bound.upper / sigma).toFixed(3)}`;
    }
    console.log(`${layer.name}: certified ${bound.upper.toFixed(4)} in ${seconds.toFixed(2)} s (${bound.method}), power iteration ${lower.toFixed(4)}, certified / power ${(bound.upper / lower).toFixed(3)}${exact}`);
  }
  const large = { name: 'camera', kind: 'image', shape: [128, 128, 3] };
  const paperEncoder = new ConvImageEncoder('encoder:camera', large, { channels: [64, 64, 32, 32, 32], kernelSize: 5, stride: 2, padding: 1, activation: 'relu', activateLast: true, init: 'pytorch' }, 7);
  const paperDecoder = new ConvImageDecoder('decoder:camera', large, 288, paperEncoder.layers, { activation: 'relu', outputActivation: 'linear', init: 'pytorch' }, 8);
  for (const model of [paperEncoder, paperDecoder]) {
    const estimator = new CertifiedBoundEstimator({ coldIterations: 0 });
    const started = performance.now();
    const result = await estimator.certifySubModel(model);
    console.log(`paper-128 ${model.name}: certified bound ${result.value.toPrecision(4)} in ${((performance.now() - started) / 1000).toFixed(2)} s without power iterations (${result.layers.filter((l) => l.kind !== 'activation').map((l) => `${l.name} ${l.upper.toPrecision(4)}`).join(', ')})`);
  }
}

main();
