import seedrandom from 'seedrandom';

/** A seeded source of uniform numbers in [0, 1); all randomness in mmfuse flows from one of these. */
export interface Rng {
  (): number;
  /** The generator's state, to continue the same stream later (checkpoints). */
  state(): RngState;
}

/** Serialisable state of an Rng (JSON-safe). */
export type RngState = object;

/** A stream from `seed`, or continued from a saved `state` of a stream made with the same seed. */
export function createRng(seed: number | string, state?: RngState): Rng {
  return seedrandom(String(seed), { state: (state ?? true) as seedrandom.State.Arc4 | boolean }) as unknown as Rng;
}

/**
 * A child seed derived from a parent seed and labels (trial index, component name, ...), so that
 * independent parts of a run get independent but reproducible streams (FNV-1a over the labels).
 */
export function deriveSeed(seed: number, ...labels: Array<string | number>): number {
  let hash = 0x811c9dc5 ^ (seed >>> 0);
  for (const label of labels) {
    const text = `/${label}`;
    for (let i = 0; i < text.length; i++) {
      hash ^= text.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193);
    }
    hash ^= hash >>> 15;
  }
  return hash >>> 0;
}

/** A standard normal sample (Box-Muller). */
export function normal(rng: Rng): number {
  let u = 0;
  while (u === 0) u = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** Fisher-Yates shuffle of 0..n-1. */
export function permutation(n: number, rng: Rng): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}
