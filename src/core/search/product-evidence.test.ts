import { describe, expect, it } from 'vitest';
import { withProductEvidence, type EvidenceSources, type SkuItem } from './product-evidence.js';

/** Catalog items 1–3 (collection 1, SKUs A, B, C); store photos 11–13 (collection 2, SKUs A, B, —). */
const ITEMS: SkuItem[] = [
  { id: 1, sku: 'A', collection: 1 },
  { id: 2, sku: 'B', collection: 1 },
  { id: 3, sku: 'C', collection: 1 },
  { id: 11, sku: 'A', collection: 2 },
  { id: 12, sku: 'B', collection: 2 },
];
const skuOf = (id: number) => ITEMS.find((x) => x.id === id);

function sources(folderHits: EvidenceSources['folderHits'], extra: Partial<EvidenceSources> = {}): EvidenceSources {
  return {
    folderHits,
    skuOf: (id) => skuOf(id),
    itemsOfSkus: (skus) => ITEMS.filter((x) => x.collection === 1 && skus.includes(x.sku)),
    ...extra,
  };
}

describe('withProductEvidence', () => {
  it('raises a catalog photo to the score of its SKU’s better-matching store photo, naming it', () => {
    // The query looks most like store photo 12 (SKU B); the catalog ranks A's studio shot first on its own.
    const direct = [
      { id: 1, score: 0.6 },
      { id: 2, score: 0.5 },
    ];
    const out = withProductEvidence(direct, sources([{ id: 12, score: 0.9 }, { id: 1, score: 0.6 }, { id: 11, score: 0.55 }]), 3);
    expect(out).toEqual([
      { id: 2, score: 0.9, via: 12 },
      { id: 1, score: 0.6 },
    ]);
  });

  it('brings in an item the direct ranking did not return, and keeps k', () => {
    const out = withProductEvidence([{ id: 3, score: 0.4 }], sources([{ id: 11, score: 0.7 }]), 1);
    expect(out).toEqual([{ id: 1, score: 0.7, via: 11 }]);
  });

  it('keeps an item’s own match where it is at least as good, and puts it first on a tie', () => {
    const out = withProductEvidence(
      [
        { id: 1, score: 0.8 },
        { id: 3, score: 0.7 },
      ],
      sources([{ id: 1, score: 0.8 }, { id: 11, score: 0.75 }, { id: 12, score: 0.7 }]),
      3,
    );
    expect(out).toEqual([
      { id: 1, score: 0.8 },
      { id: 3, score: 0.7 },
      { id: 2, score: 0.7, via: 12 },
    ]);
  });

  it('never borrows within one collection (a near-copy stays first, not tied with its SKU’s other photos)', () => {
    // Both photos of SKU A in collection 1: the query's copy of item 1 must not lift item 4.
    const items: SkuItem[] = [
      { id: 1, sku: 'A', collection: 1 },
      { id: 4, sku: 'A', collection: 1 },
    ];
    const out = withProductEvidence(
      [
        { id: 1, score: 0.99 },
        { id: 4, score: 0.3 },
      ],
      { folderHits: [{ id: 1, score: 0.99 }], skuOf: (id) => items.find((x) => x.id === id), itemsOfSkus: () => items },
      2,
    );
    expect(out).toEqual([
      { id: 1, score: 0.99 },
      { id: 4, score: 0.3 },
    ]);
  });

  it('ignores excluded items as evidence and as results, and photos without a SKU', () => {
    const direct = [{ id: 2, score: 0.5 }];
    const out = withProductEvidence(direct, sources([{ id: 13, score: 0.95 }, { id: 11, score: 0.9 }, { id: 12, score: 0.6 }], { excluded: new Set([11]) }), 3);
    expect(out).toEqual([{ id: 2, score: 0.6, via: 12 }]);
    expect(withProductEvidence(direct, sources([{ id: 12, score: 0.9 }], { excluded: new Set([2]) }), 3)).toEqual([{ id: 2, score: 0.5 }]);
  });

  it('returns the direct ranking unchanged where no hit has a SKU', () => {
    const direct = [
      { id: 3, score: 0.4 },
      { id: 2, score: 0.3 },
    ];
    expect(withProductEvidence(direct, sources([{ id: 13, score: 0.9 }]), 1)).toEqual([{ id: 3, score: 0.4 }]);
  });
});
