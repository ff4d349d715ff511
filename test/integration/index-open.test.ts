/**
 * Opening a saved vector index on the real engine: a good file is memory-mapped after the cheap checks (no id is
 * read one by one) and verified in full in the background; damage that the cheap checks cannot see is still found
 * and the index rebuilt from the catalog.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Engine } from '../../src/core/app/engine.js';
import { writeScene } from '../support/synthetic.js';
import { AnnIndex } from '../../src/core/vectors/ann-index.js';
import { openTestEngine, recordingLogger, tempDir, type TempDir } from './helpers.js';

describe('opening a saved vector index (real model, SQLite and usearch)', () => {
  let tmp: TempDir;
  let dataDir: string;
  let photos: string;
  let engine: Engine | undefined;

  beforeAll(async () => {
    tmp = tempDir('index-open');
    dataDir = join(tmp.path, 'data');
    photos = join(tmp.path, 'photos');
    await Promise.all([1, 2, 3, 4, 5, 6].map((s) => writeScene(join(photos, `p${s}.jpg`), s)));
    engine = await openTestEngine(dataDir);
    engine.library.addFolder('shop', photos);
    await engine.indexer.run(['shop']);
    await engine.close();
  });
  afterAll(async () => {
    await engine?.close();
    tmp?.remove();
  });

  const indexFile = () => join(dataDir, readdirSync(dataDir).find((f) => f.endsWith('.usearch'))!);
  const query = () => engine!.search.byImage({ kind: 'item', id: 3 }, { k: 6 });

  it('maps a good file without reading its ids and finds nothing wrong in the background', async () => {
    const logger = recordingLogger();
    engine = await openTestEngine(dataDir, { logger });
    const cid = engine.catalog.collections.require('shop').id;
    const readIds = vi.spyOn(engine.catalog.items, 'embeddedIds');
    const store = engine.model.vectors()!;
    expect(store.open(cid).mapped).toBe(true);
    expect(readIds).not.toHaveBeenCalled();
    expect((await query()).hits[0]?.id).toBe(3);
    await store.verified();
    expect(store.open(cid).verified).toBe(true);
    expect(logger.lines.filter((l) => /vector index/.test(l))).toEqual([]);
    await engine.close();
  });

  it('finds a damaged vector after opening, and rebuilds the index on the next search', async () => {
    const before = readFileSync(indexFile());
    const damaged = Buffer.from(before);
    // Inside the first stored vector: past the cheap checks (headers, node levels), caught by the full digest.
    damaged[8 + 101] = damaged[8 + 101]! ^ 0x40;
    writeFileSync(indexFile(), damaged);

    const logger = recordingLogger();
    engine = await openTestEngine(dataDir, { logger });
    const store = engine.model.vectors()!;
    expect((await query()).hits).toHaveLength(6);
    await store.verified();
    expect(logger.lines.some((l) => /checksum mismatch \(the file is damaged\); it is rebuilt on next use/.test(l))).toBe(true);
    expect((await query()).hits[0]?.id).toBe(3);
    expect(logger.lines.some((l) => /damaged\): rebuilding it from 6 stored embeddings/.test(l))).toBe(true);
    const dimensions = store.dimensions;
    await engine.close();
    // The rebuilt file passes the full check.
    expect(AnnIndex.load(indexFile(), { dimensions, quantization: 'f16', connectivity: 16 }).size).toBe(6);
  });
});
