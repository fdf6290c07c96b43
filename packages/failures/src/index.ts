export { FailureDefinition, FailureTarget } from './failure-types';
export { applyFailureToBatch, applyRandomFailures, FAILURES, failureByType, failureTypes } from './failures';
export { createPerlinNoise2D } from './perlin-noise';
