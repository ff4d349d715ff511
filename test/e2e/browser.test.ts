/**
 * The whole UI in a real browser against `lookalike serve` and the real engine: add a folder, watch it index,
 * drop, paste and drag images, crop, open details, navigate by keyboard, see failures, switch to Chinese.
 * Every wait is on an event or DOM state; screenshots of each step land in test-results/e2e/.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { pngBomb } from '../support/hostile-set.js';
import { collage, scene, writeScene } from '../support/synthetic.js';
import { eventually, screenshot } from './browser.js';
import { setupE2e, type Harness } from './harness.js';

const SCENES = 40;
/** Files that cannot be indexed, each with the code the failures dialog must show. */
const BAD: Record<string, string> = {
  'broken.jpg': 'CORRUPT_IMAGE|UNSUPPORTED_IMAGE|EMPTY_FILE',
  'empty.jpg': 'EMPTY_FILE',
  'notes.jpg': 'UNSUPPORTED_IMAGE',
  'bomb-30000x30000.png': 'IMAGE_TOO_LARGE',
  'link-out.jpg': 'PATH_OUTSIDE_ROOTS',
};
const name = (seed: number) => `scene-${String(seed).padStart(2, '0')}.jpg`;

let h: Harness;
let page: Page;
let photos: string;

const hits = () => page.locator('[data-testid=hit]');
const firstHitName = () => hits().first().locator('.hit-name').textContent();

/** Drops files or web-page data on the window, as the OS or another page would. */
async function drop(data: { file?: { bytes: Buffer; name: string; type: string }; uriList?: string }) {
  const dt = await page.evaluateHandle(({ file, uriList }) => {
    const transfer = new DataTransfer();
    if (file) {
      const bin = atob(file.b64);
      transfer.items.add(new File([Uint8Array.from(bin, (c) => c.charCodeAt(0))], file.name, { type: file.type }));
    }
    if (uriList) transfer.setData('text/uri-list', uriList);
    return transfer;
  }, { file: data.file && { b64: data.file.bytes.toString('base64'), name: data.file.name, type: data.file.type }, uriList: data.uriList });
  await page.dispatchEvent('main', 'dragenter', { dataTransfer: dt });
  await page.dispatchEvent('main', 'drop', { dataTransfer: dt });
}

/** Waits until every visible thumbnail has loaded through the /thumb/<id> route. */
async function thumbnailsLoaded() {
  await page.waitForFunction(() => {
    const imgs = [...document.querySelectorAll<HTMLImageElement>('.hit-thumb img')];
    return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0);
  });
}

const e2e = setupE2e({
  async prepare(harness) {
    h = harness;
    photos = join(h.root, 'photos');
    for (let seed = 1; seed <= SCENES; seed++) await writeScene(join(photos, name(seed)), seed);
    // One damaged file, to be listed with its reason.
    mkdirSync(join(photos, 'bad'), { recursive: true });
    writeFileSync(join(photos, 'bad', 'broken.jpg'), Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64, 7)]));
    // Hostile inputs (see test/support/hostile-set.ts): each is listed with its reason, the rest indexes.
    writeFileSync(join(photos, 'bad', 'empty.jpg'), '');
    writeFileSync(join(photos, 'bad', 'notes.jpg'), 'not an image');
    writeFileSync(join(photos, 'bad', 'bomb-30000x30000.png'), pngBomb(30_000, 30_000));
    await writeScene(join(h.root, 'outside', 'private.jpg'), 99);
    symlinkSync(join(h.root, 'outside', 'private.jpg'), join(photos, 'bad', 'link-out.jpg'));
  },
  ready(session) {
    page = session.page;
  },
});

describe('browser mode, end to end', () => {
  it('opens with the token link and shows the empty library', async () => {
    await page.goto(h.server.url);
    expect(new URL(page.url()).search).toBe(''); // the token left the address bar for a cookie
    await page.getByText('No folders yet').waitFor();
    // Every view stays mounted (hidden when not shown) and each says so: the one on screen is the search.
    await page.locator('main:not([hidden])').getByText('Your library is empty').waitFor();
    await screenshot(page, '01-empty-library');
  });

  it('shows a plain message and the code when a folder does not exist', async () => {
    await page.getByLabel('Collection').fill('Catalog');
    await page.getByLabel('Folder path').fill(join(h.root, 'no-such-folder'));
    await page.getByRole('button', { name: 'Add and index' }).click();
    const notice = page.locator('.sidebar [role=alert]');
    await notice.waitFor();
    expect(await notice.getAttribute('data-error-code')).toBe('FOLDER_NOT_FOUND');
    expect(await notice.textContent()).toContain('The folder does not exist.');
    await screenshot(page, '01b-folder-not-found');
    await notice.getByRole('button', { name: 'Dismiss' }).click();
  });

  it('adds a folder and shows live indexing progress until it is done', async () => {
    await page.getByLabel('Collection').fill('Catalog');
    await page.getByLabel('Folder path').fill(photos);
    await page.getByRole('button', { name: 'Add and index' }).click();
    await page.locator('[data-testid=index-progress]').waitFor();
    await screenshot(page, '02-indexing');
    // "done" only ever reaches the page as a Server-Sent Event from the engine.
    await page.locator('[data-testid=index-progress][data-phase=done]').waitFor({ timeout: 240_000 });
    await eventually(() => page.locator('[data-testid=collection-count]').textContent()).toBe(`${SCENES} images`);
    await eventually(() => page.locator('[data-testid=progress-counts]').textContent()).toContain(`/ ${SCENES + Object.keys(BAD).length}`);
    await screenshot(page, '03-indexed');
  });

  it('lists the files that failed and why', async () => {
    await page.getByRole('button', { name: `${Object.keys(BAD).length} failed` }).click();
    const table = page.locator('[data-testid=failures]');
    await table.waitFor();
    for (const [file, codes] of Object.entries(BAD)) {
      const row = table.locator('tr', { hasText: file });
      expect(await row.textContent(), file).toMatch(new RegExp(codes));
    }
    await screenshot(page, '04-failed-files');
    await page.getByRole('button', { name: 'Close' }).click();
    await table.waitFor({ state: 'detached' });
  });

  it('finds the near-copy of a dropped photo first, with its score', async () => {
    const nearCopy = await scene(7).resize(280, 210).jpeg({ quality: 55 }).toBuffer();
    await drop({ file: { bytes: nearCopy, name: 'from-supplier.jpg', type: 'image/jpeg' } });
    await eventually(firstHitName).toBe(name(7));
    const score = Number(await hits().first().getAttribute('data-score'));
    expect(score).toBeGreaterThan(0.8);
    expect(await hits().first().locator('[data-testid=hit-score]').textContent()).toBe(score.toFixed(3));
    const second = Number(await hits().nth(1).getAttribute('data-score'));
    expect(second).toBeLessThan(score);
    await thumbnailsLoaded();
    await screenshot(page, '05-results');
  });

  it('reruns the search on a crop the user draws, then moves', async () => {
    const seeds: [number, number, number, number] = [3, 11, 15, 20];
    await drop({ file: { bytes: await collage(seeds), name: 'collage.jpg', type: 'image/jpeg' } });
    await page.locator('.query-label', { hasText: 'collage.jpg' }).waitFor();
    await page.getByText(/matches ·/).waitFor();
    const before = await firstHitName();

    const box = (await page.locator('[data-testid=crop-surface]').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.53, box.y + box.height * 0.53);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.8, box.y + box.height * 0.8, { steps: 4 });
    await page.mouse.move(box.x + box.width * 0.98, box.y + box.height * 0.98, { steps: 4 });
    await page.mouse.up();
    await page.locator('[data-testid=crop-rect]').waitFor();
    await eventually(firstHitName).toBe(name(20));
    expect(name(20)).not.toBe(before);
    await thumbnailsLoaded();
    await screenshot(page, '06-crop-bottom-right');

    // Drag the box itself to the top-left quadrant: same size, new place, new ranking.
    const rect = (await page.locator('[data-testid=crop-rect]').boundingBox())!;
    await page.mouse.move(rect.x + rect.width / 2, rect.y + rect.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + rect.width / 2 + 1, box.y + rect.height / 2 + 1, { steps: 6 });
    await page.mouse.up();
    await eventually(firstHitName).toBe(name(3));
    await thumbnailsLoaded();
    await screenshot(page, '07-crop-moved');
  });

  it('navigates results by keyboard and opens the detail view', async () => {
    await page.locator('[data-testid=results-grid]').focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    const third = await hits().nth(2).locator('.hit-name').textContent();
    expect(await hits().nth(2).getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('Enter');
    const detail = page.locator('[data-testid=detail]');
    await detail.waitFor();
    expect(await page.locator('[data-testid=detail-path]').textContent()).toContain(third!);
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('.detail-image img');
      return img !== null && img.complete && img.naturalWidth > 0;
    });
    await screenshot(page, '08-detail');
    await page.keyboard.press('Escape');
    await detail.waitFor({ state: 'detached' });
  });

  it('searches similar to a result from its detail view', async () => {
    await hits().first().click();
    const path = await page.locator('[data-testid=detail-path]').textContent();
    await page.getByRole('button', { name: 'Search similar to this' }).click();
    await page.locator('.query-label', { hasText: 'Similar to' }).waitFor();
    // The item itself is not listed (it would always be first, at 1.000).
    await eventually(() => hits().count()).toBeGreaterThan(0);
    expect(await page.locator('.hit-name').allTextContents()).not.toContain(path!.split('/').pop());
  });

  it('filters by minimum score and sorts', async () => {
    // "40 matches · 3 ms": compare the count, not the timing.
    const status = async () => (await page.getByTestId('results-status').textContent())?.split(' · ')[0];
    const all = await status();
    // A threshold just above the 5th score: at most 4 results may remain, whatever the model's score range.
    const fifth = Number(await hits().nth(4).getAttribute('data-score'));
    const threshold = Math.ceil(fifth * 100 + 1e-9) / 100;
    await page.getByTestId('min-score').fill(String(threshold));
    await eventually(async () => hits().count()).toBeLessThanOrEqual(4);
    for (const s of await hits().evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-score'))))) {
      expect(s).toBeGreaterThanOrEqual(threshold);
    }
    await screenshot(page, '09-min-score');
    await page.getByTestId('min-score').fill('0');
    await eventually(status).toBe(all);
    await page.getByTestId('sort').selectOption('name');
    const names = await page.locator('.hit-name').allTextContents();
    expect(names).toEqual([...names].sort((x, y) => x.localeCompare(y)));
    await page.getByTestId('sort').selectOption('score');
  });

  it('takes a pasted image, an image dragged from a web page and a picked file; refuses remote URLs offline', async () => {
    const png = await scene(12).png().toBuffer();
    await page.evaluate((b64) => {
      const bin = atob(b64);
      const dt = new DataTransfer();
      dt.items.add(new File([Uint8Array.from(bin, (c) => c.charCodeAt(0))], 'clipboard.png', { type: 'image/png' }));
      document.body.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
    }, png.toString('base64'));
    await eventually(firstHitName).toBe(name(12));

    const fromWeb = await scene(25).png().toBuffer();
    await drop({ uriList: `data:image/png;base64,${fromWeb.toString('base64')}` });
    await eventually(firstHitName).toBe(name(25));

    await page.setInputFiles('[data-testid=file-input]', { name: 'picked.jpg', mimeType: 'image/jpeg', buffer: await scene(33).jpeg().toBuffer() });
    await page.locator('.query-label', { hasText: 'picked.jpg' }).waitFor();
    await eventually(firstHitName).toBe(name(33));

    await drop({ uriList: 'https://shop.example/product.jpg' });
    await page.locator('[data-error-code=NETWORK_DISABLED]').waitFor();
    // The refused URL replaced the query: the previous results do not stay on screen as if they answered it.
    expect(await hits().count()).toBe(0);
    await screenshot(page, '10-network-disabled');
    await page.locator('[data-error-code=NETWORK_DISABLED]').getByRole('button').click();
  });

  it('restricts the search to one collection', async () => {
    const competitor = join(h.root, 'competitor');
    for (let seed = 41; seed <= 45; seed++) await writeScene(join(competitor, name(seed)), seed);
    await page.getByLabel('Collection').fill('Competitor');
    await page.getByLabel('Folder path').fill(competitor);
    await page.getByRole('button', { name: 'Add and index' }).click();
    const card = page.locator('[data-collection=Competitor] [data-testid=collection-count]');
    await eventually(() => card.textContent(), { timeout: 120_000 }).toBe('5 images');
    // The refused URL of the previous case left no query: pick one again.
    await page.setInputFiles('[data-testid=file-input]', { name: 'again.jpg', mimeType: 'image/jpeg', buffer: await scene(33).jpeg().toBuffer() });
    await page.locator('.query-label', { hasText: 'again.jpg' }).waitFor();
    await page.getByRole('button', { name: 'Competitor', exact: true }).click();
    await eventually(() => hits().count()).toBe(5);
    const metas = await page.locator('.hit-meta').allTextContents();
    expect(metas.every((m) => m.startsWith('Competitor'))).toBe(true);
    await thumbnailsLoaded();
    await screenshot(page, '11-collection-filter');
    await page.getByRole('button', { name: 'All', exact: true }).click();
    await eventually(() => hits().count()).toBeGreaterThan(5);
  });

  it('removes a folder after confirmation', async () => {
    const card = page.locator('[data-collection=Competitor]');
    await card.getByRole('button', { name: /^Remove folder/ }).click();
    await card.getByRole('button', { name: 'Remove', exact: true }).click();
    await eventually(() => card.locator('.root').count()).toBe(0);
    await eventually(() => card.locator('[data-testid=collection-count]').textContent()).toBe('0 images');
    // The open search reruns: nothing from the removed folder is still offered.
    await eventually(async () => (await page.locator('.hit-meta').allTextContents()).some((m) => m.startsWith('Competitor'))).toBe(false);
  });

  it('switches to Simplified Chinese', async () => {
    await page.getByRole('button', { name: '中文' }).click();
    await page.getByRole('heading', { name: '图库', exact: true }).waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
    await page.getByText(/个匹配/).waitFor();
    await screenshot(page, '12-chinese');
    await hits().first().click();
    await page.getByRole('button', { name: '搜索与此相似的' }).waitFor();
    await screenshot(page, '13-chinese-detail');
    await page.keyboard.press('Escape');
  });

  it('follows the OS dark mode', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    const bg = await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--bg').trim());
    expect(bg).toBe('#101318');
    await screenshot(page, '14-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('raised no page errors and no CSP violations', () => {
    expect(e2e.pageErrors).toEqual([]);
  });
});
