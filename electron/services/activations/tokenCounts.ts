/**
 * Token counts of self/other pairs, and which pairs cannot be compared position by position
 * ('full' needs equal counts). Plain function over token arrays; ActivationsService.tokenCounts
 * tokenizes with the model first.
 */

export interface PairTokenCount {
  /** Index of the pair in the input. */
  pair: number;
  self: number;
  other: number;
  /** True when self and other have the same token count, so 'full' can compare them. */
  aligned: boolean;
}

export interface TokenCountsReport {
  pairs: PairTokenCount[];
  /** Indices of the pairs that do not align under 'full'. */
  misaligned: number[];
}

export function countPairTokens(pairs: readonly { self: ArrayLike<number>; other: ArrayLike<number> }[]): TokenCountsReport {
  const counts = pairs.map((p, pair) => ({
    pair,
    self: p.self.length,
    other: p.other.length,
    aligned: p.self.length === p.other.length,
  }));
  return { pairs: counts, misaligned: counts.filter((c) => !c.aligned).map((c) => c.pair) };
}
