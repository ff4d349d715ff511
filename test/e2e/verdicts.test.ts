/**
 * Calibrated verdicts in the real renderer against `lookalike serve` (issue 20, issue 17 item 5): a catalog whose
 * product data taught it a projection and a calibration shows "Same product · 92%" rather than a raw cosine, text
 * hits say "Text match" (not 2.256 or 0.000), and match reads its header in chances. The photos are real generated
 * images (thumbnails); their embeddings are written to the catalog as the index job would, designed so that the
 * learned projection is kept (see test/integration/learned-projection.test.ts). Screenshots in both languages and
 * themes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/core/base/linalg.js';
import { importSkus, insertSyntheticItems } from '../support/synthetic-catalog.js';
import { scene } from '../support/synthetic.js';
import { eventually, launchBrowser, screenshot, watchPageErrors } from './browser.js';
import { startHarness, type Harness } from './harness.js';

const DIM = 64;
const SKUS = 40;
let h: Harness;

const gaussian = (rand: () => number) => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
const unit = (v: Float32Array) => {
  const n = Math.hypot(...v) || 1;
  return v.map((x) => x / n);
};

beforeAll(async () => {
  h = await startHarness();
  const { engine } = h;
  const rand = mulberry32(5);
  const nuisance = Array.from({ length: 4 }, () => unit(Float32Array.from({ length: DIM }, () => gaussian(rand))));
  // Ours: SKUs 0–29, two photos each; theirs: SKUs 0–19 (two other photos) and 30–39, which ours lacks.
  const where = (sku: number, photo: number) => (photo < 2 ? (sku < 30 ? 'ours' : null) : sku < 20 || sku >= 30 ? 'theirs' : null);
  const rows: { collection: string; file: string; sku: number; vector: Float32Array }[] = [];
  for (let s = 0; s < SKUS; s++) {
    const product = unit(Float32Array.from({ length: DIM }, () => gaussian(rand)));
    for (let p = 0; p < 4; p++) {
      const collection = where(s, p);
      const v = Float32Array.from(product, (x) => x + 0.15 * gaussian(rand));
      for (const d of nuisance) {
        const w = 1.2 * gaussian(rand);
        for (let j = 0; j < DIM; j++) v[j] = v[j]! + w * d[j]!;
      }
      if (collection) rows.push({ collection, file: `sku-${String(s).padStart(2, '0')}-${p}.jpg`, sku: s, vector: unit(v) });
    }
  }
  for (const c of ['ours', 'theirs']) mkdirSync(join(h.root, c), { recursive: true });
  await Promise.all(
    rows.map(async (r) => {
      const crop = r.file.endsWith('-0.jpg') || r.file.endsWith('-2.jpg') ? { left: 0, top: 0, width: 320, height: 240 } : { left: 30, top: 20, width: 260, height: 200 };
      writeFileSync(join(h.root, r.collection, r.file), await scene(700 + r.sku).extract(crop).jpeg({ quality: 88 }).toBuffer());
    }),
  );
  for (const c of ['ours', 'theirs']) {
    const mine = rows.filter((r) => r.collection === c);
    insertSyntheticItems(engine, c, join(h.root, c), mine, c === 'ours' ? 0 : rows.length);
    await importSkus(engine, c, mine.map((r) => ({ file: r.file, sku: `SKU-${r.sku}`, title: `Product ${r.sku}` })), 'Acme');
  }
  await engine.models.refreshTransform();
  expect(engine.model.transformInfo()?.kind).toBe('lda');
  expect(engine.model.calibration()?.source).toBe('catalog');
}, 300_000);

afterAll(async () => {
  await h?.close();
});

const SHOTS = '/work/shots/verdicts';

describe('calibrated verdicts in the UI', () => {
  for (const [locale, scheme] of [
    ['en-US', 'light'],
    ['zh-CN', 'dark'],
    ['en-US', 'dark'],
    ['zh-CN', 'light'],
  ] as const) {
    it(`search, find-similar and match read as verdicts (${locale}, ${scheme})`, async () => {
      const b = await launchBrowser({ locale, colorScheme: scheme });
      const errors: string[] = [];
      watchPageErrors(b.page, errors);
      const page = b.page;
      const tag = `${locale}-${scheme}`;
      const shot = async (name: string) => {
        const file = await screenshot(page, `verdicts-${name}-${tag}`);
        mkdirSync(SHOTS, { recursive: true });
        writeFileSync(join(SHOTS, `${name}-${tag}.png`), (await import('node:fs')).readFileSync(file));
      };
      try {
        await page.goto(h.server.url);
        // Text alone: no photo to compare, and no number pretending to be a similarity.
        await page.getByTestId('filter-text').fill('Product');
        const badges = page.locator('[data-testid=hit] [data-testid=hit-score]');
        await badges.first().waitFor();
        await eventually(() => badges.evaluateAll((els) => els.every((e) => e.getAttribute('data-verdict') === 'text'))).toBe(true);
        expect(await badges.first().textContent()).toBe(locale === 'en-US' ? 'Text match' : '文本匹配');
        // Find-similar from the first hit: the other photo of its SKU is the same product, with a readable chance.
        const first = page.locator('[data-testid=hit]').first();
        const firstName = (await first.locator('.hit-name').textContent())!;
        await first.click();
        await page.locator('.detail-side').waitFor();
        await page.getByTestId('filter-text').fill('');
        await page.getByRole('button', { name: locale === 'en-US' ? 'Search similar to this' : '搜索与此相似的' }).click();
        await eventually(() => badges.first().getAttribute('data-verdict')).toMatch(/^(same|similar|different)$/);
        const top = page.locator('[data-testid=hit]').first();
        const sku = firstName.slice(0, 6);
        expect(await top.locator('.hit-name').textContent()).toContain(sku);
        const text = (await top.locator('[data-testid=hit-score]').textContent())!;
        expect(text).toMatch(locale === 'en-US' ? /^Same product · \d{1,2}%$/ : /^同一商品 · \d{1,2}%$/);
        expect(await top.locator('[data-testid=hit-score]').getAttribute('title')).toMatch(/\d{1,2}%/);
        await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('.hit-thumb img')].every((i) => i.complete && i.naturalWidth > 0));
        await shot('search');

        // Match: verdicts in chances, the header too; their SKUs 30–39 are the gap ("same product" only).
        await page.getByTestId('tab-match').click();
        await page.getByTestId('match-ours').selectOption('ours');
        await page.getByTestId('match-theirs').selectOption('theirs');
        await page.getByRole('button', { name: locale === 'en-US' ? 'Run match' : '运行比对' }).click();
        await page.locator('[data-testid=match-row]').first().waitFor();
        expect(await page.getByTestId('match-summary').textContent()).toMatch(locale === 'en-US' ? /same product from 75% chance, similar from 30% \(calibrated on your products\)/ : /同一商品：可能性 ≥ 75%/);
        // Their SKUs 30–39 (two photos each) are the products ours lacks, by "same product" only.
        const gapCount = (f: string) => page.getByTestId(`filter-${f}`).locator('.filter-count').textContent();
        expect(await gapCount('theirs')).toBe('20');
        // Ours SKUs 20–29 (two photos each) are not theirs: the gap holds them, whatever "similar" says.
        expect(await gapCount('none')).toBe('20');
        const chip = page.locator('[data-testid=match-hit] .verdict-chip').first();
        expect(await chip.textContent()).toMatch(/ · \d{1,2}%$/);
        // Lazy images below the fold never load; those on screen must.
        await page.waitForFunction(() =>
          [...document.querySelectorAll<HTMLImageElement>('.match-row img')].filter((i) => i.getBoundingClientRect().top < innerHeight).every((i) => i.complete && i.naturalWidth > 0),
        );
        await shot('match');
        expect(errors).toEqual([]);
      } finally {
        await b.close();
      }
    }, 180_000);
  }
});
