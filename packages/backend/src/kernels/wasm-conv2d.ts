import { backend_util, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { WasmBackend } from './wasm-backend-access';
import { convGemm, ConvGeometry, gemmConv2d } from './wasm-conv-gemm';

/**
 * Whether the GEMM kernels should run a convolution with this many output channels. They compute
 * whole panels of 8 channels; where more than a fifth of that work would be padding (3 channels:
 * 8/3, 12: 16/12), XNNPACK's convolution was faster on paper-128's stacked 12-channel phases
 * (78–82 ms against 91–122).
 */
export function gemmSuitsOutChannels(outChannels: number): boolean {
  return outChannels > 0 && Math.ceil(outChannels / 8) * 8 <= 1.2 * outChannels;
}

export interface ConvAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: [number, number] | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** The geometry of a forward convolution `x ⊛ filter` from its attributes. */
export function forwardGeometry(xShape: number[], filterShape: number[], attrs: ConvAttrs): ConvGeometry {
  const info = backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  return {
    batch: info.batchSize,
    height: info.inHeight,
    width: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: info.outChannels,
    kh: info.filterHeight,
    kw: info.filterWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    dh: info.dilationHeight,
    dw: info.dilationWidth,
    top: info.padInfo.top,
    left: info.padInfo.left,
  };
}

/**
 * The geometry of the forward convolution behind one of its gradient kernels, which tfjs defines
 * for NHWC and without dilation.
 */
export function gradientGeometry(kernel: string, xShape: number[], filterShape: number[], attrs: ConvAttrs): ConvGeometry {
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC') throw new Error(`${kernel} on wasm supports NHWC only, got ${attrs.dataFormat}`);
  return forwardGeometry(xShape, filterShape, { ...attrs, dilations: 1 });
}

/**
 * Conv2D on wasm through mmfuse's GEMM kernels (wasm-conv-gemm.ts) for NHWC float32 convolutions
 * whose output channels fill the 8-wide panels; everything else goes to the stock (XNNPACK) kernel captured
 * before this one replaced it. The backward kernels' stride-1 convolutions come here too.
 */
export function conv2DConfig(stock: KernelConfig | undefined): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
    const attrs = args.attrs as unknown as ConvAttrs;
    const backend = args.backend as unknown as WasmBackend;
    const kernels = convGemm(backend);
    const eligible = kernels !== undefined && (attrs.dataFormat ?? 'NHWC') === 'NHWC' && x.dtype === 'float32' && filter.dtype === 'float32' && gemmSuitsOutChannels(filter.shape[3]);
    if (eligible) return gemmConv2d(backend, kernels, x, filter, forwardGeometry(x.shape, filter.shape, attrs));
    if (!stock) throw new Error('the wasm backend has no stock Conv2D kernel to fall back on');
    return stock.kernelFunc(args);
  };
  // The stock kernel binds its wasm function in its setup, which must still run for the fallback.
  return { kernelName: 'Conv2D', backendName: 'wasm', kernelFunc, setupFunc: stock?.setupFunc };
}
