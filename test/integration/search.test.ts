import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/core/app/engine.js';
import { collage, scene, writeScene } from '../support/synthetic.js';
import { openTestEngine, tempDir, type TempDir } from './helpers.js';

const SEEDS = Array.from({ length: 24 }, (_, i) => 100 + i);

describe('search (real model, SQLite and usearch)', () => {
  let tmp: TempDir;
  let engine: Engine;
  const photos = (seed: number) => join(tmp.path, 'photos', `scene-${seed}.jpg`);

  beforeAll(async () => {
    tmp = tempDir('search');
    await Promise.all(SEEDS.map((s) => writeScene(photos(s), s)));
    await writeScene(join(tmp.path, 'rivals', 'rival-1.jpg'), 500);
    await writeScene(join(tmp.path, 'rivals', 'rival-2.jpg'), SEEDS[3]!);
    engine = await openTestEngine(join(tmp.path, 'data'));
    engine.library.addFolder('ours', join(tmp.path, 'photos'));
    engine.library.addFolder('rivals', join(tmp.path, 'rivals'));
    const summaries = await engine.indexer.run();
    expect(summaries.map((s) => [s.collection, s.indexed])).toEqual([
      ['ours', SEEDS.length],
      ['rivals', 2],
    ]);
  });

  afterAll(async () => {
    await engine?.close();
    tmp?.remove();
  });

  it('ranks the original first for a resized, recompressed copy', async () => {
    for (const seed of [SEEDS[0]!, SEEDS[7]!, SEEDS[19]!]) {
      const copy = join(tmp.path, `query-${seed}.webp`);
      writeFileSync(copy, await scene(seed).resize(150).webp({ quality: 40 }).toBuffer());
      const { hits } = await engine.search.byImage({ kind: 'path', path: copy }, { k: 5, collections: ['ours'] });
      expect(hits[0]?.path).toBe(photos(seed));
      // The folder's vectors are centred on its mean (it holds more than 16 photos): unrelated photos score near 0
      // instead of ~0.9, and a heavily recompressed copy well above them.
      expect(hits[0]!.score).toBeGreaterThan(0.6);
      expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score + 0.2);
    }
  });

  it('searches by bytes and by catalog item, best first, with cosine scores', async () => {
    const bytes = await scene(SEEDS[5]!).jpeg({ quality: 70 }).toBuffer();
    const byBytes = await engine.api['search:byImage']({ image: { kind: 'bytes', base64: bytes.toString('base64') }, k: 3 });
    expect(byBytes.hits[0]?.path).toBe(photos(SEEDS[5]!));
    const scores = byBytes.hits.map((h) => h.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));

    const byItem = await engine.api['search:byImage']({ image: { kind: 'item', id: byBytes.hits[0]!.id }, k: 2 });
    expect(byItem.hits[0]).toMatchObject({ id: byBytes.hits[0]!.id, collection: 'ours' });
    expect(byItem.hits[0]!.score).toBeCloseTo(1, 2);
  });

  it('finds each product from a crop of a collage', async () => {
    const quad: [number, number, number, number] = [SEEDS[1]!, SEEDS[10]!, SEEDS[15]!, SEEDS[22]!];
    const file = join(tmp.path, 'collage.jpg');
    writeFileSync(file, await collage(quad));
    const rects = [
      { x: 0, y: 0, width: 320, height: 240 },
      { x: 320, y: 0, width: 320, height: 240 },
      { x: 0, y: 240, width: 320, height: 240 },
      { x: 320, y: 240, width: 320, height: 240 },
    ];
    for (const [i, crop] of rects.entries()) {
      const { hits } = await engine.search.byImage({ kind: 'path', path: file }, { k: 3, crop, collections: ['ours'] });
      expect(hits[0]?.path).toBe(photos(quad[i]!));
    }
  });

  it('crops in the EXIF-oriented pixel space', async () => {
    // Stored sideways with orientation 6 (display = rotate 90° clockwise): the displayed top-left quadrant is
    // SEEDS[1]'s scene only if the crop is applied after orientation.
    const quad: [number, number, number, number] = [SEEDS[1]!, SEEDS[10]!, SEEDS[15]!, SEEDS[22]!];
    const upright = await collage(quad);
    const sideways = await sharp(upright).rotate(-90).jpeg({ quality: 92 }).withMetadata({ orientation: 6 }).toBuffer();
    const file = join(tmp.path, 'collage-exif6.jpg');
    writeFileSync(file, sideways);
    const { hits } = await engine.search.byImage({ kind: 'path', path: file }, { k: 1, crop: { x: 0, y: 0, width: 320, height: 240 } });
    expect(hits[0]?.path).toBe(photos(quad[0]!));
  });

  it('restricts to collections and applies the minimum score', async () => {
    const q = { kind: 'path' as const, path: photos(SEEDS[3]!) };
    const rivals = await engine.search.byImage(q, { k: 10, collections: ['rivals'] });
    expect(rivals.hits.map((h) => h.collection)).toEqual(['rivals', 'rivals']);
    expect(rivals.hits[0]?.path).toBe(join(tmp.path, 'rivals', 'rival-2.jpg'));

    const both = await engine.search.byImage(q, { k: 2, collections: ['ours', 'rivals'] });
    expect(new Set(both.hits.map((h) => h.collection))).toEqual(new Set(['ours', 'rivals']));

    const strict = await engine.search.byImage(q, { k: 50, minScore: 0.99 });
    expect(strict.hits.length).toBeGreaterThanOrEqual(2);
    expect(strict.hits.every((h) => h.score >= 0.99)).toBe(true);
    expect(strict.hits.length).toBeLessThan(SEEDS.length);

    await expect(engine.search.byImage(q, { k: 1, collections: ['nope'] })).rejects.toMatchObject({ code: 'COLLECTION_NOT_FOUND' });
  });

  it('reports a bad query image or crop with its code', async () => {
    const bad = join(tmp.path, 'bad.jpg');
    writeFileSync(bad, 'not an image');
    await expect(engine.search.byImage({ kind: 'path', path: bad }, { k: 1 })).rejects.toMatchObject({ code: 'UNSUPPORTED_IMAGE' });
    await expect(engine.search.byImage({ kind: 'path', path: join(tmp.path, 'missing.jpg') }, { k: 1 })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(
      engine.search.byImage({ kind: 'path', path: photos(SEEDS[0]!) }, { k: 1, crop: { x: 300, y: 0, width: 100, height: 10 } }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
