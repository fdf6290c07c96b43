import { existsSync, readFileSync, realpathSync, statSync } from 'fs';
import { checkInsideRoot, listDataFolder } from '@mmfuse/data';
import { join } from 'path';
import { decode as decodeJpeg } from 'jpeg-js';
import { PNG } from 'pngjs';
import { UserInputError } from '@mmfuse/core';
import { parseTime, TimeUnit } from './csv-series';

/** Natural order, so that frame_2 comes before frame_10. */
export const naturalCompare = new Intl.Collator('en', { numeric: true }).compare;

export interface ImageFile {
  file: string;
  /** From the file name; undefined when frames are timed by their index. */
  timeNs?: bigint;
}

export interface FrameListing {
  /** Image files matching `pattern`; frames timed by name are sorted by time, others by name. */
  pattern: RegExp;
  /** Timestamp in the file name (first capture group, or the whole match); undefined: by index. */
  timestampPattern?: RegExp;
  timeUnit: TimeUnit;
  /** The data folder the frames must lie in, and whether links may lead out of it. */
  root: string;
  followLinksOutside: boolean;
}

/** The image files of one folder, in time order. */
export function listImageFiles(folder: string, listing: FrameListing): ImageFile[] {
  if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new UserInputError(`${folder}: missing image folder`);
  if (!listing.followLinksOutside) checkInsideRoot(folder, realpathSync(listing.root), listing.root, 'data.followLinksOutside');
  const names = listDataFolder(folder, listing.root, listing.followLinksOutside, 'data.followLinksOutside')
    .filter((name) => listing.pattern.test(name))
    .sort(naturalCompare);
  if (names.length === 0) throw new UserInputError(`${folder}: no image file matches /${listing.pattern.source}/`);
  const files: ImageFile[] = names.map((name) => {
    const file = join(folder, name);
    if (!listing.timestampPattern) return { file };
    const match = listing.timestampPattern.exec(name);
    const text = match ? (match[1] ?? match[0]) : undefined;
    const timeNs = text === undefined ? undefined : parseTime(text, listing.timeUnit);
    if (timeNs === undefined) throw new UserInputError(`${file}: no timestamp in the file name (looked for /${listing.timestampPattern.source}/)`);
    return { file, timeNs };
  });
  if (listing.timestampPattern) {
    files.sort((a, b) => (a.timeNs! < b.timeNs! ? -1 : a.timeNs! > b.timeNs! ? 1 : 0));
    for (let i = 1; i < files.length; i++) {
      if (files[i].timeNs === files[i - 1].timeNs) throw new UserInputError(`${files[i].file}: same timestamp as ${files[i - 1].file}`);
    }
  }
  return files;
}

export interface DecodedImage {
  width: number;
  height: number;
  /** 8-bit RGBA, row-major. */
  rgba: Uint8Array;
}

/** Decodes a PNG or JPEG file, recognised by its first bytes rather than its extension. */
export function decodeImage(file: string): DecodedImage {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new UserInputError(`${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const isPng = bytes.length >= 8 && bytes.readUInt32BE(0) === 0x89504e47;
  const isJpeg = bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  if (!isPng && !isJpeg) throw new UserInputError(`${file}: neither a PNG nor a JPEG image (${bytes.length} bytes)`);
  try {
    if (isPng) {
      const png = PNG.sync.read(bytes);
      return { width: png.width, height: png.height, rgba: png.data };
    }
    const jpeg = decodeJpeg(bytes, { useTArray: true, formatAsRGBA: true });
    if (jpeg.width * jpeg.height * 4 !== jpeg.data.length) throw new Error('incomplete pixel data');
    return { width: jpeg.width, height: jpeg.height, rgba: jpeg.data };
  } catch (error) {
    throw new UserInputError(`${file}: damaged ${isPng ? 'PNG' : 'JPEG'} image (${(error as Error).message})`);
  }
}

/** A rectangle of the source image in pixels: x, y, width, height. */
export type Crop = readonly [number, number, number, number];

/**
 * Source pixels and weights for each of `outputs` pixels resampling `inputs` pixels: the average
 * over the output pixel's footprint when shrinking (no aliasing), bilinear when enlarging. Equal
 * sizes give the identity.
 */
function resampleWeights(inputs: number, outputs: number): Array<Array<[number, number]>> {
  const scale = inputs / outputs;
  return Array.from({ length: outputs }, (_, o) => {
    if (scale >= 1) {
      const start = o * scale;
      const end = (o + 1) * scale;
      const taps: Array<[number, number]> = [];
      for (let i = Math.floor(start); i < Math.min(inputs, Math.ceil(end)); i++) {
        const overlap = Math.min(end, i + 1) - Math.max(start, i);
        if (overlap > 1e-12) taps.push([i, overlap / scale]);
      }
      return taps;
    }
    const centre = Math.min(Math.max((o + 0.5) * scale - 0.5, 0), inputs - 1);
    const left = Math.floor(centre);
    const right = Math.min(left + 1, inputs - 1);
    const fraction = centre - left;
    return fraction === 0 ? [[left, 1]] : [[left, 1 - fraction], [right, fraction]];
  });
}

/**
 * Writes the `crop` of an RGBA image, resized to `size`×`size` RGB in [0, 1], into `out` at
 * `offset` (separable: rows first, then columns).
 */
export function resizeInto(image: DecodedImage, crop: Crop, size: number, out: Float32Array, offset: number): void {
  const [x0, y0, width, height] = crop;
  const across = resampleWeights(width, size);
  const down = resampleWeights(height, size);
  const rows = new Float64Array(height * size * 3);
  for (let y = 0; y < height; y++) {
    const source = ((y0 + y) * image.width + x0) * 4;
    for (let x = 0; x < size; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (const [i, w] of across[x]) {
        const p = source + i * 4;
        r += w * image.rgba[p];
        g += w * image.rgba[p + 1];
        b += w * image.rgba[p + 2];
      }
      const q = (y * size + x) * 3;
      rows[q] = r;
      rows[q + 1] = g;
      rows[q + 2] = b;
    }
  }
  for (let y = 0; y < size; y++) {
    for (let k = 0; k < size * 3; k++) {
      let sum = 0;
      for (const [i, w] of down[y]) sum += w * rows[i * size * 3 + k];
      out[offset + y * size * 3 + k] = sum / 255;
    }
  }
}
