/** A decoded PNG for tests: pngjs (hoisted in the workspace) when it resolves, else the header only. */
export interface ReadPng {
  width: number;
  height: number;
  /** RGBA pixels; absent when pngjs is not installed and only the header could be checked. */
  data?: Buffer;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

type PngJs = { PNG: { sync: { read(buffer: Buffer): { width: number; height: number; data: Buffer } } } };

function loadPngJs(): PngJs | undefined {
  try {
    return require('pngjs') as PngJs;
  } catch {
    return undefined;
  }
}

export function readPng(bytes: Buffer): ReadPng {
  const pngjs = loadPngJs();
  if (pngjs) return pngjs.PNG.sync.read(bytes);
  if (!bytes.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG: bad signature');
  if (bytes.toString('ascii', 12, 16) !== 'IHDR') throw new Error('not a PNG: no IHDR chunk first');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** Pixels that are not near-white: a rendered drawing has many. */
export function colouredPixels(png: ReadPng): number {
  if (!png.data) return Number.POSITIVE_INFINITY;
  let coloured = 0;
  for (let i = 0; i < png.data.length; i += 4) if (png.data[i] < 200 || png.data[i + 1] < 200 || png.data[i + 2] < 200) coloured++;
  return coloured;
}
