import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CollectionId } from '../../shared/types.js';
import { nullLogger } from '../base/logger.js';
import { EMPTY_ID_DIGEST, sameIds, updateIdDigest } from '../base/id-digest.js';
import { openCatalog, type Catalog } from './catalog.js';
import { CollectionsRepo } from './collections.repo.js';
import { openDatabase } from './database.js';
import { ItemsRepo } from './items.repo.js';
import { migrations } from './migrations/index.js';
import { rawDatabase } from './raw-database.js';

const DIM = 4;
const vector = Buffer.alloc(DIM * 2, 1);

describe('embedded id summaries (migration 0004 triggers)', () => {
  let dir: string;
  let catalog: Catalog;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lookalike-idsets-'));
    catalog = openCatalog(join(dir, 'catalog.sqlite'), nullLogger);
  });
  afterEach(() => {
    catalog.close();
    rmSync(dir, { recursive: true, force: true });
  });

  let n = 0;
  const indexed = (cid: CollectionId, modelId = 'm1') =>
    catalog.items.insertIndexed({
      collectionId: cid,
      path: `/p/${++n}.jpg`,
      size: 1,
      mtimeMs: 1,
      hash: Buffer.from(String(n)),
      width: 1,
      height: 1,
      format: 'jpeg',
      modelId,
      dim: DIM,
      vector,
    });
  const failed = (cid: CollectionId) =>
    catalog.items.insertFailed({ collectionId: cid, path: `/p/${++n}.jpg`, size: 1, mtimeMs: 1, hash: null, code: 'CORRUPT_IMAGE', reason: 'x' });

  /** The summary must equal the one computed from the ids themselves, for every collection and model. */
  const expectInStep = () => {
    for (const c of catalog.collections.list()) {
      for (const m of ['m1', 'm2']) {
        const ids = catalog.items.embeddedIds(c.id, m);
        expect(sameIds(catalog.items.embeddedIdDigest(c.id, m), updateIdDigest(EMPTY_ID_DIGEST, ids)), `${c.name} ${m}`).toBe(true);
      }
    }
    const slow = rawDatabase(catalog)
      .prepare('SELECT COUNT(model_id) AS items, (SELECT COUNT(*) FROM embeddings) AS vectors, COUNT(error_code) AS failed, COUNT(*) - COUNT(model_id) - COUNT(error_code) AS pending FROM items')
      .get();
    expect(catalog.items.totals()).toEqual(slow);
    const slowCounts = rawDatabase(catalog)
      .prepare('SELECT collection_id AS id, COUNT(model_id) AS itemCount, COUNT(error_code) AS failedCount, COUNT(*) - COUNT(model_id) - COUNT(error_code) AS pendingCount FROM items GROUP BY collection_id')
      .all() as { id: CollectionId; itemCount: number; failedCount: number; pendingCount: number }[];
    expect(catalog.collections.counts()).toEqual(new Map(slowCounts.map(({ id, ...c }) => [id, c])));
  };

  it('follows inserts, failures, deletes, moves, model switches and forgotten collections', () => {
    const a = catalog.collections.ensure('a').id;
    const b = catalog.collections.ensure('b').id;
    catalog.transaction(() => {
      for (let i = 0; i < 5; i++) indexed(a);
      for (let i = 0; i < 3; i++) indexed(b);
      failed(a);
      failed(a);
    });
    expectInStep();
    expect(catalog.items.embeddedIdDigest(a, 'm1').count).toBe(5);

    const first = catalog.items.embeddedIds(a, 'm1')[0]!;
    catalog.items.delete(first);
    catalog.items.move(catalog.items.embeddedIds(a, 'm1')[0]!, '/moved.jpg', 2, 2);
    catalog.items.markFailed(catalog.items.embeddedIds(a, 'm1')[1]!, 'CORRUPT_IMAGE', 'gone bad');
    catalog.items.replaceVector(catalog.items.embeddedIds(b, 'm1')[0]!, 'm2', DIM, vector);
    expectInStep();
    expect(catalog.items.embeddedIdDigest(b, 'm2').count).toBe(1);

    // A rolled-back write leaves the summary as it was.
    expect(() =>
      catalog.transaction(() => {
        indexed(a);
        throw new Error('abort');
      }),
    ).toThrow('abort');
    expectInStep();

    // Forgetting a collection cascades; a new collection that reuses its id starts from nothing.
    rawDatabase(catalog).prepare('DELETE FROM collections WHERE id = ?').run(b);
    expectInStep();
    const c = catalog.collections.ensure('c').id;
    expect(c).toBe(b);
    expect(catalog.items.embeddedIdDigest(c, 'm2')).toEqual({ count: 0, sum: 0n, squares: 0n });
    indexed(c);
    expectInStep();
    // A pending item (progressive indexing) counts once its embedding is made, in place.
    const waiting = catalog.items.insertPending({ collectionId: c, path: '/p/pending.jpg', size: 1, mtimeMs: 1, hash: Buffer.from('pending'), width: 1, height: 1, format: 'jpeg' });
    expectInStep();
    expect(catalog.items.pending(c).map((r) => r.id)).toEqual([waiting]);
    const facts = { size: 2, mtimeMs: 2, hash: Buffer.from('pending'), width: 1, height: 1, format: 'jpeg', modelId: 'm1', dim: DIM, vector };
    expect(catalog.items.completePending(waiting, facts)).toBe(true);
    expect(catalog.items.completePending(waiting, facts)).toBe(false);
    expect(catalog.items.embeddedIds(c, 'm1')).toContain(waiting);
    expect(catalog.items.pending(c)).toEqual([]);
    expectInStep();
  });

  it('summarises what a catalog already held when it is migrated', () => {
    const file = join(dir, 'old.sqlite');
    const old = openDatabase(file, { logger: nullLogger, migrations: migrations.filter((m) => m.version < 4) });
    const cid = new CollectionsRepo(old).ensure('a').id;
    const items = new ItemsRepo(old);
    for (let i = 0; i < 4; i++) {
      items.insertIndexed({ collectionId: cid, path: `/old/${i}.jpg`, size: 1, mtimeMs: 1, hash: Buffer.from([i]), width: 1, height: 1, format: 'jpeg', modelId: 'm1', dim: DIM, vector });
    }
    items.insertFailed({ collectionId: cid, path: '/old/bad.jpg', size: 1, mtimeMs: 1, hash: null, code: 'CORRUPT_IMAGE', reason: 'x' });
    old.close();
    catalog.close();
    catalog = openCatalog(file, nullLogger);
    expect(rawDatabase(catalog).pragma('user_version', { simple: true })).toBe(migrations.at(-1)!.version);
    expect(catalog.items.embeddedIdDigest(cid, 'm1').count).toBe(4);
    expectInStep();
  });
});
