/** Searching several collections' indexes and merging their hits by score (cosine scores compare across indexes). */
import type { CollectionId } from '../../shared/types.js';
import type { AnnHit, AnnIndex } from './ann-index.js';

export interface VectorHit extends AnnHit {
  collectionId: CollectionId;
}

/** How a search reaches the indexes: each collection's (opened on demand) and how wide to walk it. */
export interface IndexLookup {
  open(collectionId: CollectionId): AnnIndex;
  breadthOf(index: AnnIndex): number;
}

/** The `k` nearest items to a query (in the indexes' space) across `collectionIds`, best first. */
export function searchOne(lookup: IndexLookup, collectionIds: readonly CollectionId[], q: Float32Array, k: number): VectorHit[] {
  const hits: VectorHit[] = [];
  for (const cid of collectionIds) {
    const index = lookup.open(cid);
    for (const h of index.search(q, k, lookup.breadthOf(index))) hits.push({ ...h, collectionId: cid });
  }
  return best(hits, k);
}

/** searchOne() for `count` queries at once (row-major in `flat`), each searched on every core. */
export function searchMany(
  lookup: IndexLookup,
  collectionIds: readonly CollectionId[],
  flat: Float32Array,
  count: number,
  k: number,
  breadth?: number,
): VectorHit[][] {
  const out: VectorHit[][] = Array.from({ length: count }, () => []);
  for (const cid of collectionIds) {
    const index = lookup.open(cid);
    index.searchMany(flat, count, k, breadth ?? lookup.breadthOf(index)).forEach((hits, q) => {
      for (const h of hits) out[q]!.push({ ...h, collectionId: cid });
    });
  }
  return out.map((hits) => best(hits, k));
}

function best(hits: VectorHit[], k: number): VectorHit[] {
  return hits.sort((a, b) => b.score - a.score).slice(0, k);
}
