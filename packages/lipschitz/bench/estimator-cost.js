// Cost of the lipschitz tracker's estimators on a bimodal model, next to the cost of training.
//   node bench/estimator-cost.js [paper-128|mid|quickstart] [wasm|cpu] [samples (4)] [concat|sum]
// Builds the bench README's network (conv image encoder, MLP series encoder, mirrored decoders),
// draws `samples` inputs, and times: one training step of batch 32, then evaluations of every
// sub-model with the default estimators (cold first, then warm as during training), per estimator.
const tf = require('@tensorflow/tfjs-core');
const { initBackend } = require('@mmfuse/backend');
const { ConvImageEncoder, ConvImageDecoder, MlpEncoder, MlpDecoder } = require('@mmfuse/encoders');
const { ConcatFusion } = require('@mmfuse/fusion-concat');
const { SumFusion } = require('@mmfuse/fusion-sum');
const { LipschitzTracker } = require('../dist');

const WORKLOADS = {
  'paper-128': { side: 128, channels: [64, 64, 32, 32, 32], series: [64, 128, 128, 256, 256], latent: 288 },
  mid: { side: 64, channels: [16, 32, 32, 32], series: [64, 128], latent: 288 },
  quickstart: { side: 32, channels: [8, 16, 16], series: [64, 64], latent: 144 },
};

class Model {
  constructor(encoders, fusion, decoders) { Object.assign(this, { encoders, fusion, decoders }); }
  subModels() { return [...this.encoders, this.fusion, ...this.decoders]; }
  encode(inputs) { return tf.tidy(() => this.fusion.apply(this.encoders.map((e, i) => e.apply(inputs[i])))); }
  apply(inputs) { return tf.tidy(() => { const z = this.encode(inputs); return this.decoders.map((d) => d.apply(z)); }); }
  dispose() { this.subModels().forEach((m) => m.dispose()); }
}

(async () => {
  const [workload = 'paper-128', backend = 'wasm', samples = '4', fusionType = 'concat'] = process.argv.slice(2);
  const w = WORKLOADS[workload];
  const info = await initBackend(backend);
  const camera = { name: 'camera', kind: 'image', shape: [w.side, w.side, 3] };
  const joints = { name: 'joints', kind: 'series', shape: [16, 7] };
  const imageEncoder = new ConvImageEncoder('encoder:camera', camera, { channels: w.channels, kernelSize: 5, stride: 2, padding: 1, activation: 'relu', activateLast: true, init: 'pytorch' }, 1);
  const seriesEncoder = new MlpEncoder('encoder:joints', joints, { units: w.series, latentSize: w.latent, activation: 'relu', activateLast: true, init: 'pytorch' }, 2);
  const sizes = [imageEncoder.outputSize, seriesEncoder.outputSize];
  const fusion = fusionType === 'sum' ? new SumFusion('fusion', sizes) : new ConcatFusion('fusion', sizes);
  const imageDecoder = new ConvImageDecoder('decoder:camera', camera, fusion.outputSize, imageEncoder.layers, { activation: 'relu', outputActivation: 'linear', init: 'pytorch' }, 3);
  const seriesDecoder = new MlpDecoder('decoder:joints', joints, fusion.outputSize, { units: [...w.series].reverse(), activation: 'relu', outputActivation: 'linear', init: 'pytorch' }, 4);
  const model = new Model([imageEncoder, seriesEncoder], fusion, [imageDecoder, seriesDecoder]);

  // One training step of batch 32 (forward, MSE, backward, Adam), as the trainer does.
  const batch = [tf.randomUniform([32, ...camera.shape]), tf.randomNormal([32, ...joints.shape])];
  const variables = model.subModels().flatMap((m) => m.parameters.map((p) => p.variable));
  const optimizer = tf.train.adam(1e-3);
  const step = () => {
    const { value, grads } = tf.variableGrads(() => tf.addN(model.apply(batch).map((o, i) => tf.mean(tf.squaredDifference(o, batch[i])))), variables);
    optimizer.applyGradients(grads);
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
  };
  step();
  let t = performance.now();
  for (let i = 0; i < 2; i++) step();
  const stepSeconds = (performance.now() - t) / 2000;
  const epochSeconds = stepSeconds * Math.ceil(1000 / 32);

  const n = Number(samples);
  const inputs = [tf.randomUniform([n, ...camera.shape], 0, 1, 'float32', 11), tf.randomNormal([n, ...joints.shape], 0, 1, 'float32', 12)];
  const tracker = new LipschitzTracker({});
  const report = (label, results, seconds) => {
    console.log(`${label}: ${seconds.toFixed(2)} s (${((100 * seconds) / epochSeconds).toFixed(1)}% of an epoch of 1,000 samples)`);
    const bySubModel = {};
    for (const { subModel, result } of results) (bySubModel[subModel] ??= []).push(`${result.estimator} ${result.value.toPrecision(4)} (${result.bound}, ${result.seconds.toFixed(2)} s)`);
    for (const [name, parts] of Object.entries(bySubModel)) console.log(`  ${name.padEnd(15)} ${parts.join(' | ')}`);
  };
  console.log(`${workload}, ${fusionType} fusion, ${n} samples, backend ${info.name}: training step (batch 32) ${stepSeconds.toFixed(2)} s, epoch of 1,000 samples ≈ ${epochSeconds.toFixed(1)} s`);
  const before = tf.memory().numTensors;
  for (const label of ['cold (epoch 0)', 'warm (epoch 1)', 'warm (epoch 2)']) {
    t = performance.now();
    const results = tracker.evaluate(model, inputs, 7);
    report(label, results, (performance.now() - t) / 1000);
  }
  console.log(`tensors kept between evaluations (warm-start vectors): ${tf.memory().numTensors - before}`);
})();
