/** Mid-ranks (1-based; tied values share the mean of the ranks they span) and the sizes of the tie groups. */
export interface Ranking {
  readonly ranks: Float64Array;
  /** Size t of every group of equal values with t ≥ 2 (what tie corrections sum t³ − t over). */
  readonly tieGroups: number[];
}

export function midRanks(values: ArrayLike<number>): Ranking {
  const n = values.length;
  for (let i = 0; i < n; i++) if (Number.isNaN(values[i])) throw new RangeError(`midRanks: value ${i} is NaN`);
  // A comparison, not a subtraction: ∞ − ∞ is NaN and would break the sort.
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => (values[i] < values[j] ? -1 : values[i] > values[j] ? 1 : 0));
  const ranks = new Float64Array(n);
  const tieGroups: number[] = [];
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && values[order[end]] === values[order[start]]) end++;
    const rank = (start + 1 + end) / 2; // mean of ranks start+1 … end
    for (let i = start; i < end; i++) ranks[order[i]] = rank;
    if (end - start > 1) tieGroups.push(end - start);
    start = end;
  }
  return { ranks, tieGroups };
}
