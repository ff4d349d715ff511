/**
 * Text re-ranking of image search (issue 20, capability 3) end to end: the real ONNX embedder, the real PP-OCR
 * reader, a real SQLite catalog. Two cartons of one design differ only in their printed variety; a "store photo"
 * of one of them, laid out as the other, looks more like the other to the global vector. With OCR on for the
 * collection the carton whose text the photo shows comes first; with OCR off the search is exactly as before.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import sharp from 'sharp';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/core/app/engine.js';
import { cartonPhoto } from '../support/render-text.js';
import { writeScene } from '../support/synthetic.js';
import { openTestEngine, tempDir, type TempDir } from './helpers.js';

describe('search re-ranked by the text of the query photo', () => {
  let tmp: TempDir;
  let engine: Engine;
  let dir: string;
  let query: string;
  let shelf: string;

  beforeAll(async () => {
    tmp = tempDir('text-rerank');
    dir = join(tmp.path, 'shop');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'mellanmjolk.png'), await cartonPhoto(['MELLANMJOLK', '1,5% fett'], 0, 0));
    writeFileSync(join(dir, 'lattmjolk.png'), await cartonPhoto(['LATTMJOLK', '0,5% fett'], 0, 1));
    writeFileSync(join(dir, 'juice.png'), await cartonPhoto(['APELSINJUICE', 'utan fruktkott'], 1, 2));
    for (let i = 0; i < 3; i++) await writeScene(join(dir, `scene-${i}.jpg`), 40 + i);
    query = join(tmp.path, 'store-photo.png');
    // The variety of one carton, in the layout (position, scale) of the other.
    writeFileSync(query, await cartonPhoto(['MELLANMJOLK', '1,5% fett'], 0, 1));
    // A shelf: the other variety laid out as the first on the left, the first beside it; the left one is searched.
    shelf = join(tmp.path, 'shelf.png');
    const beside = await cartonPhoto(['MELLANMJOLK', '1,5% fett'], 0, 0);
    writeFileSync(
      shelf,
      await sharp({ create: { width: 960, height: 480, channels: 3, background: '#e9e6df' } })
        .composite([{ input: await cartonPhoto(['LATTMJOLK', '0,5% fett'], 0, 0), left: 0, top: 0 }, { input: beside, left: 480, top: 0 }])
        .png()
        .toBuffer(),
    );
    engine = await openTestEngine(join(tmp.path, 'data'));
    engine.library.addFolder('shop', dir);
    await engine.indexer.run();
  }, 120_000);

  afterAll(async () => {
    await engine?.close();
    tmp?.remove();
  });

  const names = (hits: readonly { path: string }[]) => hits.map((h) => h.path.slice(dir.length + 1));

  it('puts first the carton whose printed text the photo shows; off, it is the search as before', async () => {
    const before = await engine.search.byImage({ kind: 'path', path: query }, { k: 6 });
    // The global vector alone prefers the carton laid out as the photo.
    expect(names(before.hits).slice(0, 2)).toEqual(['lattmjolk.png', 'mellanmjolk.png']);

    await engine.api['ocr:configure']({ collection: 'shop', enabled: true });
    const read = await engine.api['ocr:run']({ collection: 'shop' });
    expect(read.failed).toBe(0);
    const after = await engine.search.byImage({ kind: 'path', path: query }, { k: 6 });
    expect(names(after.hits).slice(0, 2)).toEqual(['mellanmjolk.png', 'lattmjolk.png']);
    // Only the order of the first hits moves: the same hits, each with its own score.
    expect(new Set(after.hits.map((h) => h.id))).toEqual(new Set(before.hits.map((h) => h.id)));
    for (const h of after.hits) expect(h.score).toBe(before.hits.find((b) => b.id === h.id)!.score);

    // A crop is read alone: the text beside it on the shelf (the other carton's, the longer word) does not count.
    const crop = { x: 0, y: 0, width: 480, height: 480 };
    const cropped = await engine.search.byImage({ kind: 'path', path: shelf }, { k: 6, crop });
    expect(names(cropped.hits)[0]).toBe('lattmjolk.png');

    // Find-similar of the catalog carton uses its stored text (no OCR of the query) and keeps the item first.
    const latt = before.hits.find((h) => h.path.endsWith('lattmjolk.png'))!;
    const similar = await engine.search.byImage({ kind: 'item', id: latt.id }, { k: 4 });
    expect(similar.hits[0]!.id).toBe(latt.id);

    await engine.api['ocr:configure']({ collection: 'shop', enabled: false });
    const off = await engine.search.byImage({ kind: 'path', path: query }, { k: 6 });
    expect(off.hits).toEqual(before.hits);
  }, 120_000);
});
