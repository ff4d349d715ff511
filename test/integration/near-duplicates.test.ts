/**
 * Near-duplicates the layout signatures alone cannot line up, end to end on the real `fast` model, SQLite, usearch
 * and OpenCV's WASM build: a copy turned 90° without an EXIF tag, one turned 7° and a tight crop are grouped with
 * their originals with the right reason; two screenshots of different products on one page template, and two
 * products on one background, are not grouped. Match ("same" across two collections) uses the same verification: the
 * turned, tilted and cropped copies in a rival folder are the same product, verified, and so is our photo shown
 * inside their shop page; the other product on one page template is not.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/core/app/engine.js';
import type { DupeGroup, DupeItem } from '../../src/core/dedupe/dedupe.service.js';
import type { MatchResult } from '../../src/core/match/match.service.js';
import { generateNegative, shopPage } from '../support/near-dup-generator.js';
import { scene } from '../support/synthetic.js';
import { openTestEngine, tempDir, type TempDir } from './helpers.js';

const tmp: TempDir = tempDir('near-dup');
const photos = join(tmp.path, 'photos');
const ours = join(tmp.path, 'ours');
const rival = join(tmp.path, 'rival');
const P = (name: string) => join(photos, name);
const groupWith = (groups: DupeGroup[], path: string) => groups.find((g) => g.items.some((i) => i.path === path));
const itemOf = (groups: DupeGroup[], path: string): DupeItem | undefined => groupWith(groups, path)?.items.find((i) => i.path === path);

afterAll(() => tmp.remove());

describe('dupes beyond the layout signature (real model, OpenCV)', () => {
  let engine: Engine;
  let groups: DupeGroup[];

  beforeAll(async () => {
    mkdirSync(photos, { recursive: true });
    const src = await Promise.all([0, 1, 2, 3, 4, 5, 6, 7, 8].map((s) => scene(1300 + s, 480, 640, { crisp: true }).jpeg({ quality: 92 }).toBuffer()));
    src.slice(0, 4).forEach((b, i) => writeFileSync(P(`photo${i}.jpg`), b));
    writeFileSync(P('photo0-turned.jpg'), await sharp(src[0]!).rotate(90).jpeg({ quality: 90 }).toBuffer());
    writeFileSync(P('photo1-tilted.jpg'), await sharp(src[1]!).rotate(7, { background: '#ffffff' }).jpeg({ quality: 90 }).toBuffer());
    // A photo with fine grain everywhere, as real photos have: the flat shapes of a synthetic scene alone, shrunk into
    // a page's product slot, leave too little for either check to line up.
    const grain = await sharp({ create: { width: 480, height: 640, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 90 } } })
      .blur(3)
      .normalise()
      .png()
      .toBuffer();
    const grained = await scene(1309, 480, 640, { crisp: true })
      .composite([{ input: grain, blend: 'overlay' }])
      .jpeg({ quality: 92 })
      .toBuffer();
    writeFileSync(P('photo2.jpg'), grained);
    writeFileSync(P('photo2-page.png'), await shopPage(grained, 0, { title: 'Classic everyday dress', price: '39.90 €' }));
    writeFileSync(P('photo3-detail.jpg'), await sharp(src[3]!).extract({ left: 120, top: 200, width: 240, height: 320 }).jpeg({ quality: 90 }).toBuffer());
    // Two different products on one page template with the very same text, and two on one background.
    const text = { title: 'Relaxed fit cotton shirt', price: '24.95 €' };
    writeFileSync(P('page-a.png'), await shopPage(src[4]!, 1, text));
    writeFileSync(P('page-b.png'), await shopPage(src[5]!, 1, text));
    const backdrop = await scene(1400, 800, 800, { crisp: true }).jpeg().toBuffer();
    const [onA, onB] = await generateNegative('same-background', src[6]!, src[7]!, backdrop, 5);
    writeFileSync(P('scene-a.jpg'), onA.data);
    writeFileSync(P('scene-b.jpg'), onB.data);

    engine = await openTestEngine(join(tmp.path, 'data'));
    await engine.api['library:addFolder']({ collection: 'shop', path: photos });
    await engine.indexer.run(['shop']);
    ({ groups } = await engine.dedupe.list());
  }, 240_000);

  afterAll(async () => {
    await engine?.close();
  });

  it('groups a copy turned 90° without EXIF with its original: "rotated 90°"', () => {
    expect(groupWith(groups, P('photo0.jpg'))?.items.map((i) => i.path).sort()).toEqual([P('photo0-turned.jpg'), P('photo0.jpg')].sort());
    const copy = groupWith(groups, P('photo0.jpg'))!.items.find((i) => i.role !== 'keeper')!;
    expect(copy.reason?.codes).toContain('rotated');
    expect(copy.reason?.angle).toBe(90);
  });

  it('groups a copy turned 7° with its original: "rotated 7°"', () => {
    expect(groupWith(groups, P('photo1.jpg'))?.items.map((i) => i.path).sort()).toEqual([P('photo1-tilted.jpg'), P('photo1.jpg')].sort());
    const copy = groupWith(groups, P('photo1.jpg'))!.items.find((i) => i.role !== 'keeper')!;
    expect(copy.reason?.codes).toContain('rotated');
    expect(copy.reason?.angle).toBeGreaterThanOrEqual(6);
    expect(copy.reason?.angle).toBeLessThanOrEqual(8);
  });

  it('groups a tight crop (half of each side) with its original: "cropped"', () => {
    expect(groupWith(groups, P('photo3.jpg'))?.items.map((i) => i.path).sort()).toEqual([P('photo3-detail.jpg'), P('photo3.jpg')].sort());
    expect(itemOf(groups, P('photo3-detail.jpg'))?.reason?.codes ?? itemOf(groups, P('photo3.jpg'))?.reason?.codes).toContain('cropped');
  });

  it('groups a photo shown inside a shop page screenshot with the photo: "contained in"', () => {
    expect(groupWith(groups, P('photo2.jpg'))?.items.map((i) => i.path).sort()).toEqual([P('photo2-page.png'), P('photo2.jpg')].sort());
    expect(itemOf(groups, P('photo2-page.png'))?.reason?.codes ?? itemOf(groups, P('photo2.jpg'))?.reason?.codes).toContain('contained');
  });

  it('does not group two products shown on the same page template', () => {
    const g = groupWith(groups, P('page-a.png'));
    expect(g?.items.some((i) => i.path === P('page-b.png')) ?? false).toBe(false);
  });

  it('does not group two products photographed on the same background', () => {
    const g = groupWith(groups, P('scene-a.jpg'));
    expect(g?.items.some((i) => i.path === P('scene-b.jpg')) ?? false).toBe(false);
  });

});

describe('match uses the same verification (real model, OpenCV)', () => {
  let engine: Engine;
  let matched: MatchResult;

  beforeAll(async () => {
    // The files of the dupes set-up split in two collections, in a data folder of their own: originals and one page
    // in ours, the copies and the other page in theirs.
    mkdirSync(ours, { recursive: true });
    mkdirSync(rival, { recursive: true });
    for (const name of ['photo0.jpg', 'photo1.jpg', 'photo2.jpg', 'photo3.jpg', 'page-a.png']) copyFileSync(P(name), join(ours, name));
    for (const name of ['photo0-turned.jpg', 'photo1-tilted.jpg', 'photo2-page.png', 'photo3-detail.jpg', 'page-b.png']) copyFileSync(P(name), join(rival, name));
    engine = await openTestEngine(join(tmp.path, 'data-match'));
    await engine.api['library:addFolder']({ collection: 'ours', path: ours });
    await engine.api['library:addFolder']({ collection: 'rival', path: rival });
    await engine.indexer.run(['ours', 'rival']);
    matched = await engine.match.run({ ours: 'ours', theirs: 'rival' });
  }, 240_000);

  afterAll(async () => {
    await engine?.close();
  });

  it('calls the turned, tilted and cropped copies in another collection, and our photo in their page, the same product, as verified copies', () => {
    for (const [mine, theirs] of [
      ['photo0.jpg', 'photo0-turned.jpg'],
      ['photo1.jpg', 'photo1-tilted.jpg'],
      ['photo2.jpg', 'photo2-page.png'],
      ['photo3.jpg', 'photo3-detail.jpg'],
    ]) {
      const row = matched.rows.find((r) => r.ours.path === join(ours, mine!));
      const hit = row?.matches.find((m) => m.item.path === join(rival, theirs!));
      expect({ mine, verdict: hit?.verdict, verified: (hit?.agreement ?? 0) > 0 }).toEqual({ mine, verdict: 'same', verified: true });
    }
  });

  it('does not call another product on the same page template the same product', () => {
    const row = matched.rows.find((r) => r.ours.path === join(ours, 'page-a.png'));
    const hit = row?.matches.find((m) => m.item.path === join(rival, 'page-b.png'));
    expect(hit?.verdict ?? 'none').not.toBe('same');
    expect(hit?.agreement ?? null).toBeNull();
  });
});
