import { createRng, deriveSeed, normal, permutation } from './random';
import { closestName, didYouMean } from './suggest';

describe('seeded randomness', () => {
  it('repeats a stream for the same seed and differs for another', () => {
    const a = createRng(7);
    const b = createRng(7);
    const c = createRng(8);
    const xs = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(xs);
    expect(c()).not.toBe(xs[0]);
  });

  it('continues a stream from its saved state', () => {
    const a = createRng(5);
    a();
    a();
    const saved = JSON.parse(JSON.stringify(a.state()));
    const next = [a(), a(), a()];
    const resumed = createRng(5, saved);
    expect([resumed(), resumed(), resumed()]).toEqual(next);
  });

  it('derives distinct, stable child seeds from labels', () => {
    expect(deriveSeed(1, 'trial', 0)).toBe(deriveSeed(1, 'trial', 0));
    const seeds = new Set([deriveSeed(1, 'trial', 0), deriveSeed(1, 'trial', 1), deriveSeed(2, 'trial', 0), deriveSeed(1, 'trial0')]);
    expect(seeds.size).toBe(4);
  });

  it('draws standard normals (mean 0, variance 1 within sampling error)', () => {
    const rng = createRng(3);
    const n = 20000;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const x = normal(rng);
      sum += x;
      sq += x * x;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.03);
    expect(Math.abs(sq / n - 1)).toBeLessThan(0.04);
  });

  it('shuffles into a permutation', () => {
    const p = Array.from(permutation(50, createRng(1)));
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(p).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});

describe('name suggestions', () => {
  it('finds near misses only', () => {
    expect(closestName('atention', ['sum', 'concat', 'attention'])).toBe('attention');
    expect(closestName('Concat', ['sum', 'concat'])).toBe('concat');
    expect(closestName('learningrate', ['learningRate', 'epochs'])).toBe('learningRate');
    expect(closestName('banana', ['sum', 'concat'])).toBeUndefined();
    expect(didYouMean('chanels', ['channels'])).toBe(' Did you mean "channels"?');
  });
});
