/**
 * Retrieval metrics over ranked result lists, as `lookalike eval` reports them. Pure functions; a query's ranking
 * is given as relevance flags of its results, best first, with the query itself already left out.
 *
 * - AP@k: the mean of precision@i over the ranks i ≤ k that hold a relevant item, divided by min(k, R) where R is
 *   the number of relevant items in the database (so a perfect top-k scores 1 even when R < k).
 * - P@1: the share of queries whose first result is relevant.
 * - Recall@k: the share of queries with at least one relevant item among the first k (the usual definition for
 *   category-level retrieval, e.g. Stanford Online Products).
 */

export interface RankedQuery {
  /** Relevance of the results, best first (at least as many as the largest k asked for, when available). */
  ranked: readonly boolean[];
  /** Relevant items in the database for this query (excluding the query itself). */
  relevant: number;
}

/**
 * AP@k of one ranking.
 * @returns 0 when nothing is relevant (R = 0).
 */
export function averagePrecisionAtK(ranked: readonly boolean[], k: number, relevant: number): number {
  if (k < 1) throw new Error(`k must be at least 1, got ${k}`);
  const denominator = Math.min(k, relevant);
  if (denominator <= 0) return 0;
  let hits = 0;
  let sum = 0;
  for (let i = 0; i < Math.min(k, ranked.length); i++) {
    if (!ranked[i]) continue;
    hits += 1;
    sum += hits / (i + 1);
  }
  return sum / denominator;
}

/** Whether any of the first k results is relevant. */
export function hitAtK(ranked: readonly boolean[], k: number): boolean {
  for (let i = 0; i < Math.min(k, ranked.length); i++) if (ranked[i]) return true;
  return false;
}

export interface RetrievalMetrics {
  queries: number;
  /** Mean AP@10. */
  mapAt10: number;
  precisionAt1: number;
  /** Recall@k for each k asked for. */
  recallAt: Record<number, number>;
}

/**
 * The mean metrics over queries; queries with no relevant item in the database are left out (they cannot score).
 * @param ks the k of Recall@k (default 1, 5, 10).
 */
export function retrievalMetrics(queries: readonly RankedQuery[], ks: readonly number[] = [1, 5, 10]): RetrievalMetrics {
  const scored = queries.filter((q) => q.relevant > 0);
  const n = scored.length;
  const mean = (f: (q: RankedQuery) => number) => (n === 0 ? 0 : scored.reduce((s, q) => s + f(q), 0) / n);
  return {
    queries: n,
    mapAt10: mean((q) => averagePrecisionAtK(q.ranked, 10, q.relevant)),
    precisionAt1: mean((q) => (q.ranked[0] ? 1 : 0)),
    recallAt: Object.fromEntries(ks.map((k) => [k, mean((q) => (hitAtK(q.ranked, k) ? 1 : 0))])),
  };
}
