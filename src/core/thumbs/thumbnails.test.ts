import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors.js';
import { createThumbnails, type ThumbSource } from './thumbnails.js';

let dir: string;
const sources = new Map<number, ThumbSource>();
const source = (id: number): ThumbSource => {
  const s = sources.get(id);
  if (!s) throw new AppError('ITEM_NOT_FOUND', `No item with id ${id}.`);
  return s;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lookalike-thumbs-'));
  await sharp({ create: { width: 900, height: 600, channels: 3, background: '#c33' } }).jpeg().toFile(join(dir, 'a.jpg'));
  writeFileSync(join(dir, 'broken.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0, 1, 2, 3]));
  sources.set(1, { path: join(dir, 'a.jpg'), key: 'aaaa' });
  sources.set(2, { path: join(dir, 'broken.jpg'), key: 'bbbb' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('thumbnail cache', () => {
  it('renders a webp that fits the size, once, under the data folder', async () => {
    const thumbs = createThumbnails({ dataDir: join(dir, 'data'), source });
    const [a, b] = await Promise.all([thumbs.thumbnail(1, 256), thumbs.thumbnail(1, 256)]);
    expect(a).toEqual(b);
    expect(a.path.startsWith(join(dir, 'data', 'thumbs'))).toBe(true);
    expect(a.contentType).toBe('image/webp');
    const meta = await sharp(a.path).metadata();
    expect(meta.format).toBe('webp');
    expect(Math.max(meta.width!, meta.height!)).toBe(256);
    const first = statSync(a.path).mtimeMs;
    await thumbs.thumbnail(1, 256);
    expect(statSync(a.path).mtimeMs).toBe(first);
  });

  it('keys the cache by content, and only renders the fixed sizes', async () => {
    const thumbs = createThumbnails({ dataDir: join(dir, 'data'), source });
    const before = await thumbs.thumbnail(1, 200);
    expect(before.path).toContain(`${join('256', '1-aaaa.webp')}`);
    sources.set(1, { path: join(dir, 'a.jpg'), key: 'cccc' });
    expect((await thumbs.thumbnail(1, 256)).path).toContain('1-cccc.webp');
  });

  it('refuses unknown ids and reports damaged files by code', async () => {
    const thumbs = createThumbnails({ dataDir: join(dir, 'data'), source });
    await expect(thumbs.thumbnail(99, 256)).rejects.toMatchObject({ code: 'ITEM_NOT_FOUND' });
    await expect(thumbs.imagePath(99)).rejects.toMatchObject({ code: 'ITEM_NOT_FOUND' });
    await expect(thumbs.thumbnail(2, 256)).rejects.toBeInstanceOf(AppError);
  });
});
