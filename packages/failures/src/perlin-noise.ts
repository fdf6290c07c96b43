import { permutation, Rng } from '@mmfuse/core';

/** Eight unit gradient directions, 45° apart. */
const GRADIENTS: ReadonlyArray<readonly [number, number]> = Array.from({ length: 8 }, (_, k) => [Math.cos((k * Math.PI) / 4), Math.sin((k * Math.PI) / 4)] as const);

/** Perlin's quintic fade 6t⁵ − 15t⁴ + 10t³: zero first and second derivative at the lattice. */
function fade(t: number): number {
  return t * t * t * (t * (t * 6 - 15) + 10);
}

/**
 * Classic 2-D Perlin gradient noise from a shuffled lattice: a random unit gradient at every
 * integer point, blended with the quintic fade. Continuous, zero at every integer point, roughly
 * within [−1, 1] (scaled by √2 from the ±√½ range of unit gradients); period 256 in x and y.
 */
export function createPerlinNoise2D(rng: Rng): (x: number, y: number) => number {
  const order = permutation(256, rng);
  const hash = new Uint8Array(512);
  for (let i = 0; i < 512; i++) hash[i] = order[i & 255];
  const corner = (ix: number, iy: number, dx: number, dy: number) => {
    const g = GRADIENTS[hash[hash[ix & 255] + (iy & 255)] & 7];
    return g[0] * dx + g[1] * dy;
  };
  return (x, y) => {
    const x0 = Math.floor(x);
    const y0 = Math.floor(y);
    const dx = x - x0;
    const dy = y - y0;
    const u = fade(dx);
    const v = fade(dy);
    const n00 = corner(x0, y0, dx, dy);
    const n10 = corner(x0 + 1, y0, dx - 1, dy);
    const n01 = corner(x0, y0 + 1, dx, dy - 1);
    const n11 = corner(x0 + 1, y0 + 1, dx - 1, dy - 1);
    const bottom = n00 + u * (n10 - n00);
    const top = n01 + u * (n11 - n01);
    return Math.SQRT2 * (bottom + v * (top - bottom));
  };
}
