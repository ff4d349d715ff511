/**
 * Category suggestions: an item without a category gets the one its nearest categorized neighbours vote for,
 * each vote weighted by the neighbour's cosine similarity; the confidence is the winner's share of the weight.
 */
import type { CollectionId, ItemId } from '../../shared/types.js';
import type { Catalog } from '../catalog/catalog.js';
import { decodeF16 } from '../base/f16.js';

export interface Neighbour {
  category: string;
  score: number;
}

export interface Vote {
  category: string;
  /** The winner's share of the (non-negative) similarity weight, 0..1. */
  confidence: number;
  votes: number;
}

/**
 * The similarity-weighted vote of neighbours (negative similarities weigh 0). Ties go to the category with the
 * single most similar neighbour, then alphabetically, so the result is deterministic. Null without neighbours.
 */
export function voteCategory(neighbours: readonly Neighbour[]): Vote | null {
  if (neighbours.length === 0) return null;
  const weight = new Map<string, number>();
  const best = new Map<string, number>();
  let total = 0;
  for (const n of neighbours) {
    const w = Math.max(0, n.score);
    total += w;
    weight.set(n.category, (weight.get(n.category) ?? 0) + w);
    best.set(n.category, Math.max(best.get(n.category) ?? -Infinity, n.score));
  }
  if (total === 0) {
    // All neighbours dissimilar (weights 0): a plain majority, with its share of the votes.
    for (const key of weight.keys()) weight.set(key, neighbours.filter((n) => n.category === key).length);
    total = neighbours.length;
  }
  const ranked = [...weight.entries()].sort(
    (a, b) => b[1] - a[1] || best.get(b[0])! - best.get(a[0])! || (a[0] < b[0] ? -1 : 1),
  );
  const [category, w] = ranked[0]!;
  return { category, confidence: w / total, votes: neighbours.length };
}

export interface CategorySuggestion extends Vote {
  id: ItemId;
}

/** Unit-length copy of a vector (zero stays zero). */
function normalized(v: Float32Array): Float32Array {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i]! * v[i]!;
  n = Math.sqrt(n) || 1;
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i]! / n;
  return out;
}

/**
 * Suggestions for every embedded item without a category in the collections, by exact k-nearest categorized
 * neighbours (over the catalog's stored vectors), best confidence first.
 */
export function suggestCategories(
  catalog: Catalog,
  collectionIds: readonly CollectionId[],
  options: { k: number; minConfidence?: number },
): { suggestions: CategorySuggestion[]; uncategorized: number } {
  const embedderId = catalog.meta.get('embedder_id');
  if (!embedderId) return { suggestions: [], uncategorized: 0 };
  const rows = catalog.products.categories(collectionIds, embedderId);
  const labeled = rows.filter((r) => r.category !== null);
  const unlabeled = rows.filter((r) => r.category === null);
  if (labeled.length === 0) return { suggestions: [], uncategorized: unlabeled.length };
  const dim = labeled[0]!.vector.length / 2;
  const matrix = new Float32Array(labeled.length * dim);
  labeled.forEach((r, i) => matrix.set(normalized(decodeF16(r.vector)), i * dim));
  const suggestions: CategorySuggestion[] = [];
  const k = Math.min(options.k, labeled.length);
  const scores = new Float32Array(labeled.length);
  for (const item of unlabeled) {
    const q = normalized(decodeF16(item.vector));
    if (q.length !== dim) continue;
    for (let j = 0; j < labeled.length; j++) {
      let dot = 0;
      const off = j * dim;
      for (let d = 0; d < dim; d++) dot += q[d]! * matrix[off + d]!;
      scores[j] = dot;
    }
    const top = topK(scores, k);
    const vote = voteCategory(top.map((j) => ({ category: labeled[j]!.category!, score: scores[j]! })));
    if (vote && vote.confidence >= (options.minConfidence ?? 0)) suggestions.push({ id: item.id, ...vote });
  }
  suggestions.sort((a, b) => b.confidence - a.confidence || a.id - b.id);
  return { suggestions, uncategorized: unlabeled.length };
}

/** Indices of the k largest values, largest first (ties: lower index first). */
export function topK(values: Float32Array, k: number): number[] {
  const idx: number[] = [];
  for (let i = 0; i < values.length; i++) {
    if (idx.length < k) {
      idx.push(i);
      if (idx.length === k) idx.sort((a, b) => values[b]! - values[a]! || a - b);
      continue;
    }
    if (values[i]! <= values[idx[k - 1]!]!) continue;
    let p = k - 1;
    while (p > 0 && values[idx[p - 1]!]! < values[i]!) p -= 1;
    idx.splice(p, 0, i);
    idx.pop();
  }
  if (idx.length < k) idx.sort((a, b) => values[b]! - values[a]! || a - b);
  return idx;
}

/** Accepts suggestions at or above `minConfidence`. @returns how many items got a category. */
export function acceptCategories(
  catalog: Catalog,
  collectionIds: readonly CollectionId[],
  options: { k: number; minConfidence: number },
): number {
  const { suggestions } = suggestCategories(catalog, collectionIds, options);
  catalog.transaction(() => {
    catalog.products.acceptCategories(suggestions.map((s) => ({ id: s.id, category: s.category, confidence: s.confidence })));
    const byCollection = new Map<number, number[]>();
    const items = catalog.items.getMany(suggestions.map((s) => s.id));
    for (const s of suggestions) {
      const cid = items.get(s.id)?.collectionId;
      if (cid !== undefined) byCollection.set(cid, [...(byCollection.get(cid) ?? []), s.id]);
    }
    for (const [cid, ids] of byCollection) catalog.products.refreshFts(cid as CollectionId, ids);
  });
  return suggestions.length;
}
