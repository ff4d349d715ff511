/**
 * The merchandiser's search workflow (issue 17) in a real browser against `lookalike serve` and the real engine,
 * on portrait product photos with imported product data: captions stay readable, a failed or empty query leaves
 * nothing stale on screen and is not re-sent by itself, "find similar" does not list the item itself, Escape from
 * the detail view gives the keyboard back to the grid, a long file name does not widen the query panel, and the
 * failures dialog says each reason once. Every wait is on DOM state; screenshots land in test-results/e2e/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { scene, writeScene } from '../support/synthetic.js';
import { eventually, launchBrowser, screenshot } from './browser.js';
import { setupE2e, type Harness } from './harness.js';

const SCENES = 12;
/** Portrait, as most product photos are. */
const W = 240;
const H = 360;
const name = (seed: number) => `scene-${String(seed).padStart(2, '0')}.jpg`;

let h: Harness;
let page: Page;
let photos: string;
const searches: string[] = [];

const hits = () => page.locator('[data-testid=hit]');

async function thumbnailsLoaded() {
  await page.waitForFunction(() => {
    const imgs = [...document.querySelectorAll<HTMLImageElement>('.hit-thumb img')];
    return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0);
  });
}

async function pick(fileName: string, buffer: Buffer) {
  await page.setInputFiles('[data-testid=file-input]', { name: fileName, mimeType: 'image/jpeg', buffer });
}

async function searchFor(seed: number, fileName = `query-${seed}.jpg`) {
  await pick(fileName, await scene(seed, W, H).jpeg().toBuffer());
  await page.locator('.query-label', { hasText: fileName }).waitFor();
  await eventually(() => hits().first().locator('.hit-name').textContent()).toBe(name(seed));
}

const e2e = setupE2e({
  async prepare(harness) {
    h = harness;
    photos = join(h.root, 'photos');
    for (let seed = 1; seed <= SCENES; seed++) await writeScene(join(photos, name(seed)), seed, { width: W, height: H });
    mkdirSync(join(photos, 'bad'), { recursive: true });
    writeFileSync(join(photos, 'bad', 'empty.jpg'), '');
  },
  ready(session) {
    page = session.page;
    page.on('request', (req) => {
      if (decodeURIComponent(req.url()).includes('search:byImage')) searches.push(req.url());
    });
  },
});

describe('search workflow, end to end', () => {
  it('indexes portrait product photos and their product data', async () => {
    await page.goto(h.server.url);
    await page.getByLabel('Collection').fill('Catalog');
    await page.getByLabel('Folder path').fill(photos);
    await page.getByRole('button', { name: 'Add and index' }).click();
    await page.locator('[data-testid=index-progress][data-phase=done]').waitFor({ timeout: 240_000 });
    await eventually(() => page.locator('[data-testid=collection-count]').textContent()).toBe(`${SCENES} images`);
    const rows = Array.from({ length: SCENES }, (_, i) => `SKU-${i + 1},Linen dress ${i + 1},${19 + i}.90,${name(i + 1)}`);
    await h.engine.api['catalog:importCsv']({
      collection: 'Catalog',
      source: { kind: 'text', text: ['sku,title,price,image', ...rows].join('\n') },
      preview: false,
      previewRows: 10,
    });
  });

  it('shows every tile’s caption under a portrait photo, never under the photo', async () => {
    await searchFor(3);
    await thumbnailsLoaded();
    const tiles = await hits().evaluateAll((els) =>
      els.slice(0, 8).map((el) => {
        const thumb = el.querySelector('.hit-thumb')!.getBoundingClientRect();
        const img = el.querySelector('.hit-thumb img')!.getBoundingClientRect();
        const visible = (sel: string) => {
          const r = el.querySelector(sel)!.getBoundingClientRect();
          const top = document.elementFromPoint(r.left + Math.min(20, r.width / 2), r.top + r.height / 2);
          return top !== null && el.querySelector('.hit-caption')!.contains(top);
        };
        return {
          inside: img.top >= thumb.top - 0.5 && img.bottom <= thumb.bottom + 0.5 && img.left >= thumb.left - 0.5 && img.right <= thumb.right + 0.5,
          portrait: img.height > img.width,
          name: visible('.hit-name'),
          product: visible('.hit-product'),
          meta: visible('.hit-meta'),
        };
      }),
    );
    expect(tiles.length).toBeGreaterThan(3);
    for (const tile of tiles) expect(tile).toEqual({ inside: true, portrait: true, name: true, product: true, meta: true });
    await screenshot(page, 'workflow-search-portrait');
  });

  it('clears the previous query and results when a picked file is empty', async () => {
    expect(await hits().count()).toBeGreaterThan(0);
    await pick('empty-photo.jpg', Buffer.alloc(0));
    const notice = page.locator('[data-error-code=EMPTY_FILE]');
    await notice.waitFor();
    expect(await notice.textContent()).toContain('empty-photo.jpg');
    expect(await page.locator('.query-label').count()).toBe(0);
    expect(await hits().count()).toBe(0);
    await screenshot(page, 'workflow-search-empty-file');
    await notice.getByRole('button', { name: 'Dismiss' }).click();
  });

  it('shows no stale results under a query that failed, and does not re-send it when the library changes', async () => {
    await searchFor(5);
    await pick('damaged.jpg', Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(256, 7)]));
    await page.locator('.query-label', { hasText: 'damaged.jpg' }).waitFor();
    await page.locator('.search-side [role=alert]').waitFor();
    expect(await hits().count()).toBe(0);
    // The browser cannot show it either: a placeholder, not a broken image.
    await page.getByTestId('query-broken').waitFor();
    await screenshot(page, 'workflow-search-failed-query');
    const sent = searches.length;
    const more = join(h.root, 'more');
    for (let seed = 41; seed <= 60; seed++) await writeScene(join(more, `scene-${seed}.jpg`), seed, { width: W, height: H });
    // Every state the new collection's card goes through (a card that says "0 images" while indexing is wrong).
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { seenStates: string[] }).seenStates = seen;
      new MutationObserver(() => {
        const state = document.querySelector('[data-collection=More] [data-testid=collection-state]')?.getAttribute('data-state');
        if (state && seen.at(-1) !== state) seen.push(state);
      }).observe(document.body, { subtree: true, childList: true, attributes: true });
    });
    await page.getByLabel('Collection').fill('More');
    await page.getByLabel('Folder path').fill(more);
    await page.getByRole('button', { name: 'Add and index' }).click();
    await eventually(() => page.locator('[data-collection=More] [data-testid=collection-count]').textContent(), { timeout: 120_000 }).toBe('20 images');
    await page.locator('[data-testid=index-progress][data-phase=done]').waitFor({ timeout: 120_000 });
    expect(searches.length).toBe(sent);
    expect(await page.evaluate(() => (window as unknown as { seenStates: string[] }).seenStates)).toContain('indexing');
    expect(await page.locator('[data-collection=More] [data-testid=collection-state]').count()).toBe(0);
  });

  it('"Search similar" does not list the item itself', async () => {
    await searchFor(7);
    await hits().first().click();
    const self = await hits().first().getAttribute('data-item-id');
    await page.getByRole('button', { name: 'Search similar to this' }).click();
    await page.locator('.query-label', { hasText: 'Similar to' }).waitFor();
    // The previous query's tiles (the item first) stay on screen until the new answer replaces them: wait for it.
    const ids = () => hits().evaluateAll((els) => els.map((e) => e.getAttribute('data-item-id')));
    await eventually(async () => {
      const now = await ids();
      return now.length > 0 && !now.includes(self);
    }).toBe(true);
    await page.locator('[data-testid=results-status]', { hasNotText: 'Searching' }).waitFor();
    expect(await ids()).not.toContain(self);
  });

  it('gives keyboard focus back to the grid when the detail view closes with Escape', async () => {
    await hits().nth(1).click();
    await page.locator('[data-testid=detail]').waitFor();
    await page.keyboard.press('Escape');
    await page.locator('[data-testid=detail]').waitFor({ state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('results-grid');
    await page.keyboard.press('ArrowRight');
    expect(await hits().nth(2).getAttribute('aria-selected')).toBe('true');
  });

  it('keeps the query panel and filter bar in place under a long file name', async () => {
    const side = page.locator('.product-filters');
    const before = (await side.boundingBox())!;
    const long = `${'summer-collection-linen-dress-front-view-high-resolution-'.repeat(3)}final.jpg`;
    await searchFor(9, long);
    const panel = (await page.getByTestId('query-panel').boundingBox())!;
    expect(panel.width).toBeLessThanOrEqual(281);
    const after = (await side.boundingBox())!;
    expect(Math.round(after.height)).toBe(Math.round(before.height));
    expect(Math.round(after.x)).toBe(Math.round(before.x));
    await screenshot(page, 'workflow-search-long-name');
  });

  it('says a failed file’s reason once', async () => {
    await page.locator('[data-collection=Catalog]').getByRole('button', { name: '1 failed' }).click();
    const row = page.locator('[data-testid=failures] tr', { hasText: 'empty.jpg' });
    await row.waitFor();
    expect((await row.textContent())!.split('The file is empty.').length - 1).toBe(1);
    await page.getByRole('button', { name: 'Close' }).click();
  });

  it('shows a styled page in both languages to a browser without the session token', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      const other = await launchBrowser({ colorScheme });
      try {
        const errors: string[] = [];
        other.page.on('console', (msg) => {
          if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) errors.push(msg.text());
        });
        const res = await other.page.goto(h.server.origin);
        expect(res!.status()).toBe(401);
        await other.page.getByRole('heading', { name: 'Lookalike' }).waitFor();
        expect(await other.page.locator('p').allTextContents()).toEqual([
          expect.stringContaining('lookalike serve'),
          expect.stringContaining('请打开'),
        ]);
        // The inline style ran (its hash is allowed by the page's policy): the card has the app's rounded panel.
        expect(await other.page.locator('main').evaluate((el) => getComputedStyle(el).borderRadius)).toBe('12px');
        expect(errors).toEqual([]);
        await screenshot(other.page, `workflow-tokenless-${colorScheme}`);
      } finally {
        await other.close();
      }
    }
  });

  it('looks right in both languages and both themes', async () => {
    await searchFor(3);
    for (const lang of ['English', '中文'] as const) {
      await page.getByRole('button', { name: lang, exact: true }).click();
      for (const colorScheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme });
        await thumbnailsLoaded();
        await screenshot(page, `workflow-search-${lang === 'English' ? 'en' : 'zh'}-${colorScheme}`);
      }
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await page.getByRole('button', { name: 'English', exact: true }).click();
    expect(e2e.pageErrors).toEqual([]);
  });
});
