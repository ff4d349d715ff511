import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { asItemId } from '../../shared/types.js';
import { nullLogger } from '../base/logger.js';
import { openCatalog, type Catalog } from '../catalog/catalog.js';
import { HISTORY_KEEP, QueryHistory } from './query-history.js';

const photo = (width: number, height: number, hue = 120) =>
  sharp({ create: { width, height, channels: 3, background: { r: hue, g: 80, b: 200 - hue / 2 } } }).jpeg({ quality: 90 }).toBuffer();

describe('query history (catalog table query_history)', () => {
  let dir: string;
  let catalog: Catalog;
  let history: QueryHistory;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lookalike-history-'));
    catalog = openCatalog(join(dir, 'catalog.sqlite'), nullLogger);
    history = new QueryHistory({ catalog, logger: nullLogger });
  });
  afterEach(() => {
    catalog.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps a small photo as given and a large one as a reduced copy, its crop scaled to it', async () => {
    const small = await history.preparePhoto(await photo(300, 200));
    expect(small).toMatchObject({ width: 300, height: 200, scale: 1 });
    expect(small.imageHash.equals(small.sourceHash)).toBe(true);
    const large = await history.preparePhoto(await photo(4000, 2000));
    expect(large).toMatchObject({ width: 1600, height: 800, scale: 0.4 });
    history.record({ kind: 'image', photo: large }, 'large.jpg', { x: 1000, y: 500, width: 2000, height: 1000 }, undefined);
    const [entry] = history.list();
    expect(entry).toMatchObject({ kind: 'image', label: 'large.jpg', width: 1600, height: 800, crop: { x: 400, y: 200, width: 800, height: 400 } });
    expect((await sharp(Buffer.from(entry!.thumb!, 'base64')).metadata()).format).toBe('webp');
    const { image } = history.get(entry!.id);
    expect((await sharp(Buffer.from(image!, 'base64')).metadata()).width).toBe(1600);
  });

  it('moves a query asked again to the top, also when asked with its kept copy', async () => {
    const a = await history.preparePhoto(await photo(4000, 2000, 10));
    const b = await history.preparePhoto(await photo(300, 300, 200));
    history.record({ kind: 'image', photo: a }, 'a.jpg', undefined, undefined);
    history.record({ kind: 'image', photo: b }, 'b.jpg', undefined, undefined);
    // Going back to `a` from the history sends its kept copy, whose bytes differ from the dropped file's.
    const again = await history.preparePhoto(Buffer.from(history.get(history.list()[1]!.id).image!, 'base64'));
    history.record({ kind: 'image', photo: again }, 'a.jpg', undefined, undefined);
    expect(history.list().map((e) => e.label)).toEqual(['a.jpg', 'b.jpg']);
  });

  it('folds filter changes of the newest query into it, keeps distinct queries apart', async () => {
    history.record({ kind: 'text' }, '“d”', undefined, { text: 'd' });
    history.record({ kind: 'text' }, '“dress”', undefined, { text: 'dress' });
    expect(history.list().map((e) => [e.kind, e.label, e.filter])).toEqual([['text', '“dress”', { text: 'dress' }]]);
    const p = await history.preparePhoto(await photo(300, 200));
    history.record({ kind: 'image', photo: p }, 'p.jpg', undefined, undefined);
    history.record({ kind: 'image', photo: p }, 'p.jpg', { x: 0, y: 0, width: 100, height: 100 }, undefined);
    expect(history.list().map((e) => [e.label, e.crop !== null])).toEqual([
      ['p.jpg', true],
      ['p.jpg', false],
      ['“dress”', false],
    ]);
  });

  it('keeps the newest HISTORY_KEEP entries, and forgets them all on clear', () => {
    const c = catalog.collections.ensure('c').id;
    for (let i = 0; i < HISTORY_KEEP + 5; i++) {
      const id = catalog.items.insertIndexed({ collectionId: c, path: `/p/${i}.jpg`, size: 1, mtimeMs: 1, hash: Buffer.alloc(32, i), width: 1, height: 1, format: 'jpeg', modelId: 'm', dim: 4, vector: Buffer.alloc(8, 1) });
      history.record({ kind: 'item', itemId: asItemId(id) }, `item ${i}`, undefined, undefined);
    }
    const labels = history.list().map((e) => e.label);
    expect(labels).toHaveLength(HISTORY_KEEP);
    expect(labels[0]).toBe(`item ${HISTORY_KEEP + 4}`);
    expect(history.remove(history.list()[0]!.id)).toBe(true);
    expect(history.remove(10_000)).toBe(false);
    expect(history.clear()).toBe(HISTORY_KEEP - 1);
    expect(history.list()).toEqual([]);
    expect(() => history.get(1)).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });
});
