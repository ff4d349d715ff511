/**
 * Progressive indexing as a user sees it (issue 18), in the real renderer against `lookalike serve`, on the real
 * `fast` model (the job's threshold lowered to one file): a collection whose run stopped after its first pass says
 * on its card how many photos are not searchable yet, and the duplicates view already groups them; a rescan embeds
 * them and the card shows the count again. Both languages and both themes.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alterImage } from '../../src/core/eval/alterations.js';
import { scene } from '../support/synthetic.js';
import { eventually, launchBrowser, screenshot, watchPageErrors } from './browser.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
const FILES = 8;

beforeAll(async () => {
  h = await startHarness({ index: { progressiveMinFiles: 1 } });
  const photos = join(h.root, 'photos');
  mkdirSync(photos, { recursive: true });
  const src = await Promise.all([0, 1, 2, 3, 4, 5].map((s) => scene(300 + s, 480, 360).jpeg({ quality: 92 }).toBuffer()));
  src.forEach((b, i) => writeFileSync(join(photos, `scene${i}.jpg`), b));
  writeFileSync(join(photos, 'scene0-small.jpg'), (await alterImage(src[0]!, 'resize')).data);
  copyFileSync(join(photos, 'scene1.jpg'), join(photos, 'scene1-copy.jpg'));
  await h.engine.api['library:addFolder']({ collection: 'Shop', path: photos });
  // Stopped as the model's pass begins: one file embedded as the first sample, the others catalogued only.
  const controller = new AbortController();
  let catalogued = false;
  const [summary] = await h.engine.indexer.run(['Shop'], {
    signal: controller.signal,
    onProgress: (p) => {
      catalogued ||= p.phase === 'fingerprinting';
      if (catalogued && p.phase === 'embedding') controller.abort();
    },
  });
  expect(summary).toMatchObject({ fingerprinted: FILES - 1, indexed: 1, pending: FILES - 1 });
}, 300_000);

afterAll(async () => {
  await h?.close();
});

describe('a collection catalogued but not embedded yet', () => {
  for (const [locale, scheme] of [
    ['en-US', 'light'],
    ['zh-CN', 'dark'],
  ] as const) {
    it(`says what is not searchable yet, and its duplicates are found (${locale}, ${scheme})`, async () => {
      const b = await launchBrowser({ locale, colorScheme: scheme });
      const errors: string[] = [];
      watchPageErrors(b.page, errors);
      const page = b.page;
      try {
        await page.goto(h.server.url);
        const card = page.locator('[data-collection=Shop]');
        const state = card.getByTestId('collection-state');
        await eventually(() => state.getAttribute('data-state')).toBe('pending');
        expect(await state.textContent()).toBe(locale === 'en-US' ? `${FILES - 1} not searchable yet` : `${FILES - 1} 张尚不可搜索`);
        // The count is of every catalogued photo (duplicates see them all), not only of the searchable ones.
        expect(await card.getByTestId('collection-count').textContent()).toBe(locale === 'en-US' ? `${FILES} images` : `${FILES} 张图片`);
        expect(await state.getAttribute('title')).toMatch(locale === 'en-US' ? /duplicates/ : /查重/);
        // The stopped run's line says what it left unsearchable, not only what it embedded.
        expect(await page.getByTestId('last-run').textContent()).toContain(locale === 'en-US' ? `1 indexed, 0 failed` : `已索引 1 张`);
        expect(await page.getByTestId('last-run').textContent()).toContain(locale === 'en-US' ? `${FILES - 1} catalogued, not searchable yet` : `${FILES - 1} 张已编目、尚不可搜索`);
        await screenshot(page, `progressive-pending-${locale}-${scheme}`);

        await page.getByTestId('tab-duplicates').click();
        await page.getByTestId('dupes-collection').selectOption('Shop');
        await page.getByRole('button', { name: locale === 'en-US' ? 'Find duplicates' : '查找重复' }).click();
        await eventually(() => page.locator('[data-testid=group]').count()).toBe(2);
        await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('[data-testid=group] img')].every((i) => i.complete && i.naturalWidth > 0));
        await screenshot(page, `progressive-pending-dupes-${locale}-${scheme}`);
        expect(errors).toEqual([]);
      } finally {
        await b.close();
      }
    }, 120_000);
  }

  it('a rescan embeds them in place: the card shows the count again', async () => {
    const b = await launchBrowser({ locale: 'en-US', colorScheme: 'light' });
    try {
      const page = b.page;
      await page.goto(h.server.url);
      const card = page.locator('[data-collection=Shop]');
      await card.getByRole('button', { name: 'Rescan' }).click();
      await page.locator('[data-testid=index-progress][data-phase=done]').waitFor({ timeout: 240_000 });
      await eventually(() => card.getByTestId('collection-count').textContent()).toBe(`${FILES} images`);
      // The count was already all files before the rescan (pending ones count); the badge goes with the library's
      // refresh after the job's last event, which may land a moment after the progress shows done.
      await eventually(() => card.getByTestId('collection-state').count()).toBe(0);
    } finally {
      await b.close();
    }
  }, 300_000);
});
