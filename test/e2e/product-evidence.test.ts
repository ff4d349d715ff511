/**
 * Evidence from a product's other photos in the real renderer against `lookalike serve` (issue 20): a "catalog"
 * collection with one studio shot per SKU and a "store" collection with several store photos per SKU, both with
 * product data. Find-similar of a store photo, narrowed to the catalog, puts the product's studio shot first and
 * says it matched through another photo of the product (naming it), in both languages and themes. Embeddings
 * (test/support/sku-photos.ts) are written as the index job would; the photos are real generated images.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { studioAndStorePhotos } from '../support/sku-photos.js';
import { importSkus, insertSyntheticItems } from '../support/synthetic-catalog.js';
import { scene } from '../support/synthetic.js';
import { eventually, launchBrowser, screenshot, watchPageErrors } from './browser.js';
import { startHarness, type Harness } from './harness.js';

const DIM = 48;
const SKUS = 24;
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  const { engine } = h;
  const { catalog, store } = studioAndStorePhotos(11, SKUS, 5, DIM);
  const rows = [...catalog.map((p) => ({ ...p, collection: 'catalog' as const })), ...store.map((p) => ({ ...p, collection: 'store' as const }))];
  for (const c of ['catalog', 'store']) mkdirSync(join(h.root, c), { recursive: true });
  await Promise.all(rows.map(async (r) => writeFileSync(join(h.root, r.collection, r.file), await scene(900 + Number(r.sku.slice(4))).jpeg({ quality: 88 }).toBuffer())));
  insertSyntheticItems(engine, 'catalog', join(h.root, 'catalog'), catalog);
  insertSyntheticItems(engine, 'store', join(h.root, 'store'), store, catalog.length);
  await importSkus(engine, 'catalog', catalog.map((p) => ({ ...p, title: `Product ${p.sku.slice(4)}` })));
  await importSkus(engine, 'store', store.map((p) => ({ ...p, title: `Product ${p.sku.slice(4)}` })));
  // The projection and the calibration learned from the two collections' SKUs decide which photos may lend.
  await engine.models.refreshTransform();
  expect(engine.model.transformInfo()?.kind).toBe('lda');
  expect(engine.model.calibration()?.source).toBe('catalog');
}, 300_000);

afterAll(async () => {
  await h?.close();
});

describe('a hit matched through another photo of its product', () => {
  for (const [locale, scheme] of [
    ['en-US', 'light'],
    ['zh-CN', 'dark'],
    ['en-US', 'dark'],
    ['zh-CN', 'light'],
  ] as const) {
    it(`names the store photo that matched (${locale}, ${scheme})`, async () => {
      const b = await launchBrowser({ locale, colorScheme: scheme });
      const errors: string[] = [];
      watchPageErrors(b.page, errors);
      const page = b.page;
      try {
        await page.goto(h.server.url);
        // The store photo to start from, found by its file name.
        await page.getByTestId('filter-text').fill('store-05-0');
        const hits = page.locator('[data-testid=hit]');
        await eventually(() => hits.first().locator('.hit-name').textContent()).toBe('store-05-0.jpg');
        await hits.first().click();
        await page.locator('.detail-side').waitFor();
        await page.getByRole('button', { name: locale === 'en-US' ? 'Search similar to this' : '搜索与此相似的' }).click();
        // The text filter would narrow the image search to that file name (and a filter leaves borrowing out).
        await page.getByTestId('filter-text').fill('');
        await page.getByRole('group', { name: locale === 'en-US' ? 'Collections' : '图库' }).getByRole('button', { name: 'catalog', exact: true }).click();
        // The product's studio shot first, matched through another store photo of SKU 5 (never the query itself).
        await eventually(() => hits.first().locator('.hit-name').textContent()).toBe('studio-05.jpg');
        const via = hits.first().getByTestId('hit-via');
        expect(await via.textContent()).toBe(locale === 'en-US' ? 'via another photo' : '经同款另一张照片');
        const title = (await via.getAttribute('title'))!;
        expect(title).toMatch(/store-05-[1-4]\.jpg$/);
        expect(title).toMatch(locale === 'en-US' ? /^Matched through another photo of this product: / : /^通过该商品的另一张照片匹配：/);
        // Only a photo the folder's calibration calls the same product lends its score: the verdict is that pair's.
        expect(await hits.first().getByTestId('hit-score').getAttribute('data-verdict')).toBe('same');
        await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('.hit-thumb img')].every((i) => i.complete && i.naturalWidth > 0));
        await screenshot(page, `product-evidence-grid-${locale}-${scheme}`);
        // The detail view says the same, with the path.
        await hits.first().click();
        expect(await page.getByTestId('detail-via').textContent()).toMatch(/store-05-[1-4]\.jpg$/);
        await screenshot(page, `product-evidence-detail-${locale}-${scheme}`);
        expect(errors).toEqual([]);
      } finally {
        await b.close();
      }
    }, 180_000);
  }
});
