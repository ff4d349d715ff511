/**
 * One data folder, two engines (as `lookalike serve` or the app while a CLI `index` writes): the reader must see
 * every commit of the writer, through its catalog and its index files, and never answer from an index it cached
 * before. Each engine has its own SQLite connection, exactly as two processes would.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/core/app/engine.js';
import { writeScene } from '../support/synthetic.js';
import { decodeF16 } from '../../src/core/base/f16.js';
import { asItemId, type CollectionId } from '../../src/shared/types.js';
import { openTestEngine, tempDir, type TempDir } from './helpers.js';

let tmp: TempDir;
beforeAll(() => {
  tmp = tempDir('shared-folder');
});
afterAll(() => tmp?.remove());

/** The embedded items the reader's catalog holds that are not their own top hit through the reader's index. */
function notOwnTopHit(reader: Engine, cid: CollectionId): number[] {
  const embedderId = reader.catalog.meta.get('embedder_id')!;
  return reader.catalog.items.embeddedIds(cid, embedderId).filter((id) => {
    const stored = reader.catalog.items.vector(asItemId(id))!;
    const [top] = reader.search.byVector(decodeF16(stored.vector), { k: 1, expand: false });
    return top?.id !== id;
  });
}

describe('a reader of a data folder another engine writes to', () => {
  it('sees every batch the writer commits, re-learned transforms and removals, without reopening', async () => {
    const first = Array.from({ length: 20 }, (_, i) => join(tmp.path, 'photos', `a-${i}.jpg`));
    const second = Array.from({ length: 24 }, (_, i) => join(tmp.path, 'photos', `b-${i}.jpg`));
    await Promise.all(first.map((p, i) => writeScene(p, 3100 + i)));
    const data = join(tmp.path, 'data');
    // Small batches, and no save while the job runs: mid-job, the index file lags the catalog by whole batches.
    const writer = await openTestEngine(data, { index: { batchSize: 4, saveEveryMs: 3_600_000, progressEveryMs: 0 } });
    const reader = await openTestEngine(data);
    try {
      writer.library.addFolder('shop', join(tmp.path, 'photos'));
      await writer.indexer.run();
      const cid = reader.catalog.collections.require('shop').id;
      expect(reader.library.stats()).toMatchObject({ itemCount: 20, vectorCount: 20 });
      expect(notOwnTopHit(reader, cid)).toEqual([]);
      // 20 photos: the writer learned the folder's centring; the reader searches in the same space.
      expect(reader.model.transformInfo()).toEqual(writer.model.transformInfo());
      expect(reader.model.transformInfo()?.kind).toBe('center');

      // While the writer indexes more, after each of its commits (its file is not saved yet).
      await Promise.all(second.map((p, i) => writeScene(p, 3200 + i)));
      const midJob: { vectors: number; catalog: number; missed: number[] }[] = [];
      const off = writer.events.on('index:onProgress', (p) => {
        if (p.phase !== 'embedding' || p.done === 0) return;
        const catalog = reader.catalog.items.embeddedIds(cid, reader.catalog.meta.get('embedder_id')!).length;
        midJob.push({ vectors: reader.library.stats().vectorCount, catalog, missed: notOwnTopHit(reader, cid) });
      });
      await writer.indexer.run();
      off();
      expect(midJob.length).toBeGreaterThanOrEqual(3);
      for (const m of midJob) expect(m).toEqual({ vectors: m.catalog, catalog: m.catalog, missed: [] });
      expect(midJob.at(-1)!.catalog).toBeGreaterThan(20);
      expect(reader.library.stats()).toMatchObject({ itemCount: 44, vectorCount: 44 });
      expect(notOwnTopHit(reader, cid)).toEqual([]);
      expect(reader.model.transformInfo()).toEqual(writer.model.transformInfo());

      // Photos deleted and swept by the writer: gone from the reader's answers too.
      const removed = second.slice(0, 5);
      const removedIds = reader.catalog.items.scanRows(cid).filter((r) => removed.includes(r.path)).map((r) => r.id as number);
      expect(removedIds).toHaveLength(5);
      for (const p of removed) rmSync(p);
      await writer.indexer.run();
      expect(reader.library.stats()).toMatchObject({ itemCount: 39, vectorCount: 39 });
      expect(notOwnTopHit(reader, cid)).toEqual([]);
      const { hits } = await reader.search.byImage({ kind: 'path', path: first[0]! }, { k: 50 });
      expect(hits).toHaveLength(39);
      expect(hits.filter((h) => removed.includes(h.path) || removedIds.includes(h.id))).toEqual([]);
    } finally {
      await reader.close();
      await writer.close();
    }
  });
});
