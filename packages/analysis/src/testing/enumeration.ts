/** All size-k subsets of 0..n-1, in lexicographic order (for brute-force null distributions). */
export function* subsets(n: number, k: number, start = 0, chosen: number[] = []): Generator<number[]> {
  if (chosen.length === k) {
    yield chosen;
    return;
  }
  for (let i = start; i <= n - (k - chosen.length); i++) yield* subsets(n, k, i + 1, [...chosen, i]);
}

/** Mid-ranks by their definition: #{smaller values} + (#{equal values} + 1)/2, in O(n²). */
export function midRanksByCounting(values: readonly number[]): number[] {
  return values.map((v) => values.filter((w) => w < v).length + (values.filter((w) => w === v).length + 1) / 2);
}
