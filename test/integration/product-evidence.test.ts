/**
 * Evidence from a product's other photos (search/product-evidence.ts), end to end on a real catalog (SQLite), real
 * usearch indexes and a real CSV import: a "catalog" collection holds one studio shot per SKU, a "store" collection
 * several store photos per SKU, with synthetic embeddings (test/support/sku-photos.ts) on which the plain ranking
 * picks the wrong studio shot. Once both collections' product data name the SKUs (the folder learns its projection
 * and calibration from them), a store photo searched in the catalog finds its product's studio shot through the other
 * store photos of its SKU, and the hit names the photo that lent its score.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/core/app/engine.js';
import { decodeF16 } from '../../src/core/base/f16.js';
import { DEFAULT_SUPERVISION_POLICY, type WhiteningPolicy } from '../../src/core/vectors/whitening-store.js';
import { asItemId } from '../../src/shared/types.js';
import { studioAndStorePhotos, type SkuPhoto } from '../support/sku-photos.js';
import { importSkus, insertSyntheticItems } from '../support/synthetic-catalog.js';
import { openTestEngine, tempDir, type TempDir } from './helpers.js';

const DIM = 48;
const SKUS = 24;
const STORE_PHOTOS = 5;
/**
 * PCA from 100 photos and learning from product data (10 SKUs on), as a labelled folder gets it: the learned
 * projection comes with the verdict calibration that decides which photos may lend their score.
 */
const POLICY: WhiteningPolicy = { centerMin: 16, pcaMin: 100, regrow: 1.5, maxDim: 512, power: 0.25, sampleCap: 4096, supervision: { ...DEFAULT_SUPERVISION_POLICY, minSkus: 10 } };

function addCollection(engine: Engine, name: string, folder: string, list: readonly SkuPhoto[], offset: number): Map<number, string> {
  mkdirSync(folder, { recursive: true });
  const ids = insertSyntheticItems(engine, name, folder, list, offset);
  return new Map(ids.map((id, i) => [id, list[i]!.sku]));
}

describe('evidence from a product’s other photos', () => {
  let tmp: TempDir | undefined;
  let engine: Engine | undefined;
  afterEach(async () => {
    await engine?.close();
    tmp?.remove();
    engine = undefined;
  });

  it('finds the studio shot of a store photo’s product through the store photos of its SKU', async () => {
    tmp = tempDir('evidence');
    engine = await openTestEngine(join(tmp.path, 'data'), { whitening: POLICY });
    const { catalog, store } = studioAndStorePhotos(7, SKUS, STORE_PHOTOS, DIM);
    const catalogSku = addCollection(engine, 'catalog', join(tmp.path, 'catalog'), catalog, 0);
    const storeSku = addCollection(engine, 'store', join(tmp.path, 'store'), store, 1000);
    const e = engine;
    /** Share of store photos whose first catalog hit is their SKU's studio shot (byImage: with the evidence), and the first hits. */
    const rate = async () => {
      let right = 0;
      const firsts = [];
      for (const [id, sku] of storeSku) {
        const { hits } = await e.search.byImage({ kind: 'item', id }, { k: 3, collections: ['catalog'], expand: false });
        if (hits[0] && catalogSku.get(hits[0].id) === sku) right++;
        firsts.push({ query: id, sku, hit: hits[0]! });
      }
      return { rate: right / storeSku.size, firsts };
    };
    /** The same share by the catalog photos' own cosines alone (byVector: the plain ranking byImage starts from). */
    const directRate = () => {
      let right = 0;
      for (const [id, sku] of storeSku) {
        const raw = decodeF16(e.catalog.items.vector(asItemId(id))!.vector);
        const hits = e.search.byVector(raw, { k: 1, collections: ['catalog'], expand: false });
        if (hits[0] && catalogSku.get(hits[0].id) === sku) right++;
      }
      return right / storeSku.size;
    };

    // Product data in the catalog only: no SKU in two collections, nothing to borrow.
    await importSkus(engine, 'catalog', catalog);
    await engine.models.refreshTransform();
    expect((await rate()).firsts.every((f) => f.hit.via === undefined)).toBe(true);

    // Both collections labelled: the folder learns its projection and calibration from them.
    await importSkus(engine, 'store', store);
    await engine.models.refreshTransform();
    expect(engine.model.transformInfo()?.kind).toBe('lda');
    expect(engine.model.calibration()?.source).toBe('catalog');
    const alone = directRate();
    const withEvidence = await rate();
    expect(alone).toBeLessThan(0.6);
    expect(withEvidence.rate).toBeGreaterThan(alone + 0.3);
    // A raised hit names the store photo it borrowed from: another photo (never the query) of the same SKU, whose
    // cosine is the hit's score; its verdict is judged from it.
    const raised = withEvidence.firsts.filter((f) => f.hit.via !== undefined);
    expect(raised.length).toBeGreaterThan(0);
    for (const f of raised) {
      const via = f.hit.via!;
      expect(via.id).not.toBe(f.query);
      expect(storeSku.get(via.id)).toBe(catalogSku.get(f.hit.id));
      expect(via.path).toContain(`${join(tmp.path, 'store')}`);
    }

    // Searching the store collection itself: each photo stands on its own (nothing borrowed within a collection).
    const [queryId] = [...storeSku.keys()];
    const own = await engine.search.byImage({ kind: 'item', id: queryId! }, { k: 6, collections: ['store'], expand: false });
    expect(own.hits.every((h) => h.via === undefined)).toBe(true);
    // A filter turns the evidence off (a raised item would have to pass it too).
    const filtered = await engine.search.byImage({ kind: 'item', id: queryId! }, { k: 3, collections: ['catalog'], expand: false, filter: { text: 'Product' } });
    expect(filtered.hits.every((h) => h.via === undefined)).toBe(true);
  });
});
