import { backend_util, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { heapF32, heapIndex, runWasmKernel, stride1Conv, WasmBackend } from './wasm-backend-access';

/**
 * [B, H, W, C] → [C, H, W, B]. The stock wasm Transpose takes ~80 ms on a 32×63×63×64 tensor;
 * this loop writes each output row (B contiguous values) while reading rows of C, all in cache.
 */
function swapBatchAndChannels(backend: WasmBackend, x: TensorInfo): TensorInfo {
  const [batch, height, width, channels] = x.shape;
  const spatial = height * width;
  const out = backend.makeOutput([channels, height, width, batch], 'float32');
  const heap = heapF32(backend);
  const src = heapIndex(backend, x);
  const dst = heapIndex(backend, out);
  for (let p = 0; p < spatial; p++) {
    for (let b = 0; b < batch; b++) {
      const from = src + (b * spatial + p) * channels;
      const to = dst + p * batch + b;
      for (let c = 0; c < channels; c++) heap[to + c * spatial * batch] = heap[from + c];
    }
  }
  return out;
}

/** [B, H, W, C] → [H, W, B, C]: whole rows of C values move, so each is one block copy. */
function batchInside(backend: WasmBackend, x: TensorInfo): TensorInfo {
  const [batch, height, width, channels] = x.shape;
  const spatial = height * width;
  const out = backend.makeOutput([height, width, batch, channels], 'float32');
  const heap = heapF32(backend);
  const src = heapIndex(backend, x);
  const dst = heapIndex(backend, out);
  for (let b = 0; b < batch; b++) {
    for (let p = 0; p < spatial; p++) {
      const from = src + (b * spatial + p) * channels;
      heap.copyWithin(dst + (p * batch + b) * channels, from, from + channels);
    }
  }
  return out;
}

/**
 * Filter gradient of a 2-D convolution for the wasm backend, which ships no such kernel.
 *
 * dW[kh, kw, ci, co] = Σ_{b, oh, ow} x[b, oh·s + kh − pad, ow·s + kw − pad, ci] · dy[b, oh, ow, co]
 * is itself one stride-1 convolution: x with batch and channel axes swapped ([Ci, H, W, B]) as the
 * input, dy as a filter ([OH, OW, B, Co]) dilated by the forward stride, and the forward's pads.
 * That keeps the work inside XNNPACK's fast convolution instead of an im2col in JavaScript.
 */
const conv2DBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dimRoundingMode, filterShape, dataFormat } = attrs as unknown as {
    strides: [number, number] | number;
    pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    filterShape: [number, number, number, number];
    dataFormat: 'NHWC' | 'NCHW';
  };
  if (dataFormat !== undefined && dataFormat !== 'NHWC') {
    throw new Error(`Conv2DBackpropFilter on wasm supports NHWC only, got ${dataFormat}`);
  }
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  const [kh, kw] = filterShape;
  const [, height, width] = x.shape;
  const [, outHeight, outWidth] = dy.shape;
  const { top, left } = info.padInfo;
  // Pads on the far side only as large as the forward pass actually read; rows it skipped are cut.
  const bottom = Math.max(0, kh + (outHeight - 1) * info.strideHeight - height - top);
  const right = Math.max(0, kw + (outWidth - 1) * info.strideWidth - width - left);

  const wasm = backend as unknown as WasmBackend;
  const xT = swapBatchAndChannels(wasm, x);
  const dyT = batchInside(wasm, dy);
  let out = stride1Conv(wasm, xT, dyT, [top, bottom, left, right], [info.strideHeight, info.strideWidth]);
  wasm.disposeData(xT.dataId);
  wasm.disposeData(dyT.dataId);
  if (out.shape[1] !== kh || out.shape[2] !== kw) {
    const cut = runWasmKernel(wasm, 'Slice', { x: out }, { begin: [0, 0, 0, 0], size: [out.shape[0], kh, kw, out.shape[3]] });
    wasm.disposeData(out.dataId);
    out = cut;
  }
  const result = runWasmKernel(wasm, 'Transpose', { x: out }, { perm: [1, 2, 0, 3] });
  wasm.disposeData(out.dataId);
  return result;
};

export const wasmConv2DBackpropFilterConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter,
};
