import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../select-backend';
import { CONV_CASES, explicit, filled, maxRelativeError, Pad } from './conformance-cases';
import { WasmBackend } from './wasm-backend-access';
import { filterGradientRowsPerChunk, xnnpackFilterGradient } from './wasm-conv2d-backprop-filter';

type Shape4 = [number, number, number, number];

type Pads = [number, number, number, number];

/**
 * Few input channels and wide dy: dy is split into row chunks, some of which start or end in the
 * padding, read only padding (skipped), or all of which do (a zero gradient). Pads: top, bottom,
 * left, right.
 */
const CHUNKED_CASES: Array<[Shape4, Shape4, [number, number], Pads]> = [
  [[6, 33, 255, 3], [5, 5, 3, 64], [2, 2], [1, 1, 1, 1]],
  [[4, 40, 200, 2], [3, 4, 2, 80], [3, 1], [1, 2, 1, 2]],
  [[1, 3, 400, 1], [1, 3, 1, 700], [1, 1], [5, 5, 0, 0]],
  [[1, 1, 600, 1], [1, 1, 1, 900], [2, 1], [1, 1, 0, 0]],
];

/** dW[i, j, ci, co] = Σ x[b, oh·sh + i − top, ow·sw + j − left, ci] · dy[b, oh, ow, co], in float64 loops. */
function directFilterGradient(x: Float32Array, xShape: Shape4, dy: Float32Array, dyShape: Shape4, filterShape: Shape4, [sh, sw]: [number, number], [top, , left]: Pads): Float64Array {
  const [batch, height, width, ci] = xShape;
  const [, outHeight, outWidth, co] = dyShape;
  const [kh, kw] = filterShape;
  const dw = new Float64Array(kh * kw * ci * co);
  for (let b = 0; b < batch; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const dyRow = ((b * outHeight + oh) * outWidth + ow) * co;
        for (let i = 0; i < kh; i++) {
          const h = oh * sh + i - top;
          if (h < 0 || h >= height) continue;
          for (let j = 0; j < kw; j++) {
            const w = ow * sw + j - left;
            if (w < 0 || w >= width) continue;
            for (let c = 0; c < ci; c++) {
              const xv = x[((b * height + h) * width + w) * ci + c];
              const target = ((i * kw + j) * ci + c) * co;
              for (let o = 0; o < co; o++) dw[target + o] += xv * dy[dyRow + o];
            }
          }
        }
      }
    }
  }
  return dw;
}

/** The filter gradient on the cpu and the wasm backend; dy has the forward output's shape. */
async function filterGradients(xShape: Shape4, filterShape: Shape4, strides: [number, number], pad: Pad): Promise<{ cpu: Float32Array; wasm: Float32Array }> {
  const results: Record<string, Float32Array> = {};
  for (const name of ['cpu', 'wasm'] as const) {
    await initBackend(name);
    const x = filled(xShape, 0.1);
    const forward = tf.conv2d(x, tf.zeros(filterShape) as tf.Tensor4D, strides, pad);
    const dy = filled(forward.shape, 1.7);
    const before = tf.memory().numTensors;
    const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides, pad, dataFormat: 'NHWC', filterShape } as never) as tf.Tensor;
    expect(dw.shape).toEqual(filterShape);
    results[name] = dw.dataSync() as Float32Array;
    tf.dispose([dw]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, forward, dy]);
  }
  return { cpu: results.cpu, wasm: results.wasm };
}

describe('wasm Conv2DBackpropFilter', () => {
  it.each(CONV_CASES)('matches the cpu backend for x %j, filter %j, strides %j, pad %j', async (xShape, filterShape, strides, pad) => {
    const { cpu, wasm } = await filterGradients(xShape, filterShape, strides, pad);
    expect(maxRelativeError(wasm, cpu)).toBeLessThan(1e-4);
  });

  it.each(CONV_CASES)('through XNNPACK (where the GEMM module cannot run) matches the cpu backend for x %j, filter %j, strides %j, pad %j', async (xShape, filterShape, strides, pad) => {
    const { cpu } = await filterGradients(xShape, filterShape, strides, pad);
    const x = filled(xShape, 0.1);
    const dy = filled(tf.conv2d(x, tf.zeros(filterShape) as tf.Tensor4D, strides, pad).shape, 1.7);
    const backend = tf.backend() as unknown as WasmBackend;
    const dw = xnnpackFilterGradient(backend, x, dy, { strides, pad, filterShape });
    expect(maxRelativeError(backend.typedArrayFromHeap(dw), cpu)).toBeLessThan(1e-4);
    backend.disposeData(dw.dataId);
    tf.dispose([x, dy]);
  });

  it.each(CHUNKED_CASES)('matches direct summation, by GEMM and by XNNPACK in row chunks, for x %j, filter %j, strides %j, pads %j', async (xShape, filterShape, strides, pads) => {
    await initBackend('wasm');
    const [batch, height, width] = xShape;
    const [kh, kw, , co] = filterShape;
    const dyShape: Shape4 = [batch, Math.floor((height + pads[0] + pads[1] - kh) / strides[0]) + 1, Math.floor((width + pads[2] + pads[3] - kw) / strides[1]) + 1, co];
    expect(filterGradientRowsPerChunk(xShape[3], dyShape[1], dyShape[2], batch, co)).toBeLessThan(dyShape[1]);
    const x = filled(xShape, 0.1);
    const dy = filled(dyShape, 1.7);
    const before = tf.memory().numTensors;
    const pad = explicit(...pads);
    const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides, pad, dataFormat: 'NHWC', filterShape } as never) as tf.Tensor;
    const expected = directFilterGradient(x.dataSync() as Float32Array, xShape, dy.dataSync() as Float32Array, dyShape, filterShape, strides, pads);
    expect(dw.shape).toEqual(filterShape);
    const actual = dw.dataSync();
    const backend = tf.backend() as unknown as WasmBackend;
    const chunked = xnnpackFilterGradient(backend, x, dy, { strides, pad, filterShape });
    for (const values of [actual, backend.typedArrayFromHeap(chunked)]) {
      if (expected.every((v) => v === 0)) expect(Array.from(values).every((v) => v === 0)).toBe(true);
      else expect(maxRelativeError(values, expected)).toBeLessThan(1e-4);
    }
    backend.disposeData(chunked.dataId);
    tf.dispose([dw, x, dy]);
    expect(tf.memory().numTensors).toBe(before - 2);
  });

  it('gives the same filter gradient through tf.grad as the cpu backend', async () => {
    const grads: Record<string, Float32Array> = {};
    for (const name of ['cpu', 'wasm'] as const) {
      await initBackend(name);
      const x = filled([2, 11, 11, 3], 0.3);
      const w = filled([5, 5, 3, 4], 2.1);
      const g = tf.grad((filter: tf.Tensor) => tf.sum(tf.square(tf.conv2d(x, filter as tf.Tensor4D, 2, explicit(1, 1, 1, 1)))))(w);
      grads[name] = g.dataSync() as Float32Array;
      tf.dispose([x, w, g]);
    }
    expect(maxRelativeError(grads.wasm, grads.cpu)).toBeLessThan(1e-4);
  });
});
