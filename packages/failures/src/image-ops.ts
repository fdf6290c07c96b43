// Pixel operations the image failures are made of: blurs, bilinear sampling, blending, hue shifts.
import { ImageDims } from './failure-support';

/** Normalised 1-D Gaussian weights for offsets −radius … radius (they sum to 1). */
export function gaussianKernel(sigma: number, radius: number): Float64Array {
  const weights = new Float64Array(2 * radius + 1);
  let total = 0;
  for (let k = -radius; k <= radius; k++) total += weights[k + radius] = Math.exp(-(k * k) / (2 * sigma * sigma));
  for (let k = 0; k < weights.length; k++) weights[k] /= total;
  return weights;
}

/** Source index for each tap of each output position along an axis of `length`, edges replicated. */
export function clampedTaps(length: number, radius: number): Int32Array {
  const taps = new Int32Array(length * (2 * radius + 1));
  for (let i = 0; i < length; i++) {
    for (let k = -radius; k <= radius; k++) taps[i * (2 * radius + 1) + k + radius] = Math.min(length - 1, Math.max(0, i + k));
  }
  return taps;
}

/** Separable Gaussian blur in place, edges replicated (so a constant image stays constant). */
export function blur(image: Float32Array, dims: ImageDims, sigma: number, radius: number): void {
  const { height, width, channels } = dims;
  const kernel = gaussianKernel(sigma, radius);
  const size = kernel.length;
  // Clamped indices are tabulated once, keeping the inner loops free of branches and calls.
  const columnTaps = clampedTaps(width, radius);
  const rowTaps = clampedTaps(height, radius);
  const rows = new Float32Array(image.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let k = 0; k < size; k++) sum += kernel[k] * image[(y * width + columnTaps[x * size + k]) * channels + c];
        rows[(y * width + x) * channels + c] = sum;
      }
    }
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let k = 0; k < size; k++) sum += kernel[k] * rows[(rowTaps[y * size + k] * width + x) * channels + c];
        image[(y * width + x) * channels + c] = sum;
      }
    }
  }
}

/** Bilinear sample of channel c at a fractional position, edges replicated. */
export function sampleBilinear(image: Float32Array, dims: ImageDims, x: number, y: number, c: number): number {
  const { height, width, channels } = dims;
  const cx = Math.min(width - 1, Math.max(0, x));
  const cy = Math.min(height - 1, Math.max(0, y));
  const x0 = Math.floor(cx);
  const y0 = Math.floor(cy);
  const x1 = Math.min(width - 1, x0 + 1);
  const y1 = Math.min(height - 1, y0 + 1);
  const fx = cx - x0;
  const fy = cy - y0;
  const at = (px: number, py: number) => image[(py * width + px) * channels + c];
  const top = at(x0, y0) + fx * (at(x1, y0) - at(x0, y0));
  const bottom = at(x0, y1) + fx * (at(x1, y1) - at(x0, y1));
  return top + fy * (bottom - top);
}

/** Calls `visit(x, y, distance)` for every pixel within `reach` of (cx, cy). */
export function forEachPixelNear(dims: ImageDims, cx: number, cy: number, reach: number, visit: (x: number, y: number, distance: number) => void): void {
  const x0 = Math.max(0, Math.floor(cx - reach));
  const x1 = Math.min(dims.width - 1, Math.ceil(cx + reach));
  const y0 = Math.max(0, Math.floor(cy - reach));
  const y1 = Math.min(dims.height - 1, Math.ceil(cy + reach));
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const distance = Math.hypot(x - cx, y - cy);
      if (distance <= reach) visit(x, y, distance);
    }
  }
}

/** Alpha-blends a grey level over one pixel: a convex combination, so it stays in [0, 1]. */
export function blendGrey(image: Float32Array, dims: ImageDims, x: number, y: number, level: number, alpha: number): void {
  const base = (y * dims.width + x) * dims.channels;
  for (let c = 0; c < dims.channels; c++) image[base + c] += alpha * (level - image[base + c]);
}

/** A colour per channel: the RGB tint for colour images, its mean for other channel counts. */
export function tintFor(dims: ImageDims, rgb: readonly [number, number, number]): number[] {
  return dims.channels === 3 ? [...rgb] : Array.from({ length: dims.channels }, () => (rgb[0] + rgb[1] + rgb[2]) / 3);
}

export function luminance(image: Float32Array, base: number, channels: number): number {
  if (channels === 3) return 0.299 * image[base] + 0.587 * image[base + 1] + 0.114 * image[base + 2];
  let sum = 0;
  for (let c = 0; c < channels; c++) sum += image[base + c];
  return sum / channels;
}

/** Rotates the hue of every RGB pixel by `shift` turns (HSV round trip). */
export function shiftHue(image: Float32Array, shift: number): void {
  for (let base = 0; base < image.length; base += 3) {
    const r = image[base];
    const g = image[base + 1];
    const b = image[base + 2];
    const max = Math.max(r, g, b);
    const chroma = max - Math.min(r, g, b);
    if (chroma === 0) continue;
    let hue = max === r ? (g - b) / chroma : max === g ? 2 + (b - r) / chroma : 4 + (r - g) / chroma;
    hue = (((hue / 6 + shift) % 1) + 1) % 1;
    const sector = hue * 6;
    const rgb = [0, 0, 0];
    // hsv → rgb with value max and chroma kept.
    const secondary = chroma * (1 - Math.abs((sector % 2) - 1));
    const i = Math.floor(sector) % 6;
    const [hi, mid] = [[0, 1], [1, 0], [1, 2], [2, 1], [2, 0], [0, 2]][i];
    rgb[hi] = chroma;
    rgb[mid] = secondary;
    const m = max - chroma;
    for (let c = 0; c < 3; c++) image[base + c] = rgb[c] + m;
  }
}
