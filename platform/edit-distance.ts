/**
 * The one edit distance, for "did you mean …?" suggestions everywhere: unknown platform-file keys
 * and environment names, unknown policy rule ids, `new-app` names.
 */

/** Levenshtein distance: the fewest single-character insertions, deletions and substitutions from `a` to `b`. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

export interface ClosestOptions {
  /**
   * The largest distance still worth suggesting.
   * @default a third of the word's length, at least 2
   */
  readonly maxDistance?: number;
  /**
   * Compare without regard to case (`helthpath` suggests `healthPath`).
   * @default true
   */
  readonly ignoreCase?: boolean;
}

/** The candidate nearest to `word` (the first one on a tie), or undefined when none is near enough. */
export function closest(word: string, candidates: readonly string[], options: ClosestOptions = {}): string | undefined {
  const fold = (s: string) => (options.ignoreCase === false ? s : s.toLowerCase());
  const limit = options.maxDistance ?? Math.max(2, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(fold(word), fold(c));
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best !== undefined && bestDistance <= limit ? best : undefined;
}
