import { convMatrix, randomArray, spectralNorm } from '../test-support/reference';
import { convSymbolBound, frequencyAxis, polyphaseTaps } from './conv-symbol-bound';

describe('the frequency grid', () => {
  it('is the circle a layer embeds in while that is small, and a corrected sample of the whole circle beyond', () => {
    expect(frequencyAxis(7, 3)).toEqual({ points: 9, kind: 'circular', correction: 1 });
    const sampled = frequencyAxis(22, 3);
    expect(sampled.kind).toBe('sampled');
    expect(sampled.points).toBeLessThan(24);
    // 1 − τ²(π/M)²/2 with τ = 1.
    expect(sampled.correction).toBeCloseTo(1 - (Math.PI / sampled.points) ** 2 / 2, 15);
    expect(sampled.correction).toBeGreaterThanOrEqual(0.99);
    // A single tap along an axis: the symbol is constant there, one frequency is exact.
    expect(frequencyAxis(40, 1)).toEqual({ points: 1, kind: 'sampled', correction: 1 });
  });
});

describe('the polyphase-symbol bound', () => {
  it('is the exact norm of the circular convolution it embeds the layer in (stride 1, SVD of the torus operator)', () => {
    const shape = [3, 3, 2, 3];
    const kernel = randomArray(3 * 3 * 2 * 3, 41);
    const out = [5, 4, 3];
    const bound = convSymbolBound(kernel, shape, [1, 1], out);
    expect(bound.axes.map((a) => [a.kind, a.points])).toEqual([['circular', 7], ['circular', 6]]);
    const torus = spectralNorm(convMatrix(kernel, shape, [7, 6], [7, 6], [1, 1], [0, 0, 0, 0], true));
    expect(bound.upper).toBeGreaterThanOrEqual(torus);
    expect(bound.upper).toBeLessThanOrEqual(torus * (1 + 1e-3));
    expect(bound.symbolLower).toBeLessThanOrEqual(torus * (1 + 1e-12));
  });

  it('covers a symbol peak that falls between the sampled frequencies (the Taylor correction is needed and enough)', () => {
    // K = ppᵀ with p = [1, −1, 1]: |K̂(ω)| = |2cos ω₁ − 1|·|2cos ω₂ − 1|, whose sup is 9 at ω = (π, π);
    // an odd number of samples per axis leaves π halfway between two of them.
    const p = [1, -1, 1];
    const kernel = Float32Array.from(p.flatMap((a) => p.map((b) => a * b)));
    const bound = convSymbolBound(kernel, [3, 3, 1, 1], [1, 1], [1000, 1000, 1]);
    const [axis] = bound.axes;
    expect(bound.axes.map((a) => a.kind)).toEqual(['sampled', 'sampled']);
    expect(axis.points % 2).toBe(1);
    const nearest = Math.abs(2 * Math.cos((2 * Math.PI * ((axis.points - 1) / 2)) / axis.points) - 1);
    const coarse = nearest * nearest;
    expect(coarse).toBeLessThan(9 * (1 - 1e-2));
    expect(bound.upper).toBeGreaterThanOrEqual(9);
    expect(bound.upper).toBeLessThanOrEqual((coarse / axis.correction ** 2) * (1 + 1e-3));
  });

  it('puts tap (u, v) of a strided kernel at sub-kernel (⌊u/s⌋, ⌊v/s⌋) and phase channel ((u mod s)·s + v mod s)·in + c', () => {
    const shape = [3, 2, 2, 2];
    const kernel = Float32Array.from({ length: 24 }, (_, i) => i + 1);
    const { values, shape: poly } = polyphaseTaps(kernel, shape, [2, 2]);
    expect(poly).toEqual([2, 1, 8, 2]);
    const at = (a: number, b: number, channel: number, o: number) => values[((a * poly[1] + b) * poly[2] + channel) * poly[3] + o];
    const tap = (u: number, v: number, c: number, o: number) => kernel[((u * 2 + v) * 2 + c) * 2 + o];
    expect(at(1, 0, ((0 * 2 + 1) * 2) + 1, 0)).toBe(tap(2, 1, 1, 0));
    expect(at(0, 0, ((1 * 2 + 0) * 2) + 0, 1)).toBe(tap(1, 0, 0, 1));
    // Phase (1, ·) has no tap at sub-kernel row 1 (u = 3 is past the kernel): zero.
    expect(at(1, 0, ((1 * 2 + 1) * 2) + 0, 0)).toBe(0);
    expect([...values].filter((v) => v !== 0).sort((a, b) => a - b)).toEqual([...kernel]);
  });
});
