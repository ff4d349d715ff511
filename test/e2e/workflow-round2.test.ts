/**
 * The merchandiser's workflow, round 2 (issue 17) in a real browser against `lookalike serve` and the real engine:
 * byte-identical copies are one result with a "×N copies" badge (also for find-similar of one of them); the last
 * queries are kept in the data folder, survive a reload, are asked again with one click and can be cleared; a photo
 * over the pixel limit is offered to be indexed downscaled from the failures dialog, and a dropped one is searched
 * downscaled with a notice. Then every view touched, in both languages and both themes. Every wait is on DOM state;
 * screenshots land in test-results/e2e/.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { scene, writeScene } from '../support/synthetic.js';
import { eventually, screenshot } from './browser.js';
import { setupE2e, type Harness } from './harness.js';

const SCENES = 8;
const W = 240;
const H = 360;
/** A small pixel limit, so a photo over it is cheap to write: 1 MP. */
const MAX_PIXELS = 1_000_000;
const name = (seed: number) => `scene-${String(seed).padStart(2, '0')}.jpg`;
const COPIES = ['scene-01.jpg', 'scene-01-copy.jpg', 'scene-01-again.jpg'];

let h: Harness;
let page: Page;
let photos: string;

const hits = () => page.locator('[data-testid=hit]');
const names = () => hits().locator('.hit-name').allTextContents();
const historyEntries = () => page.locator('[data-testid=history-entry]');

async function pick(fileName: string, buffer: Buffer) {
  await page.setInputFiles('[data-testid=file-input]', { name: fileName, mimeType: 'image/jpeg', buffer });
}

async function settled() {
  await page.locator('[data-testid=results-status]', { hasNotText: /Searching|正在搜索/ }).waitFor();
}

async function thumbnailsLoaded(selector = '.hit-thumb img') {
  await page.waitForFunction((sel) => {
    const imgs = [...document.querySelectorAll<HTMLImageElement>(sel)];
    return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0);
  }, selector);
}

async function searchFor(seed: number, fileName = `query-${seed}.jpg`, expected: readonly string[] = seed === 1 ? COPIES : [name(seed)]) {
  await pick(fileName, await scene(seed, W, H).jpeg().toBuffer());
  await page.locator('.query-label', { hasText: fileName }).waitFor();
  await eventually(async () => expected.includes((await hits().first().locator('.hit-name').textContent()) ?? '')).toBe(true);
  await settled();
}

/**
 * Screenshots of what `open` shows (and `close` then puts away: a dialog covers the language buttons) in both
 * languages and both themes.
 */
async function shots(base: string, open?: () => Promise<void>, close?: () => Promise<void>) {
  for (const lang of ['English', '中文'] as const) {
    await page.locator('.topbar').getByRole('button', { name: lang, exact: true }).click();
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      await open?.();
      await screenshot(page, `${base}-${lang === 'English' ? 'en' : 'zh'}-${colorScheme}`);
      await close?.();
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
  await page.locator('.topbar').getByRole('button', { name: 'English', exact: true }).click();
}

const e2e = setupE2e({
  maxPixels: MAX_PIXELS,
  async prepare(harness) {
    h = harness;
    photos = join(h.root, 'photos');
    for (let seed = 1; seed <= SCENES; seed++) await writeScene(join(photos, name(seed)), seed, { width: W, height: H });
    mkdirSync(join(photos, 'copies'), { recursive: true });
    for (const copy of COPIES.slice(1)) copyFileSync(join(photos, name(1)), join(photos, 'copies', copy));
    // 1.6 MP: over the limit.
    await writeScene(join(photos, 'large', 'poster.jpg'), 30, { width: 1600, height: 1000 });
  },
  ready(session) {
    page = session.page;
  },
});

describe('merchandiser workflow, round 2', () => {
  it('indexes the photos, refusing the one over the pixel limit', async () => {
    await page.goto(h.server.url);
    await page.getByLabel('Collection').fill('Catalog');
    await page.getByLabel('Folder path').fill(photos);
    await page.getByRole('button', { name: 'Add and index' }).click();
    await page.locator('[data-testid=index-progress][data-phase=done]').waitFor({ timeout: 240_000 });
    await eventually(() => page.locator('[data-testid=collection-count]').textContent()).toBe(`${SCENES + 2} images`);
    await page.locator('[data-collection=Catalog]').getByRole('button', { name: '1 failed' }).waitFor();
    const rows = Array.from({ length: SCENES }, (_, i) => `SKU-${i + 1},Linen dress ${i + 1},${19 + i}.90,${name(i + 1)}`);
    await h.engine.api['catalog:importCsv']({
      collection: 'Catalog',
      source: { kind: 'text', text: ['sku,title,price,image', ...rows].join('\n') },
      preview: false,
      previewRows: 10,
    });
  });

  it('shows byte-identical copies as one result with a “×3 copies” badge', async () => {
    await searchFor(1);
    const shown = await names();
    // The oldest of the copies (indexed first) stands for them.
    expect(shown.filter((n) => COPIES.includes(n))).toEqual([shown[0]]);
    expect(await hits().first().getByTestId('copies-badge').textContent()).toBe('×3 copies');
    expect(await page.getByTestId('copies-badge').count()).toBe(1);
    await hits().first().click();
    const listed = page.getByTestId('detail-copies').locator('li');
    await eventually(() => listed.count()).toBe(3);
    const paths = await listed.allTextContents();
    for (const copy of COPIES) expect(paths.some((p) => p.endsWith(copy))).toBe(true);
    await page.keyboard.press('Escape');
    await page.getByTestId('detail').waitFor({ state: 'detached' });
    await shots(
      'round2-copies-detail',
      async () => {
        await hits().first().click();
        await page.getByTestId('detail-copies').waitFor();
      },
      async () => {
        await page.keyboard.press('Escape');
        await page.getByTestId('detail').waitFor({ state: 'detached' });
      },
    );
  });

  it('find-similar of one copy shows its other copies as one result, never the item itself', async () => {
    const self = await hits().first().getAttribute('data-item-id');
    await hits().first().click();
    await page.getByRole('button', { name: 'Search similar to this' }).click();
    await page.locator('.query-label', { hasText: 'Similar to' }).waitFor();
    const ids = () => hits().evaluateAll((els) => els.map((e) => e.getAttribute('data-item-id')));
    await eventually(async () => {
      const now = await ids();
      return now.length > 0 && !now.includes(self);
    }).toBe(true);
    await settled();
    const shown = await names();
    expect(shown.filter((n) => COPIES.includes(n))).toHaveLength(1);
    expect(COPIES).toContain(shown[0]);
    expect(await hits().first().getByTestId('copies-badge').textContent()).toBe('×3 copies');
    await thumbnailsLoaded();
    await shots('round2-copies');
  });

  it('keeps the last queries, newest first, across a reload, and asks one again with one click', async () => {
    await searchFor(4);
    // Filters typed under a photo refine its entry, letter by letter: still one entry.
    await page.getByTestId('filter-text').pressSequentially('dress', { delay: 40 });
    await settled();
    await page.getByTestId('filter-text').fill('');
    await settled();
    // A crop of a dropped photo is an entry of its own.
    await searchFor(6);
    const stage = (await page.locator('.crop-stage').boundingBox())!;
    await page.mouse.move(stage.x + stage.width * 0.2, stage.y + stage.height * 0.2);
    await page.mouse.down();
    await page.mouse.move(stage.x + stage.width * 0.8, stage.y + stage.height * 0.7, { steps: 5 });
    await page.mouse.up();
    await page.getByTestId('crop-size').waitFor();
    await settled();
    const entries = () => historyEntries().evaluateAll((els) => els.map((e) => `${e.getAttribute('data-kind')}:${e.getAttribute('aria-label')}`));
    const expected = [
      'image:Search again: query-6.jpg · region',
      'image:Search again: query-6.jpg',
      'image:Search again: query-4.jpg',
      expect.stringMatching(/^item:Search again: Similar to scene-01/),
      'image:Search again: query-1.jpg',
    ];
    await eventually(() => entries()).toEqual(expected);

    // A reload starts with no query; the history is the data folder's.
    await page.reload();
    await eventually(() => entries()).toEqual(expected);
    await thumbnailsLoaded('.history-entry img');
    // Filters alone: one entry for the whole word.
    await page.getByTestId('filter-text').pressSequentially('dress', { delay: 40 });
    await eventually(() => hits().count()).toBeGreaterThan(0);
    await settled();
    await eventually(() => entries()).toEqual(['text:Search again: “dress”', ...expected]);

    // Back to the first photo: its bytes came from the data folder, not from the page.
    await historyEntries().nth(5).click();
    await page.locator('.query-label', { hasText: 'query-1.jpg' }).waitFor();
    await eventually(async () => COPIES.includes((await hits().first().locator('.hit-name').textContent()) ?? '')).toBe(true);
    await settled();
    expect(await page.getByTestId('filter-text').inputValue()).toBe('');
    // Asked again, it moved to the top (and is the pressed one).
    await eventually(() => historyEntries().first().getAttribute('aria-label')).toBe('Search again: query-1.jpg');
    expect(await historyEntries().first().getAttribute('aria-pressed')).toBe('true');
    // The cropped query comes back with its crop.
    await page.locator('[data-testid=history-entry][aria-label="Search again: query-6.jpg · region"]').click();
    await page.locator('.query-label', { hasText: 'query-6.jpg' }).waitFor();
    await page.getByTestId('crop-size').waitFor();
    await settled();
    // The text search comes back as its filters, with no photo.
    await page.locator('[data-testid=history-entry][data-kind=text]').click();
    await eventually(() => page.getByTestId('filter-text').inputValue()).toBe('dress');
    await eventually(() => page.locator('.query-label').count()).toBe(0);
    await settled();
    expect(await hits().count()).toBeGreaterThan(0);
    // The item's find-similar, by its catalog photo.
    await page.locator('[data-testid=history-entry][data-kind=item]').click();
    await page.locator('.query-label', { hasText: 'Similar to' }).waitFor();
    await settled();
    await thumbnailsLoaded();
    await thumbnailsLoaded('.history-entry img');
    await shots('round2-history');
  });

  it('clears the history, for good', async () => {
    await page.getByTestId('history-clear').click();
    await page.getByTestId('history').waitFor({ state: 'detached' });
    await page.reload();
    await page.getByTestId('query-panel').waitFor();
    await page.locator('[data-testid=collection-count]').waitFor();
    expect(await page.getByTestId('history').count()).toBe(0);
  });

  it('offers to index the oversized photo downscaled, and then finds it', async () => {
    await page.locator('[data-collection=Catalog]').getByRole('button', { name: '1 failed' }).click();
    const row = page.locator('[data-testid=failures] tr', { hasText: 'poster.jpg' });
    await row.waitFor();
    expect(await row.textContent()).toContain('can be indexed downscaled');
    await page.getByTestId('downscale-offer').waitFor();
    await page.getByRole('button', { name: 'Close' }).click();
    await shots(
      'round2-failures',
      async () => {
        await page.locator('[data-collection=Catalog]').getByRole('button', { name: /1 failed|1 个失败/ }).click();
        await page.getByTestId('downscale-offer').waitFor();
      },
      async () => {
        await page.locator('.failures-dialog .modal-head .button').click();
        await page.getByTestId('downscale-offer').waitFor({ state: 'detached' });
      },
    );
    await page.locator('[data-collection=Catalog]').getByRole('button', { name: '1 failed' }).click();
    await page.getByTestId('downscale-offer').getByRole('button', { name: 'Index downscaled' }).click();
    await eventually(() => page.locator('[data-testid=collection-count]').textContent(), { timeout: 120_000 }).toBe(`${SCENES + 3} images`);
    await page.locator('[data-testid=index-progress][data-phase=done]').waitFor({ timeout: 120_000 });
    expect(await page.locator('[data-collection=Catalog]').getByRole('button', { name: /failed/ }).count()).toBe(0);
    // Found by its own (small) photo, with a thumbnail.
    await searchFor(30, 'poster-small.jpg', ['poster.jpg']);
    expect(await hits().first().locator('.hit-meta').textContent()).toContain('1600×1000');
    await thumbnailsLoaded();
  }, 300_000);

  it('searches a dropped photo over the pixel limit downscaled, and says so', async () => {
    await pick('big-query.jpg', await scene(5, 1500, 1000).jpeg().toBuffer());
    await page.locator('.query-label', { hasText: 'big-query.jpg' }).waitFor();
    const notice = page.getByTestId('downscaled-notice');
    await notice.waitFor();
    expect(await notice.textContent()).toContain('1,500 × 1,000');
    expect(await notice.textContent()).toContain('1,000,000');
    await eventually(() => hits().count()).toBeGreaterThan(0);
    await settled();
    await thumbnailsLoaded();
    await shots('round2-downscaled');
  });

  it('sets Chinese titles in bold, which no CJK font here draws at a semi-bold weight', async () => {
    await page.locator('.topbar').getByRole('button', { name: '中文', exact: true }).click();
    const weight = (sel: string) => page.locator(sel).first().evaluate((el) => getComputedStyle(el).fontWeight);
    expect(await weight('.panel-title')).toBe('700');
    expect(await weight('.section-title')).toBe('700');
    expect(await weight('.hit-name')).toBe('700');
    await page.locator('.topbar').getByRole('button', { name: 'English', exact: true }).click();
    expect(await weight('.section-title')).toBe('600');
  });

  it('looks right: browse, settings and the folder picker in both languages and themes', async () => {
    await page.getByTestId('tab-browse').click();
    await eventually(() => page.getByTestId('browse-tile').count()).toBeGreaterThan(0);
    await thumbnailsLoaded('[data-testid=browse-tile] img');
    await shots('round2-browse');
    await page.getByTestId('tab-settings').click();
    // "Index downscaled" is the collection's setting, shown (and undone) here.
    expect(await page.locator('[data-downscale-collection=Catalog]').isChecked()).toBe(true);
    await shots('round2-settings');
    await page.getByTestId('tab-search').click();
    // The picker opens where the typed path points: the test's folder, which has sub-folders to show.
    await page.locator('.topbar').getByRole('button', { name: 'English', exact: true }).click();
    await page.getByLabel('Folder path').fill(h.root);
    const dialog = page.getByRole('dialog');
    await shots(
      'round2-folder-picker',
      async () => {
        await page.getByRole('button', { name: /Browse…|浏览…/ }).click();
        await dialog.waitFor();
        await page.getByTestId('picker-path').filter({ hasText: '/' }).waitFor();
      },
      async () => {
        await page.keyboard.press('Escape');
        await dialog.waitFor({ state: 'detached' });
      },
    );
    expect(e2e.pageErrors).toEqual([]);
  });
});
