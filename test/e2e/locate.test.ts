/**
 * Product regions in the search panel (issue 20), in a real browser against `lookalike serve` and the real engine on
 * the `accurate` model (the built-in one with a saliency map): a dropped photo of a product on a plain background is
 * offered a box around the product, as an outline and a chip, and one click searches that crop. Screenshots in both
 * languages and both themes go to /work/shots/locate/ (LOOKALIKE_SHOTS overrides) and test-results/e2e/.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productOnPlain } from '../support/synthetic.js';
import { eventually, launchBrowser, screenshot, watchPageErrors } from './browser.js';
import { startHarness, type Harness } from './harness.js';

const SHOTS_DIR = process.env['LOOKALIKE_SHOTS'] ?? '/work/shots/locate';
/** The catalog: one product shot per seed, the product somewhere on a plain background. */
const CATALOG = [
  { seed: 7, box: { x: 240, y: 60, width: 180, height: 200 } },
  { seed: 11, box: { x: 60, y: 220, width: 160, height: 200 } },
  { seed: 23, box: { x: 40, y: 40, width: 200, height: 180 } },
  { seed: 31, box: { x: 250, y: 250, width: 190, height: 190 } },
];
/** The dropped photo: product 7 moved to the lower left of a wider, whiter frame. */
const DROPPED = { x: 60, y: 160, width: 180, height: 200 };

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ modelId: 'accurate' });
  mkdirSync(join(h.root, 'shots'), { recursive: true });
  mkdirSync(SHOTS_DIR, { recursive: true });
  for (const s of CATALOG) {
    writeFileSync(join(h.root, 'shots', `product-${s.seed}.jpg`), await productOnPlain(s.seed, s.box));
  }
  await h.engine.library.addFolder('Shop', join(h.root, 'shots'));
  h.engine.library.setRegions('Shop', true);
  await h.engine.indexer.run(['Shop']);
}, 300_000);

afterAll(async () => {
  await h?.close();
});

async function dropPhoto(page: Page): Promise<void> {
  const buffer = await productOnPlain(7, DROPPED, { width: 520, height: 440, background: '#ffffff' });
  await page.setInputFiles('[data-testid=file-input]', { name: 'shelf-photo.jpg', mimeType: 'image/jpeg', buffer });
}

const VARIANTS = [
  { locale: 'en-US', colorScheme: 'light' },
  { locale: 'en-US', colorScheme: 'dark' },
  { locale: 'zh-CN', colorScheme: 'light' },
  { locale: 'zh-CN', colorScheme: 'dark' },
] as const;

describe('one-click crops of the objects found in a dropped photo', () => {
  for (const v of VARIANTS) {
    it(`offers a box around the product and searches it on click (${v.locale}, ${v.colorScheme})`, async () => {
      const b = await launchBrowser(v);
      const errors: string[] = [];
      const bodies: string[] = [];
      try {
        const { page } = b;
        watchPageErrors(page, errors);
        page.on('request', (req) => {
          if (decodeURIComponent(req.url()).includes('search:byImage')) bodies.push(req.postData() ?? '');
        });
        await page.goto(h.server.url);
        await dropPhoto(page);
        const chips = page.locator('[data-testid=object-chip]');
        await chips.first().waitFor();
        await page.locator('[data-testid=hit]').first().waitFor();
        // The first object's outline surrounds the product (the outline is in display pixels of the shown image).
        const img = await page.locator('.crop-stage img').boundingBox();
        const outline = await page.locator('[data-testid=object-rect]').first().boundingBox();
        expect(img && outline).toBeTruthy();
        const scale = img!.width / 520;
        const cx = img!.x + (DROPPED.x + DROPPED.width / 2) * scale;
        const cy = img!.y + (DROPPED.y + DROPPED.height / 2) * scale;
        expect(cx).toBeGreaterThan(outline!.x);
        expect(cx).toBeLessThan(outline!.x + outline!.width);
        expect(cy).toBeGreaterThan(outline!.y);
        expect(cy).toBeLessThan(outline!.y + outline!.height);
        expect(outline!.width * outline!.height).toBeLessThan(0.9 * img!.width * img!.height);
        await screenshot(page, `locate-objects-${v.locale}-${v.colorScheme}`).then((p) => copyFileSync(p, join(SHOTS_DIR, `objects-${v.locale}-${v.colorScheme}.png`)));

        const before = bodies.length;
        await chips.first().click();
        await eventually(() => bodies.slice(before).some((body) => body.includes('"crop"'))).toBe(true);
        await eventually(() => page.locator('[data-testid=object-chip][aria-pressed=true]').count()).toBe(1);
        await page.locator('[data-testid=crop-rect]').waitFor();
        await eventually(() => page.locator('[data-testid=results-status]').textContent()).not.toMatch(/Searching|正在搜索/);
        await eventually(() => page.locator('[data-testid=hit] .hit-name').first().textContent()).toBe('product-7.jpg');
        await screenshot(page, `locate-crop-${v.locale}-${v.colorScheme}`).then((p) => copyFileSync(p, join(SHOTS_DIR, `crop-${v.locale}-${v.colorScheme}.png`)));
        expect(errors).toEqual([]);
      } finally {
        await b.close();
      }
    }, 180_000);
  }
});
