/**
 * The Duplicates view in a real browser against `lookalike serve` and the real engine: originals plus altered
 * near-copies are indexed, grouped, compared, moved into a folder inside the test's temp folder (never the
 * user's trash), undone, and marked "not duplicates". Every wait is on DOM state; screenshots in test-results/e2e/.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { alterImage, type AlterationKind } from '../../src/core/eval/alterations.js';
import { scene } from '../support/synthetic.js';
import { eventually, screenshot } from './browser.js';
import { setupE2e, type Harness } from './harness.js';

const ORIGINALS = 8;
/** seed → the alteration of its near-copy (copies sit in a subfolder). */
const COPIES: Record<number, AlterationKind> = { 1: 'resize', 2: 'jpeg', 3: 'webp' };
const name = (seed: number) => `scene-${String(seed).padStart(2, '0')}`;

let h: Harness;
let page: Page;
let photos: string;

const groups = () => page.locator('[data-testid=group]');
const totals = () => page.getByTestId('dupes-totals').locator('strong').textContent();

async function imagesLoaded(selector: string) {
  await page.waitForFunction((sel) => {
    const imgs = [...document.querySelectorAll<HTMLImageElement>(sel)];
    return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0);
  }, selector);
}

const e2e = setupE2e({
  ownTrash: true,
  async prepare(harness) {
    h = harness;
    photos = join(h.root, 'photos');
    mkdirSync(join(photos, 'copies'), { recursive: true });
    for (let seed = 1; seed <= ORIGINALS; seed++) {
      const original = await scene(seed).jpeg({ quality: 92 }).toBuffer();
      writeFileSync(join(photos, `${name(seed)}.jpg`), original);
      const kind = COPIES[seed];
      if (kind) {
        const altered = await alterImage(original, kind);
        writeFileSync(join(photos, 'copies', `${name(seed)}-${kind}.${altered.ext}`), altered.data);
      }
    }
  },
  ready(session) {
    page = session.page;
  },
});

describe('duplicates view, end to end', () => {
  it('indexes originals and near-copies', async () => {
    await page.goto(h.server.url);
    await page.getByLabel('Collection').fill('Catalog');
    await page.getByLabel('Folder path').fill(photos);
    await page.getByRole('button', { name: 'Add and index' }).click();
    await page.locator('[data-testid=index-progress][data-phase=done]').waitFor({ timeout: 240_000 });
    const total = ORIGINALS + Object.keys(COPIES).length;
    await eventually(() => page.locator('[data-testid=collection-count]').textContent()).toBe(`${total} images`);
  });

  it('lists the groups with counts and reclaimable bytes', async () => {
    await page.getByTestId('tab-duplicates').click();
    await page.getByText('Find photos that are the same picture').waitFor();
    await screenshot(page, 'dupes-01-intro');
    await page.getByTestId('dupes-collection').selectOption('Catalog');
    await page.getByRole('button', { name: 'Find duplicates' }).click();
    await eventually(() => groups().count()).toBe(Object.keys(COPIES).length);
    expect(await totals()).toBe('3 groups · 3 files to remove');
    expect(await page.getByTestId('dupes-totals').textContent()).toMatch(/reclaimable/);
    // Every group pairs an original with its copy; the keeper comes first and cannot be selected.
    const detail = page.getByTestId('group-detail');
    const members = detail.locator('[data-testid=member]');
    expect(await members.count()).toBe(2);
    expect(await members.first().getAttribute('data-role')).toBe('keeper');
    expect(await members.first().getByTestId('member-check').isDisabled()).toBe(true);
    expect(await members.first().textContent()).toContain('Suggested keeper: kept');
    expect(await members.nth(1).getByTestId('member-check').isChecked()).toBe(true);
    await imagesLoaded('.group-row img, .member-thumb img');
    await screenshot(page, 'dupes-02-groups');
  });

  it('compares two files side by side, zooms, and highlights what differs', async () => {
    const compare = page.getByTestId('compare');
    await compare.waitFor();
    await imagesLoaded('[data-testid=compare-image]');
    // Copies live in another folder and differ in size: both facts are flagged.
    expect(await compare.locator('[data-fact=folder]').getAttribute('data-different')).toBe('true');
    expect(await compare.locator('[data-fact=size]').getAttribute('data-different')).toBe('true');
    const img = compare.locator('[data-testid=compare-image]').first();
    const before = (await img.boundingBox())!.width;
    await page.getByTestId('compare-zoom').fill('3');
    await eventually(async () => (await img.boundingBox())!.width).toBeGreaterThan(before * 2);
    await screenshot(page, 'dupes-03-compare-zoom');
    await img.click(); // click toggles back to 1×
    await eventually(async () => Math.round((await img.boundingBox())!.width)).toBe(Math.round(before));
  });

  it('moves between groups by keyboard and toggles a group with Space', async () => {
    const list = page.getByTestId('group-list');
    await list.focus();
    await page.keyboard.press('ArrowDown');
    await eventually(() => groups().nth(1).getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('Space');
    await eventually(() => page.getByTestId('dupes-selected').textContent()).toMatch(/^2 files selected/);
    await page.keyboard.press('Space');
    await eventually(() => page.getByTestId('dupes-selected').textContent()).toMatch(/^3 files selected/);
    await page.keyboard.press('End');
    await eventually(() => groups().nth(2).getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('Home');
    await eventually(() => groups().first().getAttribute('aria-selected')).toBe('true');
  });

  let moved: string[] = [];
  const bin = () => join(h.root, 'removed-dupes');

  it('confirms exactly what moves where, moves the files into a folder, and shows them gone', async () => {
    await page.getByRole('button', { name: 'Remove selected…' }).click();
    const dialog = page.locator('dialog.apply-dialog');
    await dialog.waitFor();
    await dialog.getByLabel('Move into a folder').check();
    // A relative path is refused before anything is sent.
    await dialog.getByTestId('apply-folder').fill('removed');
    await dialog.getByText('Type an absolute path').waitFor();
    expect(await dialog.getByRole('button', { name: 'Move 3 files' }).isDisabled()).toBe(true);
    // A folder that cannot be (its parent is a file): refused as NOT_A_FOLDER before anything is touched, nothing moves.
    await dialog.getByTestId('apply-folder').fill(join(photos, 'scene-04.jpg', 'bin'));
    await dialog.getByRole('button', { name: 'Move 3 files' }).click();
    const notice = dialog.locator('[role=alert]');
    await notice.waitFor();
    expect(await notice.getAttribute('data-error-code')).toBe('NOT_A_FOLDER');
    await screenshot(page, 'dupes-04a-move-error');
    await notice.getByRole('button', { name: 'Dismiss' }).click();
    await dialog.getByTestId('apply-folder').fill(bin());
    const rows = dialog.locator('[data-testid=apply-row]');
    expect(await rows.count()).toBe(3);
    moved = await rows.evaluateAll((trs) => trs.map((tr) => tr.querySelector('td')!.textContent!));
    for (const path of moved) expect(path).toContain(join(photos, 'copies'));
    const dest = await rows.first().locator('td').nth(2).textContent();
    expect(dest).toBe(join(bin(), basename(moved[0]!)));
    expect(await dialog.getByTestId('apply-summary').textContent()).toMatch(/^3 files \(.+\) will move into the folder\.$/);
    await screenshot(page, 'dupes-04-confirm-move');
    await dialog.getByRole('button', { name: 'Move 3 files' }).click();
    await page.getByTestId('dupes-outcome').waitFor();
    expect(await page.getByTestId('dupes-outcome').textContent()).toMatch(/Moved: 3 files/);
    for (const path of moved) {
      expect(existsSync(path), path).toBe(false);
      expect(existsSync(join(bin(), basename(path))), path).toBe(true);
    }
    await eventually(() => groups().count()).toBe(0);
    await page.getByText(/No duplicates among/).waitFor();
    await screenshot(page, 'dupes-05-applied');
  });

  it('undoes the move: the files are back and the groups return', async () => {
    await page.getByTestId('dupes-outcome').getByRole('button', { name: 'Undo' }).click();
    await eventually(() => page.getByTestId('dupes-outcome').textContent()).toMatch(/Undone: 3 files back in place/);
    for (const path of moved) expect(existsSync(path), path).toBe(true);
    expect(readdirSync(bin())).toEqual([]);
    await eventually(() => groups().count()).toBe(3);
    await page.getByTestId('dupes-history').locator('summary').click();
    const action = page.locator('[data-testid=dupes-action]').first();
    expect(await action.getAttribute('data-undone')).toBe('true');
    expect(await action.textContent()).toContain('Moved to folder');
    await screenshot(page, 'dupes-06-undone-history');
  });

  it('marks a group as not duplicates, which removes it from the list', async () => {
    await page.getByRole('button', { name: 'Not duplicates', exact: true }).click();
    await eventually(() => groups().count()).toBe(2);
    expect(await totals()).toBe('2 groups · 2 files to remove');
    expect(await page.locator('[data-testid=dupes-action]').first().textContent()).toContain('Marked not duplicates');
  });

  it('moves the rest to the (test\'s own) trash and restores it from the past actions', async () => {
    const trashFiles = join(h.root, 'xdg-data', 'Trash', 'files');
    expect(process.env.XDG_DATA_HOME).toBe(join(h.root, 'xdg-data'));
    await page.getByRole('button', { name: 'Remove selected…' }).click();
    const dialog = page.locator('dialog.apply-dialog');
    await dialog.waitFor();
    expect(await dialog.getByLabel('Move to the system trash').isChecked()).toBe(true);
    const paths = await dialog.locator('[data-testid=apply-row]').evaluateAll((trs) => trs.map((tr) => tr.querySelector('td')!.textContent!));
    expect(paths).toHaveLength(2);
    expect(await dialog.locator('[data-testid=apply-row] td:nth-child(3)').first().textContent()).toBe('System trash');
    await dialog.getByRole('button', { name: 'Move 2 to trash' }).click();
    await eventually(() => page.getByTestId('dupes-outcome').textContent()).toMatch(/Moved to the trash: 2 files/);
    for (const path of paths) expect(existsSync(path), path).toBe(false);
    // The trash names entries by id; each .trashinfo records the original path.
    expect(readdirSync(trashFiles)).toHaveLength(2);
    const infos = readdirSync(join(trashFiles, '..', 'info')).map((f) => readFileSync(join(trashFiles, '..', 'info', f), 'utf8'));
    for (const path of paths) expect(infos.some((info) => decodeURIComponent(info).includes(`Path=${path}`)), path).toBe(true);
    await page.getByTestId('dupes-outcome').getByRole('button', { name: 'Dismiss' }).click();
    const trashed = page.locator('[data-testid=dupes-action]', { hasText: 'Moved to trash' });
    await trashed.getByRole('button', { name: 'Undo' }).click();
    await eventually(() => page.getByTestId('dupes-outcome').textContent()).toMatch(/Undone: 2 files back in place/);
    for (const path of paths) expect(existsSync(path), path).toBe(true);
    expect(await trashed.getAttribute('data-undone')).toBe('true');
  });

  it('shows the view in Simplified Chinese and dark mode', async () => {
    await page.getByRole('button', { name: '中文' }).click();
    await page.getByText('第 1 组，共 2 组').waitFor();
    await page.emulateMedia({ colorScheme: 'dark' });
    await imagesLoaded('.member-thumb img');
    await screenshot(page, 'dupes-07-chinese-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.getByRole('button', { name: 'English' }).click();
  });

  it('raised no page errors', () => {
    expect(e2e.pageErrors).toEqual([]);
  });
});
