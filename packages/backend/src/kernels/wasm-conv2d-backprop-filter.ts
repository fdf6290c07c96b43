import { backend_util, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { heapF32, heapIndex, runWasmKernel, stride1Conv, WasmBackend } from './wasm-backend-access';
import { ConvAttrs, gradientGeometry } from './wasm-conv2d';
import { convGemm, gemmConv2dFilterGrad } from './wasm-conv-gemm';

/**
 * [B, H, W, C] → [C, rows, W, B], rows `firstRow …` of x (all by default). The stock wasm Transpose takes ~80 ms on a 32×63×63×64 tensor;
 * this loop writes each output row (B contiguous values) while reading rows of C, all in cache.
 */
function swapBatchAndChannels(backend: WasmBackend, x: TensorInfo, firstRow = 0, rows = x.shape[1]): TensorInfo {
  const [batch, height, width, channels] = x.shape;
  const spatial = rows * width;
  const out = backend.makeOutput([channels, rows, width, batch], 'float32');
  const heap = heapF32(backend);
  const src = heapIndex(backend, x) + firstRow * width * channels;
  const dst = heapIndex(backend, out);
  const sampleStride = height * width * channels;
  for (let p = 0; p < spatial; p++) {
    for (let b = 0; b < batch; b++) {
      const from = src + b * sampleStride + p * channels;
      const to = dst + p * batch + b;
      for (let c = 0; c < channels; c++) heap[to + c * spatial * batch] = heap[from + c];
    }
  }
  return out;
}

/** [B, H, W, C] → [rows, W, B, C], rows `firstRow …` of x: whole rows of C values move, each one block copy. */
function batchInside(backend: WasmBackend, x: TensorInfo, firstRow = 0, rows = x.shape[1]): TensorInfo {
  const [batch, height, width, channels] = x.shape;
  const spatial = rows * width;
  const out = backend.makeOutput([rows, width, batch, channels], 'float32');
  const heap = heapF32(backend);
  const src = heapIndex(backend, x) + firstRow * width * channels;
  const dst = heapIndex(backend, out);
  const sampleStride = height * width * channels;
  for (let b = 0; b < batch; b++) {
    for (let p = 0; p < spatial; p++) {
      const from = src + b * sampleStride + p * channels;
      heap.copyWithin(dst + (p * batch + b) * channels, from, from + channels);
    }
  }
  return out;
}

/**
 * Rows of dy per convolution. With few input channels XNNPACK's output (Ci·kh·kw pixels) is small
 * and the cost is in packing dy as its weights and streaming them: dy of paper-128's first layer
 * is 32 MB. In chunks of about 2 MB the packed weights stay in cache (~25 % faster there); with
 * many input channels one convolution is as fast and chunks only add overhead.
 */
export function filterGradientRowsPerChunk(inChannels: number, outHeight: number, outWidth: number, batch: number, outChannels: number): number {
  if (inChannels >= 16) return outHeight;
  return Math.max(1, Math.min(outHeight, Math.floor((1 << 19) / (outWidth * batch * outChannels))));
}

type FilterGradientAttrs = ConvAttrs & { filterShape: [number, number, number, number] };

/**
 * Filter gradient of a 2-D convolution for the wasm backend, which ships no such kernel:
 * dW[kh, kw, ci, co] = Σ_{b, oh, ow} x[b, oh·s + kh − pad, ow·s + kw − pad, ci] · dy[b, oh, ow, co],
 * a GEMM over output pixels done by mmfuse's kernels (wasm-conv-gemm.ts), or by XNNPACK where
 * those cannot share the backend's heap.
 */
const conv2DBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const parsed = attrs as unknown as FilterGradientAttrs;
  const g = gradientGeometry('Conv2DBackpropFilter', x.shape, parsed.filterShape, parsed);
  const wasm = backend as unknown as WasmBackend;
  const kernels = convGemm(wasm);
  return kernels ? gemmConv2dFilterGrad(wasm, kernels, x, dy, g) : xnnpackFilterGradient(wasm, x, dy, parsed);
};

/**
 * The filter gradient through XNNPACK, for backends whose heap mmfuse's GEMM module cannot share.
 *
 * dW[kh, kw, ci, co] = Σ_{b, oh, ow} x[b, oh·s + kh − pad, ow·s + kw − pad, ci] · dy[b, oh, ow, co]
 * is itself one stride-1 convolution: x with batch and channel axes swapped ([Ci, H, W, B]) as the
 * input, dy as a filter ([OH, OW, B, Co]) dilated by the forward stride, and the forward's pads.
 * That keeps the work inside XNNPACK's fast convolution instead of an im2col in JavaScript. With few
 * input channels it runs per chunk of dy rows (each with the rows of x they meet) and sums the parts.
 */
export function xnnpackFilterGradient(wasm: WasmBackend, x: TensorInfo, dy: TensorInfo, attrs: FilterGradientAttrs): TensorInfo {
  const { strides, pad, dimRoundingMode, filterShape } = attrs;
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
  const [batch, height, width, inChannels] = x.shape;
  const [, outHeight, outWidth, outChannels] = dy.shape;
  const size = kh * kw * inChannels * outChannels;
  const { top, left } = info.padInfo;
  // Pads on the far side only as large as the forward pass actually read; columns it skipped are cut.
  const right = Math.max(0, kw + (outWidth - 1) * info.strideWidth - width - left);

  const { strideHeight: sh, strideWidth: sw } = info;
  const chunk = filterGradientRowsPerChunk(inChannels, outHeight, outWidth, batch, outChannels);
  let out: TensorInfo | undefined;
  for (let first = 0; first < outHeight; first += chunk) {
    const rows = Math.min(chunk, outHeight - first);
    // Rows of x that dy rows [first, first + rows) meet, in x's own coordinates, and the pads
    // standing in for the rows outside x.
    const from = sh * first - top;
    const to = sh * (first + rows - 1) + kh - top;
    const xCount = Math.min(height, to) - Math.max(0, from);
    // Rows that only meet padding contribute nothing.
    if (xCount <= 0) continue;
    const xRows = swapBatchAndChannels(wasm, x, Math.max(0, from), xCount);
    const dyRows = batchInside(wasm, dy, first, rows);
    let part = stride1Conv(wasm, xRows, dyRows, [Math.max(0, -from), Math.max(0, to - height), left, right], [sh, sw]);
    wasm.disposeData(xRows.dataId);
    wasm.disposeData(dyRows.dataId);
    if (part.shape[1] !== kh || part.shape[2] !== kw) {
      const cut = runWasmKernel(wasm, 'Slice', { x: part }, { begin: [0, 0, 0, 0], size: [part.shape[0], kh, kw, part.shape[3]] });
      wasm.disposeData(part.dataId);
      part = cut;
    }
    if (out === undefined) {
      out = part;
    } else {
      const heap = heapF32(wasm);
      const sum = heapIndex(wasm, out);
      const add = heapIndex(wasm, part);
      for (let i = 0; i < size; i++) heap[sum + i] += heap[add + i];
      wasm.disposeData(part.dataId);
    }
  }
  if (out === undefined) return wasm.makeOutput(filterShape, 'float32', undefined, new Float32Array(size));
  const result = runWasmKernel(wasm, 'Transpose', { x: out }, { perm: [1, 2, 0, 3] });
  wasm.disposeData(out.dataId);
  return result;
}

export const wasmConv2DBackpropFilterConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter,
};
