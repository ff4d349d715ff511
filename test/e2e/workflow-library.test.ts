/**
 * The merchandiser's library workflow (issue 17, round 2) in a real browser against `lookalike serve` and the real
 * engine: adding folders through the server's folder browser and with `~` paths (a specific error for each bad
 * path), browsing a collection with no query, deleting a collection, and the settings page (theme, language, OCR,
 * model switch with re-embed progress). Every wait is on DOM state; screenshots land in test-results/e2e/.
 */
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeScene } from '../support/synthetic.js';
import { eventually, holdAnswer, launchBrowser, screenshot, watchPageErrors, type TestBrowser } from './browser.js';
import { startHarness, type Harness } from './harness.js';

/** More than one screen of tiles, so the gallery has rows it does not draw. */
const CATALOG = 60;
/** Large photos, so that indexing them lasts long enough to be watched and cancelled. */
const RIVAL = 40;
/** Added later, to be cancelled half-way. */
const RIVAL_MORE = 5;
const BRANDS = ['Acme', 'Zenith', '北极星'];
const CATEGORIES = ['Dresses', 'Shoes'];
const photo = (i: number) => `photo-${String(i).padStart(2, '0')}.jpg`;

let h: Harness;
let b: TestBrowser;
let page: Page;
let home: string;
let savedHome: string | undefined;
const pageErrors: string[] = [];

const card = (name: string) => page.locator(`[data-collection="${name}"]`);
const tiles = () => page.getByTestId('browse-tile');

async function addFolder(collection: string, path: string) {
  await page.getByLabel('Collection', { exact: true }).fill(collection);
  await page.getByLabel('Folder path').fill(path);
  await page.getByRole('button', { name: 'Add and index' }).click();
}

async function api<T>(channel: string, input: unknown): Promise<{ status: number; body: T }> {
  return page.evaluate(
    async ([c, i]) => {
      const res = await fetch(`/api/${encodeURIComponent(c as string)}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(i) });
      return { status: res.status, body: (await res.json()) as never };
    },
    [channel, input] as const,
  );
}

beforeAll(async () => {
  h = await startHarness();
  // The engine runs in this process: `~` is this folder for it (os.homedir() reads HOME).
  savedHome = process.env['HOME'];
  home = join(h.root, 'home');
  process.env['HOME'] = home;
  const catalog = join(home, 'Pictures', 'catalog');
  for (let i = 1; i <= CATALOG; i++) await writeScene(join(catalog, photo(i)), i, { width: 120, height: 160 });
  for (let i = 1; i <= RIVAL; i++) await writeScene(join(home, 'Pictures', 'rival', `r-${i}.jpg`), 100 + i, { width: 1500, height: 2000 });
  mkdirSync(join(home, 'Pictures', 'empty'), { recursive: true });
  mkdirSync(join(home, 'Pictures', '.cache'), { recursive: true });
  writeFileSync(join(home, 'Pictures', 'notes.txt'), 'not a folder');
  b = await launchBrowser();
  page = b.page;
  watchPageErrors(page, pageErrors);
}, 300_000);

afterAll(async () => {
  if (savedHome === undefined) delete process.env['HOME'];
  else process.env['HOME'] = savedHome;
  await b?.close();
  await h?.close();
});

describe('library workflow, end to end', () => {
  it('indexes a folder named with ~, then empties both fields', async () => {
    await page.goto(h.server.url);
    await addFolder('Catalog', '~/Pictures/catalog');
    await page.locator('[data-testid=index-progress][data-phase=done]').waitFor({ timeout: 240_000 });
    await eventually(() => card('Catalog').getByTestId('collection-count').textContent()).toBe(`${CATALOG} images`);
    expect(await card('Catalog').locator('.root-path').textContent()).toBe(join(home, 'Pictures', 'catalog'));
    // A name left in the field invited the next folder into the wrong collection.
    expect(await page.getByLabel('Collection', { exact: true }).inputValue()).toBe('');
    expect(await page.getByLabel('Folder path').inputValue()).toBe('');
    const rows = Array.from({ length: CATALOG }, (_, k) => {
      const i = k + 1;
      return `SKU-${i},Item ${i},${BRANDS[i % 3]},${CATEGORIES[i % 2]},${(10 + i).toFixed(2)},EUR,${photo(i)}`;
    });
    await h.engine.api['catalog:importCsv']({
      collection: 'Catalog',
      source: { kind: 'text', text: ['sku,title,brand,category,price,currency,image', ...rows].join('\n') },
      preview: false,
      previewRows: 10,
    });
  });

  it('says what is wrong with each bad path', async () => {
    for (const [path, code] of [
      ['~/Pictures/nope', 'FOLDER_NOT_FOUND'],
      ['~/Pictures/notes.txt', 'NOT_A_FOLDER'],
      ['/etc', 'SYSTEM_FOLDER'],
      ['/', 'SYSTEM_FOLDER'],
      ['Pictures/catalog', 'INVALID_INPUT'],
    ] as const) {
      await addFolder('Other', path);
      const notice = page.locator('.sidebar [role=alert]');
      await eventually(() => notice.getAttribute('data-error-code')).toBe(code);
      if (code === 'SYSTEM_FOLDER') await screenshot(page, 'workflow-library-system-folder');
      await notice.getByRole('button', { name: 'Dismiss' }).click();
    }
    expect(h.engine.catalog.collections.list().map((c) => c.name)).toEqual(['Catalog']);
  });

  it('picks a folder in the server’s folder browser: folders only, no hidden or system ones', async () => {
    await page.getByTestId('browse-folders').click();
    const picker = page.getByTestId('folder-picker');
    await eventually(() => picker.getByTestId('picker-path').textContent()).toBe(home);
    await picker.getByRole('button', { name: 'Pictures', exact: true }).click();
    await eventually(() => picker.getByTestId('picker-path').textContent()).toBe(join(home, 'Pictures'));
    expect(await picker.locator('.picker-entry').allTextContents()).toEqual([' catalog', ' empty', ' rival']);
    await screenshot(page, 'workflow-library-picker-en');
    await picker.getByRole('button', { name: 'rival', exact: true }).click();
    await eventually(() => picker.getByTestId('picker-path').textContent()).toBe(join(home, 'Pictures', 'rival'));
    await picker.getByTestId('picker-up').click();
    await eventually(() => picker.getByTestId('picker-path').textContent()).toBe(join(home, 'Pictures'));
    await picker.getByRole('button', { name: 'rival', exact: true }).click();
    await eventually(() => picker.getByTestId('picker-path').textContent()).toBe(join(home, 'Pictures', 'rival'));
    await page.getByTestId('picker-choose').click();
    await picker.waitFor({ state: 'detached' });
    expect(await page.getByLabel('Folder path').inputValue()).toBe(join(home, 'Pictures', 'rival'));

    // The same listing refuses what the library refuses, and is bounded and validated like every route.
    const refused = await api<{ ok: false; error: { code: string } }>('library:browseFolders', { path: '/etc' });
    expect(refused.body.error.code).toBe('SYSTEM_FOLDER');
    const root = await api<{ ok: false; error: { code: string } }>('library:browseFolders', { path: '/' });
    expect(root.body.error.code).toBe('SYSTEM_FOLDER');
    const listed = await api<{ ok: true; value: { folders: { path: string }[]; parent: string } }>('library:browseFolders', { path: '~/Pictures' });
    expect(listed.body.value.folders.map((f) => f.path)).toEqual(['catalog', 'empty', 'rival'].map((n) => join(home, 'Pictures', n)));
    const tokenless = await fetch(`${h.server.origin}/api/${encodeURIComponent('library:browseFolders')}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(tokenless.status).toBe(401);
  });

  it('shows "indexing n / total" on the card instead of a count, and marks a cancelled collection partial', async () => {
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { seen: string[] }).seen = seen;
      new MutationObserver(() => {
        const state = document.querySelector('[data-collection=Rival] [data-testid=collection-state]');
        const count = document.querySelector('[data-collection=Rival] [data-testid=collection-count]');
        if (state?.getAttribute('data-state') === 'indexing') seen.push(`${state.textContent}|${count ? count.textContent : '-'}`);
      }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    });
    await page.getByLabel('Collection', { exact: true }).fill('Rival');
    await page.getByRole('button', { name: 'Add and index' }).click();
    await page.locator('[data-testid=index-progress][data-phase=done]').waitFor({ timeout: 240_000 });
    await eventually(() => card('Rival').getByTestId('collection-count').textContent()).toBe(`${RIVAL} images`);
    const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
    expect(seen.length).toBeGreaterThan(0);
    for (const s of seen) expect(s).toMatch(/^indexing \d+ \/ \d+\|-$/);

    // A run cancelled before it is through: the card says the collection is partial until a rescan finishes it.
    for (let i = 1; i <= RIVAL_MORE; i++) await writeScene(join(home, 'Pictures', 'rival', `more-${i}.jpg`), 400 + i, { width: 1500, height: 2000 });
    const { jobId } = await h.engine.api['index:start']({ collection: 'Rival' });
    await h.engine.api['index:cancel']({ jobId });
    await page.locator('[data-testid=index-progress][data-phase=cancelled]').waitFor();
    await eventually(() => card('Rival').getByTestId('collection-state').getAttribute('data-state')).toBe('partial');
    await screenshot(page, 'workflow-library-partial');
    await card('Rival').getByRole('button', { name: 'Rescan' }).click();
    await page.locator('[data-testid=index-progress][data-phase=done]').waitFor({ timeout: 240_000 });
    await eventually(() => card('Rival').getByTestId('collection-count').textContent()).toBe(`${RIVAL + RIVAL_MORE} images`);
    expect(await card('Rival').getByTestId('collection-state').count()).toBe(0);
  }, 300_000);

  it('keeps the card right when a status taken while the job ran arrives after the job ended', async () => {
    // A busy engine answers overlapping refreshes out of order (CI saw a card stuck on "indexing"). Made certain
    // here: the first status the page asks for after the rescan is answered only once the job has ended, with what
    // the server said while the job ran (its last summary from before, and the job's own progress as running).
    const LATE = 4;
    const late = (i: number) => join(home, 'Pictures', 'rival', `late-${i}.jpg`);
    for (let i = 1; i <= LATE; i++) await writeScene(late(i), 500 + i, { width: 1500, height: 2000 });
    const before = await h.engine.api['index:status']({});
    let runningSnapshot: unknown = null;
    const unsubscribe = h.engine.events.on('index:onProgress', (p) => {
      if (runningSnapshot === null && !['done', 'cancelled', 'failed'].includes(p.phase)) runningSnapshot = p;
    });
    const status = await holdAnswer(page, 'index:status', { answer: () => ({ running: runningSnapshot, last: before.last }) });
    try {
      await card('Rival').getByRole('button', { name: 'Rescan' }).click();
      await eventually(() => status.held()).toBe(true);
      await eventually(async () => (await h.engine.api['index:status']({})).running, { timeout: 240_000 }).toBeNull();
      expect(runningSnapshot).not.toBeNull();
      const total = `${RIVAL + RIVAL_MORE + LATE} images`;
      await eventually(() => card('Rival').getByTestId('collection-count').textContent()).toBe(total);
      status.release();
      await eventually(() => status.delivered()).toBe(true);
      // Let the late answer reach React and render (were it applied, the card would now say "indexing").
      await page.waitForTimeout(1000);
      expect(await card('Rival').getByTestId('collection-state').count()).toBe(0);
      expect(await card('Rival').getByTestId('collection-count').textContent()).toBe(total);
    } finally {
      unsubscribe();
      await status.dispose();
      // Back to the collection the later steps count on.
      for (let i = 1; i <= LATE; i++) rmSync(late(i), { force: true });
      await h.engine.api['index:start']({ collection: 'Rival' });
      await eventually(async () => (await h.engine.api['index:status']({})).running, { timeout: 240_000 }).toBeNull();
    }
    await eventually(() => card('Rival').getByTestId('collection-count').textContent()).toBe(`${RIVAL + RIVAL_MORE} images`);
  }, 300_000);

  it('deletes an empty collection after confirmation, and nothing else', async () => {
    await addFolder('Empty', '~/Pictures/empty');
    await page.locator('[data-testid=index-progress][data-phase=done]').waitFor({ timeout: 120_000 });
    await eventually(() => card('Empty').getByTestId('collection-count').textContent()).toBe('0 images');
    await card('Empty').getByTestId('delete-collection').click();
    const confirm = card('Empty').getByTestId('confirm-delete');
    await confirm.waitFor();
    await screenshot(page, 'workflow-library-delete-en');
    // "Keep" backs out.
    await confirm.getByRole('button', { name: 'Keep' }).click();
    await confirm.waitFor({ state: 'detached' });
    await card('Empty').getByTestId('delete-collection').click();
    await card('Empty').getByTestId('confirm-delete').getByRole('button', { name: 'Delete' }).click();
    await card('Empty').waitFor({ state: 'detached' });
    expect(h.engine.catalog.collections.list().map((c) => c.name)).toEqual(['Catalog', 'Rival']);
    expect(await card('Catalog').getByTestId('collection-count').textContent()).toBe(`${CATALOG} images`);
    expect(await card('Rival').getByTestId('collection-count').textContent()).toBe(`${RIVAL + RIVAL_MORE} images`);
  });

  it('browses a collection with no query: a virtualised gallery, sorted, with prices in their currency', async () => {
    await page.getByTestId('tab-browse').click();
    await eventually(() => page.getByTestId('browse-count').textContent()).toBe(`${CATALOG} images`);
    await eventually(() => tiles().first().getByTestId('browse-name').textContent()).toBe(photo(1));
    // Only what is on screen (and a little around it) is in the page.
    expect(await tiles().count()).toBeLessThan(CATALOG);
    expect(await tiles().first().getByTestId('browse-price').textContent()).toBe('€11.00');

    await page.getByTestId('browse-sort').selectOption('price');
    await page.getByTestId('browse-desc').click();
    await eventually(() => tiles().first().getByTestId('browse-price').textContent()).toBe(`€${(10 + CATALOG).toFixed(2)}`);
    await page.getByTestId('browse-grid').evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await eventually(() => tiles().last().getByTestId('browse-price').textContent()).toBe('€11.00');
    await page.getByTestId('browse-grid').evaluate((el) => el.scrollTo(0, 0));

    await page.getByTestId('browse-sort').selectOption('date');
    await page.getByTestId('browse-asc').click();
    await eventually(() => tiles().count()).toBeGreaterThan(0);

    // Pick-lists hold the values that exist, with their counts.
    expect(await page.getByTestId('browse-brand').locator('option').allTextContents()).toEqual(['Any', 'Acme (20)', 'Zenith (20)', '北极星 (20)']);
    expect(await page.getByTestId('browse-category').locator('option').allTextContents()).toEqual(['Any', 'Dresses (30)', 'Shoes (30)']);
    await page.getByTestId('browse-brand').selectOption('Zenith');
    await page.getByTestId('browse-category').selectOption('Shoes');
    await eventually(() => page.getByTestId('browse-count').textContent()).toBe('10 images');
    await page.getByTestId('browse-sort').selectOption('name');
    // Zenith: i % 3 == 1; Shoes: i odd → 1, 7, 13, ...
    await eventually(() => tiles().allTextContents()).toHaveLength(10);
    expect(await tiles().getByTestId('browse-name').allTextContents()).toEqual([1, 7, 13, 19, 25, 31, 37, 43, 49, 55].map(photo));
    await screenshot(page, 'workflow-browse-en-light');

    // Another collection has its own values: the filters start over.
    await page.getByTestId('browse-collection').selectOption('Rival');
    await eventually(() => page.getByTestId('browse-count').textContent()).toBe(`${RIVAL + RIVAL_MORE} images`);
    expect(await page.getByTestId('browse-brand').isDisabled()).toBe(true);

    // A tile opens a search for similar photos.
    await page.getByTestId('browse-collection').selectOption('Catalog');
    await eventually(() => page.getByTestId('browse-count').textContent()).toBe(`${CATALOG} images`);
    await tiles().first().click();
    await page.locator('.query-label', { hasText: `Similar to ${photo(1)}` }).waitFor();
    await eventually(() => page.locator('[data-testid=hit]').count()).toBeGreaterThan(0);
  });

  it('pages and validates items:browse over the contract', async () => {
    const page2 = await api<{ ok: true; value: { items: { path: string }[]; total: number } }>('items:browse', {
      collection: 'Catalog',
      sort: 'name',
      offset: 55,
      limit: 10,
    });
    expect(page2.body.value.total).toBe(CATALOG);
    expect(page2.body.value.items.map((i) => i.path.split('/').pop())).toEqual([56, 57, 58, 59, 60].map(photo));
    for (const bad of [{ collection: 'Catalog', limit: 201 }, { collection: 'Catalog', offset: -1 }, { collection: 'Catalog', sort: 'score' }]) {
      const res = await api<{ ok: false; error: { code: string } }>('items:browse', bad);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('INVALID_INPUT');
    }
    const missing = await api<{ ok: false; error: { code: string } }>('items:browse', { collection: 'Nope' });
    expect(missing.body.error.code).toBe('COLLECTION_NOT_FOUND');
  });

  it('remembers the theme and the language chosen in the settings', async () => {
    await page.getByTestId('tab-settings').click();
    const bg = () => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    const light = await bg();
    await page.getByTestId('theme').getByRole('button', { name: 'Dark' }).click();
    expect(await page.evaluate(() => document.documentElement.dataset['theme'])).toBe('dark');
    const dark = await bg();
    expect(dark).not.toBe(light);
    await page.getByTestId('settings').getByRole('button', { name: '中文' }).click();
    await page.reload();
    await page.getByTestId('tab-settings').click();
    expect(await page.evaluate(() => document.documentElement.dataset['theme'])).toBe('dark');
    expect(await bg()).toBe(dark);
    await page.getByRole('heading', { name: '设置' }).waitFor();
    await page.getByTestId('theme').getByRole('button', { name: '跟随系统' }).click();
    expect(await page.evaluate(() => document.documentElement.dataset['theme'])).toBeUndefined();
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await bg()).toBe(dark);
    await page.emulateMedia({ colorScheme: 'light' });
    expect(await bg()).toBe(light);
    await page.getByTestId('settings').getByRole('button', { name: 'English' }).click();
  });

  it('turns OCR on and off per collection, and it stays so', async () => {
    // A collection of two photos: reading text costs seconds per photo on a loaded machine.
    const labels = join(home, 'Pictures', 'labels');
    for (const i of [1, 2]) await writeScene(join(labels, `l-${i}.jpg`), 200 + i, { width: 320, height: 240 });
    h.engine.library.addFolder('Labels', labels);
    await h.engine.indexer.run(['Labels']);
    await page.reload();
    await page.getByTestId('tab-settings').click();
    const toggle = page.locator('[data-testid=ocr-toggle][data-ocr-collection=Labels]');
    expect(await toggle.isChecked()).toBe(false);
    await toggle.check();
    await page.getByTestId('ocr-status').filter({ hasText: 'Text read from' }).waitFor({ timeout: 240_000 });
    expect(h.engine.ocr.isEnabled('Labels')).toBe(true);
    expect(h.engine.ocr.isEnabled('Catalog')).toBe(false);
    await page.reload();
    await page.getByTestId('tab-settings').click();
    await eventually(() => toggle.isChecked()).toBe(true);
    await toggle.uncheck();
    await eventually(() => h.engine.ocr.isEnabled('Labels')).toBe(false);
    expect(await toggle.isChecked()).toBe(false);
    await h.engine.api['library:forget']({ collection: 'Labels' });
    await page.reload();
    await page.getByTestId('tab-settings').click();
  }, 300_000);

  it('exports the duplicates list as CSV, and wraps a long folder path only after its separators', async () => {
    const deep = join(home, 'Pictures', 'copies', 'summer-collection-2025-final-selection', 'photographed-again-for-the-website', 'retouched-versions');
    await writeScene(join(home, 'Pictures', 'copies', 'a.jpg'), 300, { width: 320, height: 240 });
    mkdirSync(deep, { recursive: true });
    copyFileSync(join(home, 'Pictures', 'copies', 'a.jpg'), join(deep, 'a-copy.jpg'));
    h.engine.library.addFolder('Copies', join(home, 'Pictures', 'copies'));
    await h.engine.indexer.run(['Copies']);
    await page.reload();
    await page.getByTestId('tab-duplicates').click();
    await page.getByTestId('dupes-collection').selectOption('Copies');
    await page.getByRole('button', { name: 'Find duplicates' }).click();
    await page.locator('[data-testid=dupes-view][data-loading=false]').waitFor();
    await page.getByTestId('group-detail').waitFor();
    await page.getByTestId('group-detail').locator('[data-testid=member]').nth(1).locator('.member-thumb').click();
    const cell = page.locator('[data-testid=compare-facts] tr[data-fact=folder] td.compare-path').nth(1);
    await cell.waitFor();
    await screenshot(page, 'workflow-dupes-long-path-en-light');
    // Each word stays on one line; the path as a whole does wrap.
    const wrap = await cell.evaluate((td) => {
      const walker = document.createTreeWalker(td, NodeFilter.SHOW_TEXT);
      const nodes: Text[] = [];
      for (let n = walker.nextNode(); n; n = walker.nextNode()) nodes.push(n as Text);
      const at = (offset: number): [Text, number] => {
        for (const node of nodes) {
          if (offset <= node.length) return [node, offset];
          offset -= node.length;
        }
        throw new Error('offset out of range');
      };
      const text = nodes.map((n) => n.data).join('');
      const lines = (start: number, end: number) => {
        const r = document.createRange();
        r.setStart(...at(start));
        r.setEnd(...at(end));
        return new Set([...r.getClientRects()].filter((c) => c.width > 0).map((c) => Math.round(c.top))).size;
      };
      // Words: a line may end after a separator or a hyphen, never inside a word.
      const names: { name: string; lines: number }[] = [];
      for (const m of text.matchAll(/[^/-]+/g)) names.push({ name: m[0], lines: lines(m.index, m.index + m[0].length) });
      return { total: lines(0, text.length), names };
    });
    expect(wrap.total).toBeGreaterThan(1);
    for (const n of wrap.names) expect(n, n.name).toMatchObject({ lines: 1 });

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('dupes-export').click()]);
    const csv = readFileSync((await download.path())!, 'utf8');
    const [header, ...rows] = csv.replace(/^\uFEFF/, '').trimEnd().split('\r\n');
    expect(header).toBe('group,role,selected_for_removal,path,collection,agreement,identical,bytes,width,height,format,modified,sku,title');
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(new RegExp(`^1,keeper,false,${join(home, 'Pictures', 'copies', 'a.jpg')},Copies,,,`));
    expect(rows[1]).toMatch(new RegExp(`^1,remove,true,${join(deep, 'a-copy.jpg')},Copies,1,true,`));
    // Unticked, it says so.
    await page.getByTestId('select-none').click();
    const [again] = await Promise.all([page.waitForEvent('download'), page.getByTestId('dupes-export').click()]);
    expect(readFileSync((await again.path())!, 'utf8')).toContain(`1,remove,false,${join(deep, 'a-copy.jpg')}`);
    for (const lang of ['English', '中文'] as const) {
      await page.locator('.topbar').getByRole('button', { name: lang, exact: true }).click();
      for (const colorScheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme });
        await screenshot(page, `workflow-dupes-compare-${lang === 'English' ? 'en' : 'zh'}-${colorScheme}`);
      }
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await page.locator('.topbar').getByRole('button', { name: 'English', exact: true }).click();
    await h.engine.api['library:forget']({ collection: 'Copies' });
    await page.reload();
    await page.getByTestId('tab-settings').click();
  });

  it('switches the model and shows the re-embedding’s progress; search works on the new one', async () => {
    const fast = page.locator('[data-testid=model][data-model=fast]');
    await eventually(() => fast.getAttribute('data-active')).toBe('true');
    await page.locator('[data-testid=model][data-model=accurate]').getByTestId('use-model').click();
    const progress = page.getByTestId('reembed-progress');
    await progress.waitFor();
    await screenshot(page, 'workflow-settings-reembed');
    await page.locator('[data-testid=reembed-progress][data-phase=done]').waitFor({ timeout: 400_000 });
    expect(await progress.getByTestId('reembed-counts').textContent()).toBe(`Re-embedding ${CATALOG + RIVAL + RIVAL_MORE} / ${CATALOG + RIVAL + RIVAL_MORE}`);
    await eventually(() => page.locator('[data-testid=model][data-model=accurate]').getAttribute('data-active')).toBe('true');
    expect(h.engine.modelId).toBe('accurate');
  }, 500_000);

  it('looks right in both languages and both themes', async () => {
    for (const lang of ['English', '中文'] as const) {
      await page.locator('.topbar').getByRole('button', { name: lang, exact: true }).click();
      const l = lang === 'English' ? 'en' : 'zh';
      for (const theme of ['light', 'dark'] as const) {
        await page.getByTestId('tab-settings').click();
        await page.locator(`[data-theme-choice=${theme}]`).click();
        await screenshot(page, `workflow-settings-${l}-${theme}`);
        await page.getByTestId('tab-browse').click();
        await eventually(() => tiles().count()).toBeGreaterThan(0);
        await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('.browse-tile img')].every((i) => i.complete));
        await screenshot(page, `workflow-browse-${l}-${theme}`);
        await page.getByTestId('browse-folders').click();
        await page.locator('.picker-entry').first().waitFor();
        await screenshot(page, `workflow-library-picker-${l}-${theme}`);
        await page.getByTestId('folder-picker').press('Escape');
        await card('Rival').getByTestId('delete-collection').click();
        await screenshot(page, `workflow-library-delete-${l}-${theme}`);
        await card('Rival').getByTestId('confirm-delete').getByRole('button', { name: lang === 'English' ? 'Keep' : '保留' }).click();
      }
    }
    await page.locator('.topbar').getByRole('button', { name: 'English', exact: true }).click();
    expect(pageErrors).toEqual([]);
  });
});
