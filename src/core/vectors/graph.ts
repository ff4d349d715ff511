/** How every collection's HNSW graph is built and walked. */

/**
 * The graph every collection's index is built with. usearch's defaults (connectivity 16, expansion_add 128) make a
 * graph that no search breadth lifts to recall@10 0.98 at 1M of the default model's vectors: 0.942 at breadth 1,024
 * (3.3 ms CPU p99), 0.962 at 2,048 (5.8 ms). Twice the degree and twice the insert breadth find 0.989 at 1,024 in
 * 3.7 ms, for 9% more RAM per vector (1,346 against 1,237 bytes with f16) and inserts 2.2–2.6× slower (1M: 430 s
 * against 196 s on two cores, still far below the hours of embedding behind them). Connectivity 16 with
 * expansion_add 512 also gets there (0.987) but walks slower (5.1 ms) and builds in 998 s. Measured with
 * `npm run bench -- search --sizes 1000000 --quant f16 --expansion-search 512,1024,2048 --tune 16:512,32:256` (README).
 */
export const GRAPH = { connectivity: 32, expansionAdd: 256 } as const;

/**
 * Candidates a search keeps while it walks an index of `size` vectors (usearch's expansion_search, applied per
 * query, so not part of the file stamp): 256 up to 100k vectors, ×4 per tenfold growth beyond, at most 1,024.
 * Measured on the GRAPH with the default model's vectors (`npm run bench -- search`, README), recall@10 against
 * exact search / CPU p99 per query on one thread: at 100k usearch's default of 64 finds 0.971, 256 finds 0.998
 * (1.3 ms); at 1M 256 finds 0.917 (1.3 ms), 512 0.966 (2.3 ms) and 1,024 0.989 (3.2–3.8 ms).
 */
export function searchBreadth(size: number): number {
  if (size <= 100_000) return 256;
  return Math.min(1024, Math.round(256 * 4 ** Math.log10(size / 100_000)));
}
