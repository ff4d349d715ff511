import { copyFileSync, readdirSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/core/app/engine.js';
import type { Progress } from '../../src/shared/types.js';
import { scene, writeScene } from '../support/synthetic.js';
import { openTestEngine, recordingLogger, tempDir, type TempDir } from './helpers.js';

describe('index job (real model, SQLite and usearch)', () => {
  let tmp: TempDir;
  let photos: string;
  let dataDir: string;
  let engine: Engine | undefined;

  beforeEach(async () => {
    tmp = tempDir('index');
    photos = join(tmp.path, 'photos');
    dataDir = join(tmp.path, 'data');
    await Promise.all([1, 2, 3, 4, 5, 6].map((s) => writeScene(join(photos, s % 2 ? 'odd' : 'even', `p${s}.jpg`), s)));
  });

  afterEach(async () => {
    await engine?.close();
    engine = undefined;
    tmp.remove();
  });

  const reopen = async (options: Parameters<typeof openTestEngine>[1] = {}) => {
    await engine?.close();
    engine = await openTestEngine(dataDir, options);
    return engine;
  };
  const indexOnce = async () => (await engine!.indexer.run(['shop']))[0]!;
  const idOf = (path: string) => engine!.catalog.items.scanRows(engine!.catalog.collections.require('shop').id).find((r) => r.path === path)?.id;
  const topHit = async (path: string) => (await engine!.search.byImage({ kind: 'path', path }, { k: 1 })).hits[0];

  it('re-embeds only what changed: unchanged, moved, changed, deleted, copied', async () => {
    await reopen();
    engine!.library.addFolder('shop', photos);
    expect(await indexOnce()).toMatchObject({ indexed: 6, unchanged: 0, moved: 0, removed: 0, failed: 0, cancelled: false });

    // No change: nothing is read or embedded.
    expect(await indexOnce()).toMatchObject({ indexed: 0, unchanged: 6, moved: 0, removed: 0 });

    // Touched but identical bytes: the hash says unchanged.
    utimesSync(join(photos, 'odd', 'p1.jpg'), new Date(), new Date(Date.now() + 5000));
    // Moved and renamed: same content, so the same row, id and vector.
    const movedFrom = join(photos, 'even', 'p2.jpg');
    const movedTo = join(photos, 'odd', 'renamed-p2.jpg');
    const movedId = idOf(movedFrom);
    renameSync(movedFrom, movedTo);
    // Changed content under the same name: a new embedding.
    const changed = join(photos, 'even', 'p4.jpg');
    const oldChangedId = idOf(changed);
    await writeScene(changed, 44);
    // Deleted.
    rmSync(join(photos, 'odd', 'p5.jpg'));
    // A byte-identical copy reuses the stored vector.
    copyFileSync(join(photos, 'even', 'p6.jpg'), join(photos, 'copy-of-p6.jpg'));

    const s = await indexOnce();
    expect(s).toMatchObject({ indexed: 2, unchanged: 4 - 1, moved: 1, removed: 1, failed: 0 });
    expect(idOf(movedTo)).toBe(movedId);
    expect(idOf(changed)).not.toBe(oldChangedId);
    expect(idOf(join(photos, 'odd', 'p5.jpg'))).toBeUndefined();

    // The index follows the catalog: the moved file is found at its new path, the changed file by its new
    // content, the deleted one nowhere.
    expect((await topHit(movedTo))?.path).toBe(movedTo);
    const q = join(tmp.path, 'q44.jpg');
    writeFileSync(q, await scene(44).resize(200).jpeg({ quality: 60 }).toBuffer());
    expect((await topHit(q))?.path).toBe(changed);
    const all = await engine!.search.byImage({ kind: 'path', path: movedTo }, { k: 100 });
    expect(all.hits.map((h) => h.path).sort()).toEqual(
      [
        join(photos, 'copy-of-p6.jpg'),
        join(photos, 'even', 'p4.jpg'),
        join(photos, 'even', 'p6.jpg'),
        join(photos, 'odd', 'p1.jpg'),
        join(photos, 'odd', 'p3.jpg'),
        movedTo,
      ].sort(),
    );
    expect(engine!.library.stats()).toMatchObject({ itemCount: 6, vectorCount: 6, failedCount: 0 });
  });

  it('records a corrupt or empty file with its reason while the others index', async () => {
    writeFileSync(join(photos, 'broken.jpg'), (await scene(9).jpeg().toBuffer()).subarray(0, 300));
    writeFileSync(join(photos, 'empty.png'), '');
    writeFileSync(join(photos, 'notes.jpg'), 'this is a text file with an image name');
    await reopen();
    engine!.library.addFolder('shop', photos);
    expect(await indexOnce()).toMatchObject({ indexed: 6, failed: 3 });
    const errors = engine!.library.errors('shop').map((e) => [e.path.slice(photos.length + 1), e.code]);
    expect(errors).toEqual([
      ['broken.jpg', 'CORRUPT_IMAGE'],
      ['empty.png', 'EMPTY_FILE'],
      ['notes.jpg', 'UNSUPPORTED_IMAGE'],
    ]);
    expect(engine!.library.errors('shop').every((e) => e.reason.length > 0)).toBe(true);

    // Failures are remembered: an unchanged broken file is not retried; a repaired one is indexed.
    expect(await indexOnce()).toMatchObject({ indexed: 0, unchanged: 6, failed: 3 });
    await writeScene(join(photos, 'broken.jpg'), 9);
    expect(await indexOnce()).toMatchObject({ indexed: 1, failed: 2 });
    expect(engine!.library.stats()).toMatchObject({ itemCount: 7, vectorCount: 7, failedCount: 2 });
  });

  it('rebuilds a deleted or stale vector index from the stored embeddings, with a log line', async () => {
    await reopen();
    engine!.library.addFolder('shop', photos);
    await indexOnce();
    const query = join(photos, 'odd', 'p3.jpg');
    const before = await engine!.search.byImage({ kind: 'path', path: query }, { k: 6 });
    await engine!.close();

    const indexFiles = readdirSync(dataDir).filter((f) => f.endsWith('.usearch'));
    expect(indexFiles).toHaveLength(1);
    rmSync(join(dataDir, indexFiles[0]!));

    const logger = recordingLogger();
    await reopen({ logger });
    const after = await engine!.search.byImage({ kind: 'path', path: query }, { k: 6 });
    expect(logger.lines.some((l) => /vector index .* is missing: rebuilding it from 6 stored embeddings/.test(l))).toBe(true);
    expect(after.hits.map((h) => h.path)).toEqual(before.hits.map((h) => h.path));
    after.hits.forEach((h, i) => expect(h.score).toBeCloseTo(before.hits[i]!.score, 5));
    expect(readdirSync(dataDir).filter((f) => f.endsWith('.usearch'))).toEqual(indexFiles);

    // An index that fell behind the catalog (e.g. a crash between a commit and a save) is rebuilt too.
    const saved = join(tmp.path, 'saved.usearch');
    copyFileSync(join(dataDir, indexFiles[0]!), saved);
    await writeScene(join(photos, 'p7.jpg'), 7);
    await indexOnce();
    await engine!.close();
    copyFileSync(saved, join(dataDir, indexFiles[0]!));
    const logger2 = recordingLogger();
    await reopen({ logger: logger2 });
    expect(engine!.library.stats().vectorCount).toBe(7);
    expect(logger2.lines.some((l) => /holds 6 vectors but the catalog has 7/.test(l))).toBe(true);
  });

  it('stops after the current batch when cancelled, then resumes', async () => {
    await Promise.all([7, 8, 9, 10, 11, 12, 13, 14, 15, 16].map((s) => writeScene(join(photos, 'more', `m${s}.jpg`), s)));
    await reopen({ index: { batchSize: 4, progressEveryMs: 0 } });
    engine!.library.addFolder('shop', photos);
    const controller = new AbortController();
    const seen: Progress[] = [];
    engine!.events.on('index:onProgress', (p) => {
      seen.push(p);
      if (p.phase === 'embedding' && p.done >= 4) controller.abort();
    });
    const [first] = await engine!.indexer.run(['shop'], { signal: controller.signal });
    expect(first).toMatchObject({ cancelled: true, indexed: 4 });
    expect(seen.at(-1)?.phase).toBe('cancelled');
    const withRate = seen.find((p) => p.phase === 'embedding' && p.done > 0);
    expect(withRate).toMatchObject({ total: 16, done: 4 });
    expect(withRate!.rate).toBeGreaterThan(0);
    expect(withRate!.etaSeconds).toBeGreaterThanOrEqual(0);
    expect(engine!.indexer.status()).toMatchObject({ running: null, last: { cancelled: true } });

    // The next run (in a new process) picks up where the last one stopped.
    await reopen();
    const [second] = await engine!.indexer.run(['shop']);
    expect(second).toMatchObject({ cancelled: false, indexed: 12, unchanged: 4 });
    expect(engine!.library.stats()).toMatchObject({ itemCount: 16, vectorCount: 16 });
  });

  it('removes a folder with its items, refuses a second model, and one index job at a time', async () => {
    await reopen();
    engine!.library.addFolder('shop', join(photos, 'odd'));
    engine!.library.addFolder('shop', join(photos, 'even'));
    expect(engine!.library.collection('shop').roots.map((r) => r.path)).toEqual([join(photos, 'even'), join(photos, 'odd')]);
    await indexOnce();
    const job = await engine!.indexer.start(['shop']);
    await expect(engine!.indexer.start(['shop'])).rejects.toMatchObject({ code: 'INDEX_BUSY' });
    await job.done;

    engine!.library.removeFolder('shop', join(photos, 'even'));
    expect(engine!.library.collection('shop')).toMatchObject({ itemCount: 3, roots: [{ path: join(photos, 'odd') }] });
    expect(engine!.library.stats().vectorCount).toBe(3);
    // A folder containing the remaining root replaces it.
    engine!.library.addFolder('shop', photos);
    expect(engine!.library.collection('shop').roots.map((r) => r.path)).toEqual([photos]);
    expect(() => engine!.library.addFolder('shop', join(tmp.path, 'nope'))).toThrow(expect.objectContaining({ code: 'FOLDER_NOT_FOUND' }));
    expect(() => engine!.library.addFolder('shop', join(photos, 'odd', 'p1.jpg'))).toThrow(expect.objectContaining({ code: 'NOT_A_FOLDER' }));
    await engine!.close();
    engine = undefined;

    await expect(openTestEngine(dataDir, { modelId: 'accurate' })).rejects.toMatchObject({ code: 'MODEL_MISMATCH' });
  });
});
