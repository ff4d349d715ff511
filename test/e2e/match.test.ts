/**
 * The Match view in a real browser against `lookalike serve` and the real engine: ours = originals, theirs =
 * altered copies plus distractors. Run, read verdicts, filter, see the gap lists, accept a match (persisted
 * across a reload), export the CSV as a download. Every wait is on DOM state or an event.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { alterImage, type AlterationKind } from '../../src/core/eval/alterations.js';
import { scene } from '../support/synthetic.js';
import { eventually, screenshot } from './browser.js';
import { setupE2e, type Harness } from './harness.js';

const OURS = [1, 2, 3, 4, 5, 6];
const COPIES: Record<number, AlterationKind> = { 1: 'resize', 2: 'jpeg', 3: 'watermark' };
const DISTRACTORS = [31, 32, 33];
const name = (seed: number) => `scene-${String(seed).padStart(2, '0')}`;

let h: Harness;
let page: Page;

const row = (file: string) => page.locator(`[data-testid=match-row][data-name="${file}"]`);

async function addCollection(collection: string, folder: string) {
  await page.getByLabel('Collection').fill(collection);
  await page.getByLabel('Folder path').fill(folder);
  await page.getByRole('button', { name: 'Add and index' }).click();
  await page.locator(`[data-collection="${collection}"] [data-testid=collection-count]`).waitFor();
  await page.locator('[data-testid=index-progress][data-phase=done]').waitFor({ timeout: 240_000 });
}

async function runMatch() {
  await page.getByTestId('tab-match').click();
  await page.getByTestId('match-ours').selectOption('Ours');
  await page.getByTestId('match-theirs').selectOption('Theirs');
  await page.getByRole('button', { name: 'Run match' }).click();
  await page.locator('[data-testid=match-row]').first().waitFor();
}

const e2e = setupE2e({
  async prepare(harness) {
    h = harness;
    for (const seed of OURS) {
      const original = await scene(seed).jpeg({ quality: 92 }).toBuffer();
      mkdirSync(join(h.root, 'ours'), { recursive: true });
      writeFileSync(join(h.root, 'ours', `${name(seed)}.jpg`), original);
      const kind = COPIES[seed];
      if (kind) {
        const altered = await alterImage(original, kind);
        mkdirSync(join(h.root, 'theirs'), { recursive: true });
        writeFileSync(join(h.root, 'theirs', `${name(seed)}-${kind}.${altered.ext}`), altered.data);
      }
    }
    for (const seed of DISTRACTORS) writeFileSync(join(h.root, 'theirs', `${name(seed)}.jpg`), await scene(seed).jpeg().toBuffer());
  },
  ready(session) {
    page = session.page;
  },
});

describe('match view, end to end', () => {
  it('indexes ours and theirs', async () => {
    await page.goto(h.server.url);
    await addCollection('Ours', join(h.root, 'ours'));
    await addCollection('Theirs', join(h.root, 'theirs'));
    await eventually(() => page.locator('[data-collection=Theirs] [data-testid=collection-count]').textContent()).toBe('6 images');
  });

  it('lists our items beside their matches with score and verdict', async () => {
    await page.getByTestId('tab-match').click();
    await page.getByText('Match your catalog against a competitor').waitFor();
    await runMatch();
    expect(await page.locator('[data-testid=match-row]').count()).toBe(OURS.length);
    // The resized copy is the same picture: its row says so, and the copy is the best match.
    const first = row('scene-01.jpg');
    expect(await first.getAttribute('data-verdict')).toBe('same');
    const best = first.locator('[data-testid=match-hit]').first();
    expect(await best.getAttribute('data-name')).toBe('scene-01-resize.jpg');
    // `fast` has no calibration: the verdict of its raw-cosine thresholds, with the score beside it.
    expect(await best.locator('.verdict-chip').textContent()).toMatch(/^Same product · \d\.\d{3}$/);
    expect(Number((await best.locator('.verdict-chip').textContent())!.split(' · ')[1])).toBeGreaterThan(0.8);
    // A copy is `same` whatever its cosine, and the header says so (it read "same ≥ 0.99" beside a 0.989 copy).
    expect(await page.getByTestId('match-summary').textContent()).toMatch(/same ≥ \d\.\d{3} or a verified copy, similar ≥ \d\.\d{3}/);
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('.match-row img')].every((i) => i.complete && i.naturalWidth > 0));
    await screenshot(page, 'match-01-rows');
  });

  it('filters by verdict and shows both gap lists', async () => {
    const count = async (f: string) => Number(await page.getByTestId(`filter-${f}`).locator('.filter-count').textContent());
    await page.getByTestId('filter-same').click();
    const same = await page.locator('[data-testid=match-row]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-verdict')));
    expect(same.length).toBe(await count('same'));
    expect(same.every((v) => v === 'same')).toBe(true);
    expect(same.length).toBeGreaterThanOrEqual(2);

    await page.getByTestId('filter-none').click();
    const none = await page.locator('[data-testid=match-row]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-verdict')));
    // The gap is "no same product": a row whose best match is only similar belongs to it too.
    expect(none.every((v) => v !== 'same')).toBe(true);
    expect(none).toContain('none');
    expect(none.length).toBe(await count('none'));
    await screenshot(page, 'match-02-ours-gap');

    await page.getByTestId('filter-theirs').click();
    const gap = page.getByTestId('theirs-gap');
    if ((await count('theirs')) > 0) {
      await gap.waitFor();
      const names = await gap.locator('.member-name').allTextContents();
      expect(names.length).toBe(await count('theirs'));
      // Copies of our photos are matched: only distractors may be left over.
      expect(names.every((n) => DISTRACTORS.some((s) => n.startsWith(name(s))))).toBe(true);
    } else {
      await page.getByText('Every item of theirs matches one of ours.').waitFor();
    }
    await screenshot(page, 'match-03-theirs-gap');
    await page.getByTestId('filter-all').click();
  });

  it('accepts a match, and the decision is still there after a reload', async () => {
    await row('scene-02.jpg').getByRole('button', { name: /^Accept match scene-02-jpeg/ }).click();
    const hit = row('scene-02.jpg').locator('[data-testid=match-hit][data-name="scene-02-jpeg.jpg"]');
    await eventually(() => hit.getAttribute('data-decision')).toBe('accepted');
    await page.reload();
    await runMatch();
    await eventually(() => hit.getAttribute('data-decision')).toBe('accepted');
    expect(await hit.getByRole('button', { name: /^Accept match/ }).getAttribute('aria-pressed')).toBe('true');
    await screenshot(page, 'match-04-accepted-after-reload');
  });

  it('exports the CSV as a download', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('match-export').click()]);
    expect(download.suggestedFilename()).toBe('match-Ours-vs-Theirs.csv');
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv.replace(/^\uFEFF/, '').split('\r\n')[0]).toMatch(/^ours_path,/);
    const accepted = csv.split('\r\n').find((l) => l.includes('scene-02-jpeg.jpg'));
    // The decision column, then the confidence (empty: `fast` has no calibration).
    expect(accepted).toMatch(/,accepted,[0-9.]*$/);
    await page.getByTestId('match-exported').waitFor();
  });

  it('shows the view in Simplified Chinese', async () => {
    await page.getByRole('button', { name: '中文' }).click();
    await page.getByRole('button', { name: '运行比对' }).waitFor();
    await screenshot(page, 'match-05-chinese');
    await page.getByRole('button', { name: 'English' }).click();
  });

  it('raised no page errors', () => {
    expect(e2e.pageErrors).toEqual([]);
  });
});
