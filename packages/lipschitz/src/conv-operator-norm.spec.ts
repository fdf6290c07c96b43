import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@mmfuse/backend';
import type { LayerDescription, ModalitySpec } from '@mmfuse/core';
import { ConvImageDecoder, ConvImageEncoder } from '@mmfuse/encoders';
import { convMatrix, randomArray, spectralNorm } from '../test-support/reference';
import { applyConv, applyConvAdjoint, convNormUpperBound, ConvOperator, convOperator, convPowerIteration, DENSE_SIDE_LIMIT, denseConvBound, polyphaseKernel, schurBound } from './conv-operator-norm';
import { convSymbolBound } from './conv-symbol-bound';

beforeAll(async () => {
  await initBackend('cpu');
});

interface Geometry {
  inShape: [number, number, number];
  kernel: [number, number];
  cout: number;
  stride: [number, number];
  pads: [number, number, number, number];
}

const GEOMETRIES: Array<[string, Geometry]> = [
  ['3×3 stride 1, pad 1', { inShape: [7, 6, 2], kernel: [3, 3], cout: 3, stride: [1, 1], pads: [1, 1, 1, 1] }],
  ['5×5 stride 2, pad 1 (the paper\'s layer)', { inShape: [9, 9, 2], kernel: [5, 5], cout: 3, stride: [2, 2], pads: [1, 1, 1, 1] }],
  ['3×2 strides 2×3, uneven pads', { inShape: [8, 7, 3], kernel: [3, 2], cout: 2, stride: [2, 3], pads: [1, 0, 0, 1] }],
  ['2×2 stride 3, valid', { inShape: [9, 8, 2], kernel: [2, 2], cout: 4, stride: [3, 3], pads: [0, 0, 0, 0] }],
  ['5×5 stride 2, pad 1, 7×7×6 outputs (more than the bound materialises)', { inShape: [16, 16, 2], kernel: [5, 5], cout: 6, stride: [2, 2], pads: [1, 1, 1, 1] }],
  ['3×3 stride 1, 22 rows: a sampled frequency axis', { inShape: [24, 4, 2], kernel: [3, 3], cout: 2, stride: [1, 1], pads: [0, 0, 1, 1] }],
];

function outShape(g: Geometry): [number, number, number] {
  const oh = Math.floor((g.inShape[0] + g.pads[0] + g.pads[1] - g.kernel[0]) / g.stride[0]) + 1;
  const ow = Math.floor((g.inShape[1] + g.pads[2] + g.pads[3] - g.kernel[1]) / g.stride[1]) + 1;
  return [oh, ow, g.cout];
}

function build(g: Geometry, seed: number): { op: ConvOperator; matrix: number[][] } {
  const shape = [g.kernel[0], g.kernel[1], g.inShape[2], g.cout];
  const values = randomArray(shape.reduce((a, b) => a * b, 1), seed);
  const kernel = tf.tensor4d(values, shape as [number, number, number, number]);
  const out = outShape(g);
  const op: ConvOperator = { kernel, inShape: g.inShape, outShape: out, stride: g.stride, pads: g.pads };
  return { op, matrix: convMatrix(values, shape, g.inShape, out, g.stride, g.pads) };
}

function multiply(matrix: number[][], x: ArrayLike<number>): number[] {
  return matrix.map((row) => row.reduce((s, a, j) => s + a * x[j], 0));
}

describe.each(GEOMETRIES)('a convolution, %s', (_name, geometry) => {
  let op: ConvOperator;
  let matrix: number[][];
  let sigma: number;
  beforeAll(() => {
    ({ op, matrix } = build(geometry, 17 + geometry.inShape[0]));
    sigma = spectralNorm(matrix);
  });
  afterAll(() => op.kernel.dispose());

  it('is the operator the reference matrix describes, with conv2dTranspose as its exact adjoint', () => {
    const x = tf.tensor4d(randomArray(geometry.inShape.reduce((a, b) => a * b, 1), 3), [1, ...geometry.inShape]);
    const y = tf.tensor4d(randomArray(op.outShape.reduce((a, b) => a * b, 1), 4), [1, ...op.outShape]);
    const forward = applyConv(op, x).dataSync();
    multiply(matrix, x.dataSync()).forEach((v, i) => expect(forward[i]).toBeCloseTo(v, 4));
    const adjoint = applyConvAdjoint(op, y).dataSync();
    const columns = matrix[0].map((_, j) => matrix.map((r) => r[j]));
    multiply(columns, y.dataSync()).forEach((v, i) => expect(adjoint[i]).toBeCloseTo(v, 4));
    tf.dispose([x, y]);
  });

  it('has its norm approached from below by power iteration on the operator', async () => {
    const before = tf.memory().numTensors;
    const { lower, vector } = await convPowerIteration(op, 200, undefined, 1);
    vector.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(lower).toBeLessThanOrEqual(sigma * (1 + 1e-5));
    expect(lower).toBeGreaterThan(sigma * 0.999);
  });

  it('has a rigorous upper bound from the kernel alone within 1.2× of the SVD value, every candidate above it', async () => {
    const before = tf.memory().numTensors;
    const bound = await convNormUpperBound(op);
    expect(tf.memory().numTensors).toBe(before);
    expect(bound.upper).toBeGreaterThanOrEqual(sigma);
    expect(bound.upper).toBeLessThanOrEqual(1.2 * sigma);
    for (const [name, value] of Object.entries(bound.candidates)) {
      expect({ name, ok: value >= sigma }).toEqual({ name, ok: true });
    }
    expect(schurBound(op)).toBeGreaterThanOrEqual(sigma);
  });

  it('has its polyphase-symbol bound above the SVD value, and within 1.2× of it on these maps', () => {
    const symbol = convSymbolBound(op.kernel.dataSync(), op.kernel.shape, op.stride, op.outShape);
    expect(symbol.upper).toBeGreaterThanOrEqual(sigma);
    expect(symbol.upper).toBeLessThanOrEqual(1.2 * sigma);
  });

  it('is bounded near exactly as a materialised matrix when small enough', () => {
    const dense = denseConvBound(op.kernel.dataSync(), op);
    if (Math.min(matrix.length, matrix[0].length) > DENSE_SIDE_LIMIT) {
      expect(dense).toBeUndefined();
      return;
    }
    expect(dense!.upper).toBeGreaterThanOrEqual(sigma);
    expect(dense!.upper).toBeLessThanOrEqual(sigma * (1 + 1e-3));
  });
});

describe('the polyphase kernel', () => {
  it.each(GEOMETRIES)('turns the strided convolution (%s) into a stride-1 convolution of the phase images', (_name, g) => {
    const { op } = build(g, 5);
    const poly = polyphaseKernel(op.kernel, op.stride);
    const [sh, sw] = g.stride;
    expect(poly.shape).toEqual([Math.ceil(g.kernel[0] / sh), Math.ceil(g.kernel[1] / sw), sh * sw * g.inShape[2], g.cout]);
    const x = tf.tensor4d(randomArray(g.inShape.reduce((a, b) => a * b, 1), 8), [1, ...g.inShape]);
    const direct = applyConv(op, x);
    // Pad as the layer does, then up to whole strides, and split into phase images x_pq[n, m] = x[sh·n + p, sw·m + q].
    const [t, b, l, r] = g.pads;
    const height = g.inShape[0] + t + b;
    const width = g.inShape[1] + l + r;
    const padded = tf.pad(x, [[0, 0], [t, b + Math.ceil(height / sh) * sh - height], [l, r + Math.ceil(width / sw) * sw - width], [0, 0]]);
    const phases: tf.Tensor4D[] = [];
    for (let p = 0; p < sh; p++) for (let q = 0; q < sw; q++) phases.push(tf.stridedSlice(padded, [0, p, q, 0], padded.shape, [1, sh, sw, 1]) as tf.Tensor4D);
    const stacked = tf.concat(phases, 3);
    const full = tf.conv2d(tf.pad(stacked, [[0, 0], [0, poly.shape[0]], [0, poly.shape[1]], [0, 0]]), poly, 1, 'valid');
    const viaPhases = tf.slice(full, [0, 0, 0, 0], direct.shape);
    const expected = direct.dataSync();
    const actual = viaPhases.dataSync();
    expect(actual.length).toBe(expected.length);
    expected.forEach((v, i) => expect(actual[i]).toBeCloseTo(v, 4));
    tf.dispose([op.kernel, poly, x, direct, padded, ...phases, stacked, full, viaPhases]);
  });
});

describe('layers described by the conv encoder and its mirroring decoder', () => {
  const modality: ModalitySpec = { name: 'camera', kind: 'image', shape: [11, 10, 2] };
  let encoder: ConvImageEncoder;
  let decoder: ConvImageDecoder;
  beforeAll(() => {
    encoder = new ConvImageEncoder('encoder:camera', modality, { channels: [3, 4], kernelSize: 5, stride: 2, padding: 1, activation: 'relu', activateLast: true, init: 'pytorch' }, 3);
    decoder = new ConvImageDecoder('decoder:camera', modality, 9, encoder.layers, { activation: 'relu', outputActivation: 'linear', init: 'pytorch' }, 4);
  });
  afterAll(() => {
    encoder.dispose();
    decoder.dispose();
  });

  const convLayers = () =>
    [...encoder.describeLayers(), ...decoder.describeLayers()].filter((l): l is Extract<LayerDescription, { kind: 'conv2d' | 'conv2d-transpose' }> => l.kind === 'conv2d' || l.kind === 'conv2d-transpose');

  it('bound each (transposed) convolution by its materialised operator norm to within 1.2×, the transpose as tightly as the convolution', async () => {
    const layers = convLayers();
    expect(layers.map((l) => l.kind)).toEqual(['conv2d', 'conv2d', 'conv2d-transpose', 'conv2d-transpose']);
    for (const layer of layers) {
      const op = convOperator(layer);
      // Materialise what the layer itself computes on basis vectors: conv2d, or conv2dTranspose for the decoder.
      const [inShape, outShapeOfLayer] = [layer.inShape, layer.outShape];
      const n = inShape.reduce((a, b) => a * b, 1);
      const basis = tf.reshape(tf.eye(n), [n, ...inShape]) as tf.Tensor4D;
      const pads = [[0, 0], [layer.pads[0], layer.pads[1]], [layer.pads[2], layer.pads[3]], [0, 0]] as never;
      const images =
        layer.kind === 'conv2d'
          ? tf.conv2d(basis, layer.kernel as unknown as tf.Tensor4D, layer.stride as [number, number], pads)
          : tf.conv2dTranspose(basis, layer.kernel as unknown as tf.Tensor4D, [n, ...outShapeOfLayer] as [number, number, number, number], layer.stride as [number, number], pads);
      const columns = tf.reshape(images, [n, outShapeOfLayer.reduce((a, b) => a * b, 1)]).arraySync() as number[][];
      const sigma = spectralNorm(columns);
      const bound = await convNormUpperBound(op);
      const { lower, vector } = await convPowerIteration(op, 100);
      expect(bound.upper).toBeGreaterThanOrEqual(sigma);
      expect(bound.upper).toBeLessThanOrEqual(1.2 * sigma);
      expect(lower).toBeLessThanOrEqual(sigma * (1 + 1e-5));
      expect(lower).toBeGreaterThan(sigma * 0.99);
      tf.dispose([basis, images, vector]);
    }
  });
});

describe('the quickstart camera encoder and decoder (32×32×3, channels 8, 16, 16, kernel 5, stride 2, pad 1)', () => {
  it('have every (transposed) convolution certified within 1.2× of its norm from below by power iteration', async () => {
    const camera: ModalitySpec = { name: 'camera', kind: 'image', shape: [32, 32, 3] };
    const encoder = new ConvImageEncoder('encoder:camera', camera, { channels: [8, 16, 16], kernelSize: 5, stride: 2, padding: 1, activation: 'relu', activateLast: true, init: 'pytorch' }, 5);
    const decoder = new ConvImageDecoder('decoder:camera', camera, 144, encoder.layers, { activation: 'relu', outputActivation: 'linear', init: 'pytorch' }, 6);
    const layers = [...encoder.describeLayers(), ...decoder.describeLayers()].filter((l): l is Extract<LayerDescription, { kind: 'conv2d' | 'conv2d-transpose' }> => l.kind === 'conv2d' || l.kind === 'conv2d-transpose');
    expect(layers).toHaveLength(6);
    for (const layer of layers) {
      const op = convOperator(layer);
      // ‖A‖₂ ≥ this value, so bound / value ≥ bound / ‖A‖₂: the check can only be stricter than the claim.
      const { lower, vector } = await convPowerIteration(op, 300, undefined, 2);
      vector.dispose();
      const bound = await convNormUpperBound(op);
      expect({ layer: layer.name, ratio: bound.upper / lower <= 1.2 }).toEqual({ layer: layer.name, ratio: true });
      expect(bound.upper).toBeGreaterThanOrEqual(lower);
    }
    encoder.dispose();
    decoder.dispose();
  });
});
