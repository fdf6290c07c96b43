/**
 * A small seeded generator (mulberry32, 32-bit state) for the random choices the analysis makes:
 * which points to fit on, which pairs feed the median heuristic, the Krylov start block, bootstrap
 * resamples and Monte-Carlo permutations. Kept here rather than taken from @mmfuse/core so that
 * this package stays free of TensorFlow; its period of 2³² is far beyond the draws these need.
 */
export function seededUniform(seed: number): () => number {
  let state = (seed >>> 0) ^ 0x9e3779b9;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` distinct indices from 0..n-1, chosen by a seeded partial Fisher–Yates shuffle and returned in ascending order. */
export function sampleIndices(n: number, count: number, seed: number): Int32Array {
  if (count >= n) return Int32Array.from({ length: n }, (_, i) => i);
  const uniform = seededUniform(seed);
  const pool = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(uniform() * (n - i));
    const swap = pool[i];
    pool[i] = pool[j];
    pool[j] = swap;
  }
  return pool.slice(0, count).sort();
}

/** A 32-bit seed from a text (FNV-1a), so that e.g. each claim gets its own reproducible stream. */
export function seedFromText(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}
