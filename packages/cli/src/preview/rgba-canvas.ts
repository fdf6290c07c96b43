/** An RGB colour, each component 0–255. */
export type Rgb = readonly [number, number, number];

/** An opaque RGBA raster (row-major, 4 bytes a pixel) with the few drawing operations a contact sheet needs. */
export class RgbaCanvas {
  readonly rgba: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb,
  ) {
    this.rgba = new Uint8Array(width * height * 4);
    this.fillRect(0, 0, width, height, background);
  }

  /** Sets one pixel; points outside the canvas are ignored, so callers need not clip. */
  setPixel(x: number, y: number, colour: Rgb): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (y * this.width + x) * 4;
    this.rgba[i] = colour[0];
    this.rgba[i + 1] = colour[1];
    this.rgba[i + 2] = colour[2];
    this.rgba[i + 3] = 255;
  }

  pixel(x: number, y: number): Rgb {
    const i = (y * this.width + x) * 4;
    return [this.rgba[i], this.rgba[i + 1], this.rgba[i + 2]];
  }

  fillRect(x: number, y: number, width: number, height: number, colour: Rgb): void {
    const x0 = Math.max(0, x);
    const y0 = Math.max(0, y);
    const x1 = Math.min(this.width, x + width);
    const y1 = Math.min(this.height, y + height);
    for (let py = y0; py < y1; py++) for (let px = x0; px < x1; px++) this.setPixel(px, py, colour);
  }

  /** A one-pixel outline whose outer edge is the given rectangle. */
  strokeRect(x: number, y: number, width: number, height: number, colour: Rgb): void {
    this.fillRect(x, y, width, 1, colour);
    this.fillRect(x, y + height - 1, width, 1, colour);
    this.fillRect(x, y, 1, height, colour);
    this.fillRect(x + width - 1, y, 1, height, colour);
  }

  /** A one-pixel line between two integer points (Bresenham). */
  line(x0: number, y0: number, x1: number, y1: number, colour: Rgb): void {
    const dx = Math.abs(x1 - x0);
    const dy = -Math.abs(y1 - y0);
    const sx = x0 < x1 ? 1 : -1;
    const sy = y0 < y1 ? 1 : -1;
    let error = dx + dy;
    let x = x0;
    let y = y0;
    for (;;) {
      this.setPixel(x, y, colour);
      if (x === x1 && y === y1) return;
      const twice = 2 * error;
      if (twice >= dy) {
        error += dy;
        x += sx;
      }
      if (twice <= dx) {
        error += dx;
        y += sy;
      }
    }
  }
}
