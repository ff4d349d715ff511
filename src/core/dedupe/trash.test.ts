import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTrashed, restoreTrashed } from './trash.js';

// A private trash: the real user's is never looked at.
const root = mkdtempSync(join(tmpdir(), 'lookalike-trash-unit-'));
process.env.XDG_DATA_HOME = join(root, 'share');
const trash = join(root, 'share', 'Trash');

const stamp = (ms: number) => {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
};

function trashed(name: string, originalPath: string, deletedMs: number, content: string): void {
  writeFileSync(join(trash, 'files', name), content);
  writeFileSync(join(trash, 'info', `${name}.trashinfo`), `[Trash Info]\nPath=${encodeURI(originalPath)}\nDeletionDate=${stamp(deletedMs)}\n`);
}

describe('freedesktop trash lookup', () => {
  const photos = join(root, 'my photos');
  const original = join(photos, 'été #1.jpg');
  const t0 = Date.UTC(2024, 4, 1, 10, 0, 0);

  beforeAll(() => {
    mkdirSync(join(trash, 'files'), { recursive: true });
    mkdirSync(join(trash, 'info'), { recursive: true });
    mkdirSync(photos, { recursive: true });
    trashed('older', original, t0 - 3_600_000, 'an older deletion of the same path');
    trashed('ours', original, t0 + 1_000, 'the one we trashed');
    trashed('other-size', original, t0 + 2_000, 'x');
    trashed('other-path', join(photos, 'b.jpg'), t0 + 1_000, 'the one we trashed');
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('matches the original path (percent-encoded) and the deletion time window', async () => {
    const found = await findTrashed(original, { fromMs: t0, toMs: t0 + 5_000 }, 'the one we trashed'.length);
    expect(found?.file).toBe(join(trash, 'files', 'ours'));
    expect(await findTrashed(original, { fromMs: t0 + 60_000, toMs: t0 + 70_000 })).toBeUndefined();
    // Without a size, the latest deletion in the window wins.
    expect((await findTrashed(original, { fromMs: t0, toMs: t0 + 5_000 }))?.file).toBe(join(trash, 'files', 'other-size'));
  });

  it('restores to the original path and drops the .trashinfo, never overwriting', async () => {
    const found = (await findTrashed(original, { fromMs: t0, toMs: t0 + 5_000 }, 18))!;
    writeFileSync(original, 'occupied');
    await expect(restoreTrashed(found, original)).rejects.toMatchObject({ code: 'FILE_CHANGED' });
    expect(readFileSync(original, 'utf8')).toBe('occupied');
    rmSync(original);
    await restoreTrashed(found, original);
    expect(readFileSync(original, 'utf8')).toBe('the one we trashed');
    expect(existsSync(found.info)).toBe(false);
    expect(existsSync(found.file)).toBe(false);
  });
});
