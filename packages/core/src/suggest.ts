import { closest, distance } from 'fastest-levenshtein';

/**
 * The candidate closest to `value` by edit distance, or undefined when none is close enough to be
 * a plausible misspelling (at most a third of the longer word changed, and at most 3 edits).
 */
export function closestName(value: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const lower = value.toLowerCase();
  const exactCase = candidates.find((c) => c.toLowerCase() === lower);
  if (exactCase) return exactCase;
  const best = closest(lower, candidates.map((c) => c.toLowerCase()));
  const match = candidates.find((c) => c.toLowerCase() === best)!;
  const edits = distance(lower, best);
  return edits <= Math.min(3, Math.ceil(Math.max(lower.length, best.length) / 3)) ? match : undefined;
}

/** ` Did you mean "x"?` or the empty string. */
export function didYouMean(value: string, candidates: readonly string[]): string {
  const match = closestName(value, candidates);
  return match === undefined ? '' : ` Did you mean "${match}"?`;
}
