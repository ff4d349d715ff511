import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nullLogger } from '../base/logger.js';
import { asCollectionId } from '../../shared/types.js';
import { openCatalog } from './catalog.js';
import Database from 'better-sqlite3';
import { applyMigration, openDatabase } from './database.js';
import { migrations } from './migrations/index.js';

describe('catalog database', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lookalike-db-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('opens in WAL mode with foreign keys and the latest schema', () => {
    const db = openDatabase(join(dir, 'c.sqlite'), { logger: nullLogger });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('user_version', { simple: true })).toBe(migrations.at(-1)!.version);
    db.close();
    // Re-opening applies nothing twice.
    const again = openDatabase(join(dir, 'c.sqlite'), { logger: nullLogger });
    expect(again.pragma('user_version', { simple: true })).toBe(migrations.at(-1)!.version);
    again.close();
  });

  it('skips a migration another process applied after this one read the version (two opens of a fresh folder)', () => {
    const file = join(dir, 'race.sqlite');
    // The second process: connected, and has read version 0 as its migrate() does before the first one finishes.
    const late = new Database(file);
    expect(late.pragma('user_version', { simple: true })).toBe(0);
    const first = openDatabase(file, { logger: nullLogger });
    // Re-running 0001 would fail with "table ... already exists"; the version re-read inside the write transaction stops it.
    expect(migrations.map((m) => applyMigration(late, m))).toEqual(migrations.map(() => false));
    expect(late.pragma('user_version', { simple: true })).toBe(migrations.at(-1)!.version);
    late.close();
    first.close();
  });

  it('refuses a file from a newer version and a file that is not a database', () => {
    const db = openDatabase(join(dir, 'new.sqlite'), { logger: nullLogger });
    db.pragma('user_version = 99');
    db.close();
    expect(() => openDatabase(join(dir, 'new.sqlite'), { logger: nullLogger })).toThrow(
      expect.objectContaining({ code: 'DB_CORRUPT', message: expect.stringMatching(/newer than this app/) }),
    );
    writeFileSync(join(dir, 'junk.sqlite'), 'x'.repeat(4096));
    expect(() => openDatabase(join(dir, 'junk.sqlite'), { logger: nullLogger })).toThrow(expect.objectContaining({ code: 'DB_CORRUPT' }));
  });

  it('keeps embeddings with their item and an item either indexed or failed', () => {
    const catalog = openCatalog(join(dir, 'c.sqlite'), nullLogger);
    const c = catalog.collections.ensure('shop');
    const facts = { collectionId: c.id, size: 1, mtimeMs: 1, hash: Buffer.alloc(32, 1) };
    const id = catalog.items.insertIndexed({
      ...facts,
      path: '/a.jpg',
      width: 1,
      height: 1,
      format: 'jpeg',
      modelId: 'm@1',
      dim: 2,
      vector: Buffer.alloc(4),
    });
    catalog.items.insertFailed({ ...facts, path: '/b.jpg', code: 'CORRUPT_IMAGE', reason: 'damaged' });
    expect(catalog.items.vectorByHash(Buffer.alloc(32, 1), 'm@1')?.itemId).toBe(id);
    expect(catalog.items.totals()).toEqual({ items: 1, vectors: 1, failed: 1, pending: 0 });
    expect(catalog.items.failed(c.id)).toMatchObject([{ path: '/b.jpg', code: 'CORRUPT_IMAGE', reason: 'damaged', collection: 'shop' }]);
    // A vector whose length does not match its dimension is refused.
    expect(() =>
      catalog.items.insertIndexed({ ...facts, path: '/c.jpg', width: 1, height: 1, format: 'jpeg', modelId: 'm@1', dim: 3, vector: Buffer.alloc(4) }),
    ).toThrow(/CHECK constraint/);
    catalog.items.delete(id);
    expect(catalog.items.totals()).toEqual({ items: 0, vectors: 0, failed: 1, pending: 0 });
    // Ids are never reused (they are the vector index's keys).
    const next = catalog.items.insertFailed({ ...facts, path: '/d.jpg', code: 'EMPTY_FILE', reason: 'empty' });
    expect(next).toBeGreaterThan(id + 1);
    expect(catalog.items.under(asCollectionId(c.id), '/', '/').map((r) => r.path).sort()).toEqual(['/b.jpg', '/d.jpg']);
    catalog.close();
  });
});
