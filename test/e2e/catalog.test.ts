/**
 * Product data in a real browser against `lookalike serve` and the real engine: the CSV import dialog (file read
 * in the page, preview, an edited column mapping, the report), product facts on result cards and in the detail
 * view, the toolbar's filters with and without a query image, and OCR text (boxes over the photo, "find photos
 * containing this text"). Every wait is on DOM state; screenshots in test-results/e2e/.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { writeScene } from '../support/synthetic.js';
import { renderText } from '../support/render-text.js';
import { eventually, screenshot } from './browser.js';
import { setupE2e, type Harness } from './harness.js';

/** "Modell" is no header the importer recognises, so the test must map it to SKU by hand. */
const CSV = [
  'Modell;Name;Brand;Category;Price;Currency;Image',
  'D-1;Linen dress blue;Acme;Dresses;49.90;EUR;dress-blue.jpg',
  'D-2;Linen dress green;Acme;Dresses;89;EUR;dress-green.jpg',
  'H-1;Straw hat;Zeta;Hats;19;EUR;hat.jpg',
  'S-1;Trail runner;Zeta;Shoes;120;EUR;runner.jpg',
  'X-9;Ghost item;Acme;Misc;5;EUR;missing.jpg',
].join('\n');
const PHOTOS: Record<string, number> = { 'dress-blue.jpg': 1, 'dress-green.jpg': 2, 'hat.jpg': 3, 'runner.jpg': 4, 'bag.jpg': 5 };

let h: Harness;
let page: Page;
let photos: string;

const hits = () => page.locator('[data-testid=hit]');
const hitNames = () => page.locator('.hit-name').allTextContents();

const e2e = setupE2e({
  async prepare(harness) {
    h = harness;
    photos = join(h.root, 'photos');
    for (const [file, seed] of Object.entries(PHOTOS)) await writeScene(join(photos, file), seed);
    writeFileSync(join(photos, 'poster.png'), await renderText(['SUMMER SALE', 'Organic cotton'], 'DejaVu Sans', 1));
  },
  ready(session) {
    page = session.page;
  },
});

describe('product data, end to end', () => {
  it('indexes the shop folder and reads its text (OCR on)', async () => {
    await page.goto(h.server.url);
    await page.getByLabel('Collection').fill('Shop');
    await page.getByLabel('Folder path').fill(photos);
    await page.getByRole('button', { name: 'Add and index' }).click();
    await page.locator('[data-testid=index-progress][data-phase=done]').waitFor({ timeout: 240_000 });
    // Turning OCR on has no UI in this view yet; the engine's own API does it, as the CLI would.
    await h.engine.localApi['ocr:configure']({ collection: 'Shop', enabled: true });
    const ocr = await h.engine.localApi['ocr:run']({ collection: 'Shop' });
    expect(ocr.withText).toBeGreaterThanOrEqual(1);
  });

  it('imports a CSV: preview, an edited mapping, and the report', async () => {
    await page.locator('[data-collection=Shop]').getByTestId('import-csv').click();
    const dialog = page.getByTestId('import-dialog');
    await dialog.waitFor();
    await page.setInputFiles('[data-testid=import-file]', { name: 'products.csv', mimeType: 'text/csv', buffer: Buffer.from(CSV) });
    await dialog.getByTestId('import-sample').waitFor();
    expect(await dialog.getByTestId('import-detected').textContent()).toContain('7 columns, separated by “;”');
    expect(await dialog.locator('[data-testid=import-sample] tbody tr').count()).toBe(5);
    // Detected columns are offered as "(detected)"; SKU is not detected and Import waits for it.
    expect(await dialog.getByTestId('map-title').locator('option').first().textContent()).toBe('Name (detected)');
    expect(await page.getByRole('button', { name: 'Import', exact: true }).isDisabled()).toBe(true);
    await dialog.getByTestId('map-sku').selectOption('Modell');
    await eventually(() => dialog.locator('th', { hasText: 'Modell' }).locator('.tag').textContent()).toBe('SKU');
    await screenshot(page, 'catalog-01-import-preview');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    const report = dialog.getByTestId('import-report');
    await report.waitFor();
    expect(await report.textContent()).toContain('Imported 5 products (5 new, 0 updated); 4 images linked.');
    expect(await report.getByTestId('report-unmatched-rows').textContent()).toBe('1 row matches no image');
    expect(await report.getByTestId('report-unmatched-images').textContent()).toBe('2 images have no row');
    await report.getByText('Images without a row').click();
    expect((await report.getByTestId('report-images-list').textContent())).toContain('bag.jpg');
    await screenshot(page, 'catalog-02-import-report');
    await page.getByRole('button', { name: 'Close', exact: true }).last().click();
    await dialog.waitFor({ state: 'detached' });
  });

  it('searches by text alone and shows product data on the cards', async () => {
    await page.getByTestId('filter-text').fill('linen');
    await eventually(hitNames).toEqual(expect.arrayContaining(['dress-blue.jpg', 'dress-green.jpg']));
    expect(await hits().count()).toBe(2);
    const product = await hits().first().getByTestId('hit-product').textContent();
    expect(product).toMatch(/€.*D-\d · Linen dress/);
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('.hit-thumb img')].every((i) => i.complete && i.naturalWidth > 0));
    await screenshot(page, 'catalog-03-text-search');
  });

  it('filters by brand and price range, alone and under the text', async () => {
    await page.getByTestId('filter-text').fill('');
    await page.getByTestId('filter-brand').fill('Zeta');
    await eventually(async () => (await hitNames()).sort()).toEqual(['hat.jpg', 'runner.jpg']);
    await page.getByTestId('filter-price-max').fill('50');
    await eventually(hitNames).toEqual(['hat.jpg']);
    await page.getByTestId('filter-brand').fill('');
    await page.getByTestId('filter-price-min').fill('40');
    await page.getByTestId('filter-price-max').fill('100');
    await eventually(async () => (await hitNames()).sort()).toEqual(['dress-blue.jpg', 'dress-green.jpg']);
    await page.getByTestId('filter-category').fill('Dresses');
    await page.getByTestId('filter-price-max').fill('60');
    await eventually(hitNames).toEqual(['dress-blue.jpg']);
    await screenshot(page, 'catalog-04-filters');
  });

  it('narrows an image search with the filters and shows the product in the detail view', async () => {
    await hits().first().click();
    await page.getByTestId('detail-product').waitFor();
    expect(await page.getByTestId('detail-product').textContent()).toContain('Linen dress blue');
    await page.getByRole('button', { name: 'Search similar to this' }).click();
    await page.locator('.query-label', { hasText: 'Similar to' }).waitFor();
    // "Similar to" leaves the item itself out, so under category Dresses, price 40..100, the visual ranking keeps
    // only the green dress.
    await page.getByTestId('filter-price-max').fill('100');
    await eventually(hitNames).toEqual(['dress-green.jpg']);
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await eventually(() => hits().count()).toBe(Object.keys(PHOTOS).length);
    expect(await hitNames()).not.toContain('dress-blue.jpg');
  });

  it('draws OCR boxes over the photo and finds photos containing a line of its text', async () => {
    await page.getByTestId('filter-text').fill('organic');
    // With a query image the text narrows the visual ranking: only the poster reads "organic".
    await eventually(hitNames).toEqual(['poster.png']);
    await hits().first().click();
    const overlay = page.getByTestId('ocr-overlay');
    await overlay.waitFor();
    expect(await overlay.locator('polygon').count()).toBe(2);
    const lines = await page.getByTestId('ocr-lines').locator('li span').allTextContents();
    expect(lines.join(' ').toLowerCase()).toContain('summer');
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('.detail-image img');
      return img !== null && img.complete && img.naturalWidth > 0;
    });
    await page.getByTestId('ocr-lines').locator('li').first().hover();
    await page.locator('.ocr-overlay polygon.is-hot').waitFor();
    await screenshot(page, 'catalog-05-ocr-boxes');
    await page.getByRole('button', { name: /^Find photos containing “.*SALE/i }).click();
    await page.getByTestId('detail').waitFor({ state: 'detached' });
    await eventually(() => page.getByTestId('filter-text').inputValue()).toMatch(/sale/i);
    await eventually(hitNames).toEqual(['poster.png']);
    await screenshot(page, 'catalog-06-find-text');
  });

  it('shows product filters and the import dialog in Simplified Chinese', async () => {
    await page.getByRole('button', { name: '中文' }).click();
    await page.getByRole('group', { name: '商品筛选' }).waitFor();
    await page.locator('[data-collection=Shop]').getByTestId('import-csv').click();
    await page.getByText('向 Shop 导入商品数据').first().waitFor();
    await screenshot(page, 'catalog-07-chinese-import');
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'English' }).click();
  });

  it('raised no page errors', () => {
    expect(e2e.pageErrors).toEqual([]);
  });
});
