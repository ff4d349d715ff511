/**
 * Evidence from a product's other photos (issue 20, capability 2: several photos per SKU are free supervision).
 * A store photo often looks more like another store photo of the product (same light, same shelf, same angle) than
 * like its studio catalog shot. When imported product data links photos of one SKU in several collections, each item
 * of the searched collections may take the score of the best-matching photo of its SKU in *another* collection of
 * the folder: "matched through another photo of this product". Within one collection each photo stands on its own
 * (a near-copy of the query must stay first, not tie with every photo of its SKU). The SKU is the user's own
 * statement that the photos show one product, so the borrowed score (and the verdict judged from it) says how sure
 * the engine is that the query shows that product.
 *
 * Which photos may lend: only one the folder's calibration calls, by itself, the same product as the query (the
 * `trust` gate). Lending from every photo ranks best where every SKU has store photos, but a query of a SKU without any
 * then borrows a lookalike SKU's (dev split, 60 of 81 SKUs labelled: R@1 of the unlabelled SKUs 32.4 → 7.3); under
 * the gate it stays at 32.4 while the labelled ones gain. Measured on grocery-dev, the same-product bench's app
 * section (`--only app --rerank-dev block`; catalog photos and labelled store photos as two collections), store
 * photo → the 81 catalog photos, Recall@1: dev (by capture order) 84.7 → 94.7, 60 of 81 labelled 57.3 → 78.1; val
 * (never tuned on) 50.0 → 59.5, 60 of 81 labelled 38.9 → 45.9 (unlabelled SKUs 37.0 → 37.0). README, "Evidence from
 * a product's other photos".
 */

/** A ranked item: its id and its cosine with the query (the index's space). */
export interface Scored {
  id: number;
  score: number;
}

/** An item that took a sibling's score: `via` is the sibling's id. */
export interface WithEvidence extends Scored {
  via?: number;
}

/** An item of a SKU, and its collection. */
export interface SkuItem {
  id: number;
  sku: string;
  collection: number;
}

export interface EvidenceSources {
  /** The query's nearest items in the whole folder (any collection), best first. */
  folderHits: readonly Scored[];
  /** The SKU and collection of each item that imported product data names (undefined: none). */
  skuOf: (id: number) => { sku: string; collection: number } | undefined;
  /** The embedded items of the searched collections whose product has one of these SKUs. */
  itemsOfSkus: (skus: readonly string[]) => readonly SkuItem[];
  /** Items never used as evidence nor returned (the query item itself, leave-one-out exclusions). */
  excluded?: ReadonlySet<number>;
  /**
   * Whether a photo may lend its score: given its cosine with the query and its margin over the best folder hit of
   * another SKU (undefined: none). Default: every photo.
   */
  trust?: (score: number, margin: number | undefined) => boolean;
}

/**
 * The searched collections' top `k` once each item may take the best score among its SKU's photos in the other
 * collections: `direct` (the plain ranking of the searched collections, best first) merged with the items the
 * evidence raises, best first; on a tie an item's own match comes before a borrowed one, then the lower id. Items
 * nothing raised come back as they were (no `via`).
 */
export function withProductEvidence(direct: readonly Scored[], sources: EvidenceSources, k: number): WithEvidence[] {
  // The best two photos of each SKU in different collections: an item may borrow from a collection not its own.
  const best = new Map<string, (Scored & { collection: number })[]>();
  for (const h of sources.folderHits) {
    if (sources.excluded?.has(h.id)) continue;
    const of = sources.skuOf(h.id);
    if (of === undefined) continue;
    const had = best.get(of.sku) ?? [];
    if (had.length < 2 && !had.some((x) => x.collection === of.collection)) best.set(of.sku, [...had, { id: h.id, score: h.score, collection: of.collection }]);
  }
  if (sources.trust) {
    // A SKU's photo lends only when the query and that photo are, by themselves, the same product: a query of a SKU
    // without photos of its own elsewhere would otherwise borrow a lookalike SKU's (see the file's header).
    for (const [sku, photos] of best) {
      let other: number | undefined;
      for (const h of sources.folderHits) {
        if (sources.excluded?.has(h.id) || sources.skuOf(h.id)?.sku === sku) continue;
        other = h.score;
        break;
      }
      const trusted = photos.filter((p) => sources.trust!(p.score, other === undefined ? undefined : p.score - other));
      if (trusted.length > 0) best.set(sku, trusted);
      else best.delete(sku);
    }
  }
  if (best.size === 0) return direct.slice(0, k);
  const out = new Map<number, WithEvidence>(direct.map((h) => [h.id, { id: h.id, score: h.score }]));
  for (const { id, sku, collection } of sources.itemsOfSkus([...best.keys()])) {
    if (sources.excluded?.has(id)) continue;
    // folderHits are best first, so the first photo of another collection is the SKU's best there.
    const sibling = best.get(sku)!.find((x) => x.collection !== collection);
    const own = out.get(id);
    // Its own photo is the better evidence where it scores at least as well.
    if (!sibling || (own && own.score >= sibling.score)) continue;
    out.set(id, { id, score: sibling.score, via: sibling.id });
  }
  const borrowed = (h: WithEvidence) => (h.via === undefined ? 0 : 1);
  return [...out.values()].sort((a, b) => b.score - a.score || borrowed(a) - borrowed(b) || a.id - b.id).slice(0, k);
}
