import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nullLogger } from '../base/logger.js';
import { openCatalog } from './catalog.js';
import { CollectionsRepo } from './collections.repo.js';
import { openDatabase } from './database.js';
import { ItemsRepo } from './items.repo.js';
import { migrations } from './migrations/index.js';
import { rawDatabase } from './raw-database.js';

const DIM = 4;
const vector = Buffer.alloc(DIM * 2, 1);

describe('migration 0007 (pending items): items rebuilt in place', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lookalike-pending-mig-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps every row, id, embedding, region and the id counter; triggers, indexes and the view work again', () => {
    const file = join(dir, 'old.sqlite');
    const old = openDatabase(file, { logger: nullLogger, migrations: migrations.filter((m) => m.version < 7) });
    const cid = new CollectionsRepo(old).ensure('shop').id;
    const items = new ItemsRepo(old);
    const ids = [0, 1, 2].map((i) =>
      items.insertIndexed({
        collectionId: cid,
        path: `/shop/red-shirt-${i}.jpg`,
        size: 1,
        mtimeMs: 1,
        hash: Buffer.from([i]),
        width: 10,
        height: 10,
        format: 'jpeg',
        modelId: 'm1',
        dim: DIM,
        vector,
        ...(i === 0 ? { region: { box: { x: 1, y: 1, width: 5, height: 5, area: 0.25 }, averaged: false } } : {}),
      }),
    );
    const failed = items.insertFailed({ collectionId: cid, path: '/shop/bad.jpg', size: 1, mtimeMs: 1, hash: null, code: 'CORRUPT_IMAGE', reason: 'x' });
    // The highest id is deleted before the migration: it must never be handed out again.
    const gone = items.insertIndexed({ collectionId: cid, path: '/shop/gone.jpg', size: 1, mtimeMs: 1, hash: Buffer.from([9]), width: 1, height: 1, format: 'jpeg', modelId: 'm1', dim: DIM, vector });
    items.delete(gone);
    // A pending row is refused by the old schema.
    expect(() => old.prepare(`INSERT INTO items (collection_id, path, size, mtime_ms, hash, indexed_at) VALUES (?, '/p.jpg', 1, 1, x'01', 1)`).run(cid)).toThrow(/CHECK/);
    old.close();

    const catalog = openCatalog(file, nullLogger);
    try {
      const db = rawDatabase(catalog);
      expect(db.pragma('user_version', { simple: true })).toBe(migrations.at(-1)!.version);
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.pragma('foreign_key_check')).toEqual([]);
      // Rows, embeddings (not cascaded away by the rebuild) and the region are all there.
      expect(catalog.items.embeddedIds(cid, 'm1')).toEqual(ids);
      expect(catalog.items.vector(ids[1]!)).toEqual({ modelId: 'm1', dim: DIM, vector });
      expect(catalog.regions.get(ids[0]!)?.box).toMatchObject({ x: 1, y: 1, width: 5, height: 5 });
      expect(catalog.items.failed(cid).map((f) => f.id)).toEqual([failed]);
      expect(catalog.items.embeddedIdDigest(cid, 'm1').count).toBe(3);
      // The FTS triggers came back: a new item is found by its file name.
      const pending = catalog.items.insertPending({ collectionId: cid, path: '/shop/blue-hat.jpg', size: 1, mtimeMs: 1, hash: Buffer.from([7]), width: 1, height: 1, format: 'jpeg' });
      expect(pending).toBeGreaterThan(gone);
      expect(db.prepare(`SELECT rowid FROM item_fts WHERE item_fts MATCH 'hat'`).pluck().all()).toEqual([pending]);
      expect(db.prepare(`SELECT COUNT(*) FROM item_doc`).pluck().get()).toBe(5);
      // The new CHECKs: never both embedded and failed; a pending row has its content hash.
      expect(() => db.prepare(`UPDATE items SET error_code = 'CORRUPT_IMAGE' WHERE id = ?`).run(ids[2])).toThrow(/CHECK/);
      expect(() => db.prepare(`UPDATE items SET hash = NULL WHERE id = ?`).run(pending)).toThrow(/CHECK/);
      // Foreign keys are enforced again: deleting an item still cascades into its embedding.
      catalog.items.delete(ids[1]!);
      expect(catalog.items.vector(ids[1]!)).toBeUndefined();
    } finally {
      catalog.close();
    }
  });
});
