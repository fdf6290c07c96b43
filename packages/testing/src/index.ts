export {
  type FusionUnderTest,
  adversarialQuotient,
  autodiffJacobian,
  createRng,
  empiricalEstimates,
  finiteDifferenceJacobian,
  gaussianMatrix,
  gaussianVector,
  maxAbs,
  maxAbsDifference,
  outputOf,
  randomizeParameters,
  spectralNorm,
  splitRows,
  vectorOfNorm,
} from './fusion-reference';
export { startTestRedis, type TestRedis } from './redis-server';
export { MANIFEST_HEADER, type RoboMnistSampleOptions, type SampleRecording, writeRoboMnistSample } from './robomnist-sample';
