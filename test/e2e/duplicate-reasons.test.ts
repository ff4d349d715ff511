/**
 * Why two files are duplicates, as the compare pane shows it (issue 16): a copy whose pixels were turned 90°
 * without an EXIF tag is grouped with its original, and the pane says "rotated 90°", in English and Chinese, light
 * and dark. Waits are on DOM state; screenshots land in test-results/e2e/ (and SHOTS_DIR when set).
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scene } from '../support/synthetic.js';
import { eventually, launchBrowser, screenshot, watchPageErrors, type TestBrowser } from './browser.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
let b: TestBrowser;
let page: Page;
const pageErrors: string[] = [];

async function shot(name: string): Promise<void> {
  await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('[data-testid=compare-image], .member-thumb img')].every((i) => i.complete && i.naturalWidth > 0));
  await page.getByTestId('compare-reason').scrollIntoViewIfNeeded();
  const path = await screenshot(page, name);
  if (process.env.SHOTS_DIR) {
    mkdirSync(process.env.SHOTS_DIR, { recursive: true });
    copyFileSync(path, join(process.env.SHOTS_DIR, `${name}.png`));
  }
}

beforeAll(async () => {
  h = await startHarness();
  const photos = join(h.root, 'photos');
  mkdirSync(photos, { recursive: true });
  for (const seed of [1, 2, 3]) writeFileSync(join(photos, `product-${seed}.jpg`), await scene(500 + seed, 480, 640, { crisp: true }).jpeg({ quality: 92 }).toBuffer());
  const original = await scene(501, 480, 640, { crisp: true }).jpeg({ quality: 92 }).toBuffer();
  writeFileSync(join(photos, 'product-1-turned.jpg'), await sharp(original).rotate(90).jpeg({ quality: 80 }).toBuffer());
  b = await launchBrowser();
  page = b.page;
  watchPageErrors(page, pageErrors);
  await page.goto(h.server.url);
  await page.getByLabel('Collection').fill('Catalog');
  await page.getByLabel('Folder path').fill(photos);
  await page.getByRole('button', { name: 'Add and index' }).click();
  await page.locator('[data-testid=index-progress][data-phase=done]').waitFor({ timeout: 240_000 });
}, 300_000);

afterAll(async () => {
  await b?.close();
  await h?.close();
});

describe('duplicate reasons in the compare pane', () => {
  it('says a turned copy is "rotated 90°", in both languages and themes', async () => {
    await page.getByTestId('tab-duplicates').click();
    await page.getByTestId('dupes-collection').selectOption('Catalog');
    await page.getByRole('button', { name: 'Find duplicates' }).click();
    await eventually(() => page.locator('[data-testid=group]').count()).toBe(1);
    const reason = page.getByTestId('compare-reason');
    await eventually(() => reason.textContent()).toContain('rotated 90°');
    await shot('neardup-compare-en-light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot('neardup-compare-en-dark');
    await page.getByRole('button', { name: '中文' }).click();
    await eventually(() => reason.textContent()).toContain('旋转 90°');
    await shot('neardup-compare-zh-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await shot('neardup-compare-zh-light');
    await page.getByRole('button', { name: 'English' }).click();
  });

  it('raised no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
