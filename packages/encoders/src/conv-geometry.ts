import { UserInputError } from '@mmfuse/core';

/** Padding as configs write it: a mode, one number for every side, or [top, bottom, left, right]. */
export type PaddingOption = 'same' | 'valid' | number | [number, number, number, number];

export type Pair = [number, number];

export interface ConvLayerGeometry {
  readonly inShape: [number, number, number];
  readonly outShape: [number, number, number];
  readonly kernel: Pair;
  readonly stride: Pair;
  /** Explicit pads [top, bottom, left, right] (explicit pads avoid tfjs's 'same' pitfalls on wasm). */
  readonly pads: [number, number, number, number];
}

export const PADDING_SCHEMA = {
  description: "'same' (TensorFlow's), 'valid', one number for every side, or [top, bottom, left, right].",
  default: 1,
  anyOf: [
    { enum: ['same', 'valid'] },
    { type: 'integer', minimum: 0, maximum: 64 },
    { type: 'array', items: { type: 'integer', minimum: 0, maximum: 64 }, minItems: 4, maxItems: 4 },
  ],
};

export function pairSchema(description: string, defaultValue: number): Record<string, unknown> {
  return {
    description,
    default: defaultValue,
    anyOf: [
      { type: 'integer', minimum: 1, maximum: 64 },
      { type: 'array', items: { type: 'integer', minimum: 1, maximum: 64 }, minItems: 2, maxItems: 2 },
    ],
  };
}

export function toPair(value: number | number[]): Pair {
  return typeof value === 'number' ? [value, value] : [value[0], value[1]];
}

function samePads(size: number, kernel: number, stride: number): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + kernel - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

export function explicitPads(padding: PaddingOption, height: number, width: number, kernel: Pair, stride: Pair): [number, number, number, number] {
  if (padding === 'valid') return [0, 0, 0, 0];
  if (padding === 'same') return [...samePads(height, kernel[0], stride[0]), ...samePads(width, kernel[1], stride[1])];
  if (typeof padding === 'number') return [padding, padding, padding, padding];
  return [padding[0], padding[1], padding[2], padding[3]];
}

/**
 * The layer-by-layer shapes of a stack of convolutions on an `[h, w, c]` input. A layer that
 * would shrink the map to nothing is a config error naming the layer.
 */
export function convStack(inShape: readonly number[], channels: readonly number[], kernel: Pair, stride: Pair, padding: PaddingOption): ConvLayerGeometry[] {
  if (inShape.length !== 3) throw new UserInputError(`expects image samples of shape [height, width, channels], got [${inShape.join(', ')}]`);
  const layers: ConvLayerGeometry[] = [];
  let [h, w, c] = inShape as [number, number, number];
  channels.forEach((outChannels, i) => {
    const pads = explicitPads(padding, h, w, kernel, stride);
    const outH = Math.floor((h + pads[0] + pads[1] - kernel[0]) / stride[0]) + 1;
    const outW = Math.floor((w + pads[2] + pads[3] - kernel[1]) / stride[1]) + 1;
    if (outH < 1 || outW < 1) {
      throw new UserInputError(
        `layer ${i} (kernel ${kernel.join('×')}, stride ${stride.join('×')}) would turn a ${h}×${w} map into ${outH}×${outW}; use fewer "channels" entries, a smaller stride or a larger image`,
      );
    }
    layers.push({ inShape: [h, w, c], outShape: [outH, outW, outChannels], kernel, stride, pads });
    [h, w, c] = [outH, outW, outChannels];
  });
  return layers;
}
