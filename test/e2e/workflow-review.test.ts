/**
 * The merchandiser's review workflow (issue 17) in a real browser against `lookalike serve` and the real engine:
 * a catalog with near-copies in a subfolder and a rival collection holding copies of other catalog photos.
 * Duplicates stay inside one collection unless the user widens them, the keeper can be changed by hand or by a
 * rule, a folder can be made reference, each view keeps its state across tabs, the list is current after an
 * apply, and match review opens pairs side by side and keeps rejected pairs (also in the CSV).
 * Every wait is on DOM state; screenshots of each view in both languages and themes land in test-results/e2e/.
 */
import { mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { alterImage, type AlterationKind } from '../../src/core/eval/alterations.js';
import { scene } from '../support/synthetic.js';
import { eventually, holdAnswer, launchBrowser, screenshot } from './browser.js';
import { setupE2e, type Harness } from './harness.js';

/** seed → the alteration of its near-copy in the catalog's copies/ subfolder. */
const CATALOG_COPIES: Record<number, AlterationKind> = { 1: 'resize', 2: 'jpeg', 3: 'webp' };
/** seed → the alteration of the rival's copy of a catalog photo. */
const RIVAL_COPIES: Record<number, AlterationKind> = { 4: 'resize', 5: 'jpeg' };
const ORIGINALS = 6;
const name = (seed: number) => `scene-${String(seed).padStart(2, '0')}`;

let h: Harness;
let page: Page;
let catalog: string;
let rival: string;

const groups = () => page.locator('[data-testid=group]');
/** The group whose keeper is `keeper`: groups come most reclaimable space first, not by name. */
const groupOf = (keeper: string) => groups().filter({ has: page.locator('.group-row-name', { hasText: new RegExp(`^${keeper.replace('.', '\\.')}$`) }) });
const members = () => page.getByTestId('group-detail').locator('[data-testid=member]');
const selectedCount = async () => Number((await page.getByTestId('dupes-selected').textContent())!.match(/^\d+/)![0]);
const collectionCount = (c: string) => page.locator(`[data-collection="${c}"] [data-testid=collection-count]`).textContent();

async function addCollection(collection: string, folder: string) {
  await page.getByLabel('Collection').fill(collection);
  await page.getByLabel('Folder path').fill(folder);
  await page.getByRole('button', { name: 'Add and index' }).click();
  await page.locator(`[data-collection="${collection}"] [data-testid=collection-count]`).waitFor();
  await page.locator('[data-testid=index-progress][data-phase=done]').waitFor({ timeout: 240_000 });
}

async function imagesLoaded(selector: string) {
  await page.waitForFunction((sel) => {
    const imgs = [...document.querySelectorAll<HTMLImageElement>(sel)];
    return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0);
  }, selector);
}

async function findDupes() {
  await page.getByRole('button', { name: 'Find duplicates' }).click();
  // The previous list stays on screen while the new one loads: wait for the answer, not for any list.
  await page.locator('[data-testid=dupes-view][data-loading=false]').waitFor();
  await page.getByTestId('group-detail').waitFor();
}

/** The active group's members: role, collection and whether it is ticked for removal. */
async function memberStates() {
  return members().evaluateAll((els) =>
    els.map((el) => ({
      name: el.querySelector('.member-name')?.textContent ?? '',
      role: el.getAttribute('data-role'),
      reference: el.getAttribute('data-reference') === 'true',
      collection: el.querySelector('[data-testid=member-collection]')?.textContent ?? '',
      checked: (el.querySelector('[data-testid=member-check]') as HTMLInputElement).checked,
      locked: (el.querySelector('[data-testid=member-check]') as HTMLInputElement).disabled,
      checkLabel: el.querySelector('.member-check')?.textContent ?? '',
    })),
  );
}

/** How many lines the text of each row label of a compare table takes (its cell may be taller: a long path wraps). */
async function labelLines(p: Page, table: string) {
  return p.locator(`${table} .compare-facts th`).evaluateAll((ths) =>
    ths.map((th) => {
      const range = document.createRange();
      range.selectNodeContents(th);
      return { label: th.textContent, lines: new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size };
    }),
  );
}

const e2e = setupE2e({
  ownTrash: true,
  async prepare(harness) {
    h = harness;
    catalog = join(h.root, 'catalog');
    rival = join(h.root, 'rival');
    mkdirSync(join(catalog, 'copies'), { recursive: true });
    mkdirSync(rival, { recursive: true });
    const old = new Date('2024-01-01T00:00:00Z');
    const recent = new Date('2026-06-01T00:00:00Z');
    for (let seed = 1; seed <= ORIGINALS; seed++) {
      const original = await scene(seed).jpeg({ quality: 92 }).toBuffer();
      const file = join(catalog, `${name(seed)}.jpg`);
      writeFileSync(file, original);
      utimesSync(file, old, old);
      const kind = CATALOG_COPIES[seed];
      if (kind) {
        const altered = await alterImage(original, kind);
        const copy = join(catalog, 'copies', `${name(seed)}-${kind}.${altered.ext}`);
        writeFileSync(copy, altered.data);
        utimesSync(copy, recent, recent);
      }
      const rivalKind = RIVAL_COPIES[seed];
      if (rivalKind) {
        const altered = await alterImage(original, rivalKind);
        writeFileSync(join(rival, `${name(seed)}-${rivalKind}.${altered.ext}`), altered.data);
      }
    }
    writeFileSync(join(rival, `${name(31)}.jpg`), await scene(31).jpeg().toBuffer());
  },
  ready(session) {
    page = session.page;
  },
});

describe('review workflow, end to end', () => {
  it('indexes a catalog and a rival collection', async () => {
    await page.goto(h.server.url);
    await addCollection('Catalog', catalog);
    await addCollection('Rival', rival);
    expect(await collectionCount('Catalog')).toBe(`${ORIGINALS + 3} images`);
    expect(await collectionCount('Rival')).toBe('3 images');
  });

  it('looks for duplicates in one collection by default, and says which collection each file is in', async () => {
    await page.getByTestId('tab-duplicates').click();
    expect(await page.getByTestId('dupes-collection').inputValue()).toBe('Catalog');
    await findDupes();
    expect(await groups().count()).toBe(3);
    for (const m of await memberStates()) expect(m.collection).toBe('In Catalog');
    await imagesLoaded('.member-thumb img');
  });

  it('never pre-selects another collection’s files for removal when comparing across collections', async () => {
    await page.getByTestId('dupes-collection').selectOption('');
    await findDupes();
    await eventually(() => groups().count()).toBe(5);
    const all = [];
    for (let i = 0; i < 5; i++) {
      await groups().nth(i).click();
      all.push(...(await memberStates()));
    }
    const rivalFiles = all.filter((m) => m.collection === 'In Rival');
    expect(rivalFiles).toHaveLength(2);
    for (const m of rivalFiles) expect(m.checked).toBe(false);
    expect(all.filter((m) => m.collection === 'In Catalog' && m.role === 'remove').every((m) => m.checked)).toBe(true);
    // Select all is the user's explicit choice: then the rival's copies are ticked too; select none clears all.
    await page.getByTestId('select-all').click();
    expect(await selectedCount()).toBe(5);
    await page.getByTestId('select-none').click();
    expect(await selectedCount()).toBe(0);
  });

  it('keeps another file instead of the suggested keeper', async () => {
    await page.getByTestId('dupes-collection').selectOption('Catalog');
    await findDupes();
    expect(await groups().count()).toBe(3);
    await groupOf('scene-01.jpg').click();
    const before = await memberStates();
    expect(before[0]).toMatchObject({ role: 'keeper', name: 'scene-01.jpg' });
    await members().nth(1).getByTestId('keep-instead').click();
    const after = await memberStates();
    expect(after[0]).toMatchObject({ role: 'keeper', name: before[1]!.name, checked: false, checkLabel: 'Your choice: kept' });
    // The former keeper is now the copy that goes.
    expect(after[1]).toMatchObject({ role: 'remove', name: 'scene-01.jpg', checked: true });
    expect(await members().first().getByTestId('member-check').isDisabled()).toBe(true);
    await imagesLoaded('[data-testid=compare-image]');
    await screenshot(page, 'workflow-dupes-keep-instead');
  });

  it('keeps the oldest, the newest, or the files of a priority folder by rule', async () => {
    const keepers = async () => {
      const out: string[] = [];
      for (let i = 0; i < 3; i++) {
        await groups().nth(i).click();
        out.push((await memberStates())[0]!.name);
      }
      return out.sort();
    };
    await page.getByTestId('dupes-rule').selectOption('newest');
    await eventually(keepers).toEqual(['scene-01-resize.jpg', 'scene-02-jpeg.jpg', 'scene-03-webp.webp']);
    await page.getByTestId('dupes-rule').selectOption('oldest');
    await eventually(keepers).toEqual(['scene-01.jpg', 'scene-02.jpg', 'scene-03.jpg']);
    // The rule's own reload (with the first folder) is answered after the one for the folder then chosen, as a busy
    // engine may answer them (CI saw it): the list must follow the folder chosen last.
    const copies = join(catalog, 'copies');
    const reload = await holdAnswer(page, 'dupes:list', {
      when: (body) => {
        const folders = (body as { preferredFolders?: string[] }).preferredFolders;
        return folders !== undefined && folders[0] !== copies;
      },
    });
    try {
      await page.getByTestId('dupes-rule').selectOption('folder');
      await eventually(() => reload.held()).toBe(true);
      await page.getByTestId('dupes-folder').selectOption(copies);
      await eventually(keepers).toEqual(['scene-01-resize.jpg', 'scene-02-jpeg.jpg', 'scene-03-webp.webp']);
      reload.release();
      await eventually(() => reload.delivered()).toBe(true);
      await page.waitForTimeout(1000);
      expect(await keepers()).toEqual(['scene-01-resize.jpg', 'scene-02-jpeg.jpg', 'scene-03-webp.webp']);
    } finally {
      await reload.dispose();
    }
    await screenshot(page, 'workflow-dupes-priority-folder');
    await page.getByTestId('dupes-rule').selectOption('suggested');
    await eventually(keepers).toEqual(['scene-01.jpg', 'scene-02.jpg', 'scene-03.jpg']);
  });

  it('marks a folder as reference from the library: its files are never put up for removal', async () => {
    const toggle = page.locator('[data-collection="Rival"] [data-testid=root-reference]');
    await toggle.click();
    await eventually(() => toggle.getAttribute('aria-pressed')).toBe('true');
    await page.getByTestId('dupes-collection').selectOption('');
    await findDupes();
    await eventually(() => groups().count()).toBe(5);
    // The engine ranks reference files first, so a rival copy is its group's keeper (role keeper) and our own file
    // beside it becomes the removable copy; either way a reference file is never removable, not even by select all.
    const rivalFiles = [];
    for (let i = 0; i < 5; i++) {
      await groups().nth(i).click();
      rivalFiles.push(...(await memberStates()).filter((m) => m.collection === 'In Rival'));
    }
    expect(rivalFiles).toHaveLength(2);
    for (const m of rivalFiles)
      expect(m).toMatchObject({ role: 'keeper', reference: true, checked: false, locked: true, checkLabel: 'In a reference folder: never removed' });
    await page.getByTestId('select-all').click();
    // Our 3 copies inside the catalog, and our 2 photos that the rival's reference copies stand for.
    expect(await selectedCount()).toBe(5);
    for (let i = 0; i < 5; i++) {
      await groups().nth(i).click();
      for (const m of await memberStates()) expect(m.checked).toBe(m.collection === 'In Catalog' && m.role === 'remove');
    }
    await toggle.click();
    await eventually(() => toggle.getAttribute('aria-pressed')).toBe('false');
  });

  it('keeps the duplicates list and its selection across tabs', async () => {
    await page.getByTestId('dupes-collection').selectOption('Catalog');
    await findDupes();
    await groupOf('scene-02.jpg').click();
    expect(await memberStates()).toMatchObject([{ name: 'scene-02.jpg' }, { name: 'scene-02-jpeg.jpg', checked: true }]);
    await members().nth(1).getByTestId('member-check').uncheck();
    expect(await selectedCount()).toBe(2);
    await page.getByTestId('tab-search').click();
    await page.getByTestId('tab-duplicates').click();
    expect(await groups().count()).toBe(3);
    expect(await selectedCount()).toBe(2);
    expect(await groupOf('scene-02.jpg').getAttribute('aria-selected')).toBe('true');
  });

  it('after removing files shows the current list: unticked stays unticked, the position and counts follow', async () => {
    // Untick one more and stay on it: the group before it goes, and the view must stay on this group (not on the
    // one that moved up to its index).
    await groupOf('scene-01.jpg').click();
    await members().nth(1).getByTestId('member-check').uncheck();
    expect(await selectedCount()).toBe(1);
    await page.getByRole('button', { name: 'Remove selected…' }).click();
    // Into a folder of the test rather than the OS trash: the list must be current after either.
    const dialog = page.locator('dialog.apply-dialog');
    await dialog.getByLabel('Move into a folder').check();
    await dialog.getByTestId('apply-folder').fill(join(h.root, 'removed'));
    await dialog.getByRole('button', { name: 'Move 1 file' }).click();
    await page.getByTestId('dupes-outcome').waitFor();
    await eventually(() => groups().count()).toBe(2);
    expect(await page.getByTestId('group-title').textContent()).toBe('Group 1 of 2');
    expect(await memberStates()).toMatchObject([{ name: 'scene-01.jpg' }, { name: 'scene-01-resize.jpg', checked: false }]);
    await groupOf('scene-02.jpg').click();
    expect(await memberStates()).toMatchObject([{ name: 'scene-02.jpg' }, { name: 'scene-02-jpeg.jpg', checked: false }]);
    expect(await selectedCount()).toBe(0);
    await eventually(() => collectionCount('Catalog')).toBe(`${ORIGINALS + 2} images`);
    // Undo brings the files back, and the counts with them.
    await page.getByTestId('dupes-outcome').getByRole('button', { name: 'Undo' }).click();
    await eventually(() => groups().count()).toBe(3);
    await eventually(() => collectionCount('Catalog'), { timeout: 60_000 }).toBe(`${ORIGINALS + 3} images`);
  });

  it('remembers the pair of collections, and keeps match results and decisions across tabs', async () => {
    await page.getByTestId('tab-match').click();
    expect(await page.getByTestId('match-ours').inputValue()).toBe('Catalog');
    expect(await page.getByTestId('match-theirs').inputValue()).toBe('Rival');
    await page.getByTestId('match-ours').selectOption('Catalog');
    await page.getByTestId('match-theirs').selectOption('Rival');
    await page.getByRole('button', { name: 'Run match' }).click();
    await page.locator('[data-testid=match-row]').first().waitFor();
    const rows = await page.locator('[data-testid=match-row]').count();
    await page.getByTestId('tab-search').click();
    await page.getByTestId('tab-match').click();
    expect(await page.locator('[data-testid=match-row]').count()).toBe(rows);
    // A reload keeps the pair (not "the first two collections").
    await page.getByTestId('match-ours').selectOption('Rival');
    await page.getByTestId('match-theirs').selectOption('Catalog');
    await page.reload();
    await page.getByTestId('tab-match').click();
    await eventually(() => page.getByTestId('match-ours').inputValue()).toBe('Rival');
    expect(await page.getByTestId('match-theirs').inputValue()).toBe('Catalog');
    await page.getByTestId('match-ours').selectOption('Catalog');
    await page.getByTestId('match-theirs').selectOption('Rival');
  });

  it('reviews a match side by side; a rejected pair stays, marked, with undo, and goes into the CSV', async () => {
    await page.getByRole('button', { name: 'Run match' }).click();
    const row = page.locator('[data-testid=match-row][data-name="scene-04.jpg"]');
    await row.waitFor();
    const hit = row.locator('[data-testid=match-hit][data-name="scene-04-resize.jpg"]');
    const thumb = (await hit.locator('img').boundingBox())!;
    expect(thumb.width).toBeGreaterThanOrEqual(120);
    await hit.getByTestId('match-open').click();
    const dialog = page.locator('dialog.match-compare');
    await dialog.waitFor();
    expect(await dialog.locator('[data-testid=compare-image]').count()).toBe(2);
    await imagesLoaded('dialog.match-compare [data-testid=compare-image]');
    await screenshot(page, 'workflow-match-compare');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });

    const verdict = await row.getAttribute('data-verdict');
    await page.getByTestId(`filter-${verdict}`).click();
    await hit.getByRole('button', { name: /^Reject match/ }).click();
    await eventually(() => hit.getAttribute('data-decision')).toBe('rejected');
    // Still on screen under its filter, marked, with an undo.
    expect(await row.isVisible()).toBe(true);
    expect(await hit.getByTestId('decision-undo').isVisible()).toBe(true);
    await imagesLoaded('.match-hit img');
    await screenshot(page, 'workflow-match-rejected');

    const downloading = page.waitForEvent('download');
    await page.getByTestId('match-export').click();
    const csv = readFileSync((await (await downloading).path())!, 'utf8');
    const [header, ...lines] = csv.replace(/^\uFEFF/, '').split('\r\n');
    const line = lines.find((l) => l.includes('scene-04-resize.jpg') && l.includes('scene-04.jpg'));
    // By the header's name: columns added later (confidence) go after it.
    expect(line?.split(',')[header!.split(',').indexOf('decision')]).toBe('rejected');

    await hit.getByTestId('decision-undo').click();
    await eventually(() => hit.getAttribute('data-decision')).toBe('');
    await page.getByTestId('filter-all').click();
  });

  it('looks right in both languages and both themes', async () => {
    for (const [locale, colorScheme] of [
      ['en-US', 'light'],
      ['en-US', 'dark'],
      ['zh-CN', 'light'],
      ['zh-CN', 'dark'],
    ] as const) {
      const other = await launchBrowser({ locale, colorScheme });
      try {
        const p = other.page;
        await p.goto(h.server.url);
        const tag = `${locale === 'zh-CN' ? 'zh' : 'en'}-${colorScheme}`;
        await p.getByTestId('tab-duplicates').click();
        await p.locator('[data-testid=dupes-view] .dupes-toolbar .button-primary').click();
        await p.getByTestId('group-detail').waitFor();
        await p.locator('[data-testid=member]').nth(1).locator('.member-thumb').click();
        await p.waitForFunction(() => {
          const imgs = [...document.querySelectorAll<HTMLImageElement>('.member-thumb img, [data-testid=compare-image]')];
          return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0);
        });
        // Fact labels stay on one line (Chinese used to break after every character).
        for (const l of await labelLines(p, '[data-testid=group-detail]')) expect(l, l.label ?? '').toMatchObject({ lines: 1 });
        // The facts table sits below the images: bring it into the picture, it is what the labels check is about.
        await p.getByTestId('compare-facts').scrollIntoViewIfNeeded();
        await screenshot(p, `workflow-dupes-${tag}`);
        await p.getByTestId('tab-match').click();
        await p.locator('.match .dupes-toolbar .button-primary').click();
        await p.locator('[data-testid=match-row]').first().waitFor();
        await p.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('.match-rows img')].every((i) => i.complete && i.naturalWidth > 0));
        await screenshot(p, `workflow-match-${tag}`);
        await p.locator('[data-testid=match-open]').first().click();
        await p.waitForFunction(() => {
          const imgs = [...document.querySelectorAll<HTMLImageElement>('dialog [data-testid=compare-image]')];
          return imgs.length === 2 && imgs.every((i) => i.complete && i.naturalWidth > 0);
        });
        for (const l of await labelLines(p, 'dialog')) expect(l, l.label ?? '').toMatchObject({ lines: 1 });
        await screenshot(p, `workflow-match-compare-${tag}`);
      } finally {
        await other.close();
      }
    }
    expect(e2e.pageErrors).toEqual([]);
  });
});
