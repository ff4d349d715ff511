import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/core/app/engine.js';
import { asItemId, type Progress } from '../../src/shared/types.js';
import { decodeF16 } from '../../src/core/base/f16.js';
import { productOnPlain } from '../support/synthetic.js';
import { runCli } from '../support/cli-run.js';
import { openTestEngine, tempDir, type TempDir } from './helpers.js';

/** Where each seed's product stands in its 480 × 480 shot. */
const SHOTS = [
  { seed: 7, box: { x: 240, y: 60, width: 180, height: 200 } },
  { seed: 11, box: { x: 60, y: 220, width: 160, height: 200 } },
  { seed: 23, box: { x: 40, y: 40, width: 200, height: 180 } },
  { seed: 31, box: { x: 250, y: 250, width: 190, height: 190 } },
];

const contains = (o: { x: number; y: number; width: number; height: number }, p: { x: number; y: number }) =>
  p.x >= o.x && p.x <= o.x + o.width && p.y >= o.y && p.y <= o.y + o.height;
const centre = (b: { x: number; y: number; width: number; height: number }) => ({ x: b.x + b.width / 2, y: b.y + b.height / 2 });

// The built-in `accurate` model is the one with a saliency map (the test engine's default, `fast`, has none).
describe('product regions (real accurate model, SQLite, usearch)', () => {
  let tmp: TempDir;
  let engine: Engine;
  const file = (dir: string, seed: number) => join(tmp.path, dir, `shot-${seed}.jpg`);

  beforeAll(async () => {
    tmp = tempDir('regions');
    for (const dir of ['plain', 'regions']) mkdirSync(join(tmp.path, dir), { recursive: true });
    for (const s of SHOTS) {
      const bytes = await productOnPlain(s.seed, s.box);
      // The same files in both collections: a copy of one's vector must not stand in for the other kind.
      writeFileSync(file('plain', s.seed), bytes);
      writeFileSync(file('regions', s.seed), bytes);
    }
    engine = await openTestEngine(join(tmp.path, 'data'), { modelId: 'accurate' });
    engine.library.addFolder('plain', join(tmp.path, 'plain'));
    engine.library.addFolder('regions', join(tmp.path, 'regions'));
    engine.library.setRegions('regions', true);
    await engine.indexer.run();
  }, 240_000);

  afterAll(async () => {
    await engine?.close();
    tmp?.remove();
  });

  const itemOf = (dir: string, seed: number) => engine.catalog.items.scanRows(engine.catalog.collections.require(dir).id).find((r) => r.path === file(dir, seed))!;

  it('stores every item main box, and the crop average only where the collection opts in', async () => {
    await expect(engine.api['library:listCollections']({}).then((cs) => cs.map((c) => [c.name, c.regions]))).resolves.toEqual([
      ['plain', false],
      ['regions', true],
    ]);
    for (const s of SHOTS) {
      const plain = itemOf('plain', s.seed);
      const averaged = itemOf('regions', s.seed);
      expect([plain.averaged, averaged.averaged]).toEqual([false, true]);
      const box = engine.catalog.regions.get(plain.id)!.box;
      expect(contains(box, centre(s.box))).toBe(true);
      expect(engine.catalog.regions.get(averaged.id)!.box).toEqual(box);
      const a = decodeF16(engine.catalog.items.vector(asItemId(plain.id))!.vector);
      const b = decodeF16(engine.catalog.items.vector(asItemId(averaged.id))!.vector);
      let dot = 0;
      for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
      // Not a copy: the averaged vector is another vector of the same photo.
      expect(dot).toBeLessThan(0.999);
      expect(dot).toBeGreaterThan(0.8);
    }
  });

  it('offers the product of a dropped photo as a box, and finds it with the average where it is on', async () => {
    const s = SHOTS[0]!;
    const bytes = await productOnPlain(s.seed, { ...s.box, x: s.box.x - 180, y: s.box.y + 100 }, { width: 520, height: 440, background: '#ffffff' });
    const image = { kind: 'bytes' as const, base64: bytes.toString('base64') };
    const out = await engine.api['search:byImage']({ image, k: 8, collections: ['regions'] });
    expect(out.objects?.length).toBeGreaterThan(0);
    const main = out.objects![0]!;
    expect(contains(main, centre({ ...s.box, x: s.box.x - 180, y: s.box.y + 100 }))).toBe(true);
    expect(main.width * main.height).toBeLessThan(0.9 * 520 * 440);
    expect(out.hits[0]!.path).toBe(file('regions', s.seed));
    const plain = await engine.api['search:byImage']({ image, k: 1, collections: ['plain'] });
    expect(plain.hits[0]!.path).toBe(file('plain', s.seed));
    // The one-click crop: the same search on the box alone.
    const cropped = await engine.api['search:byImage']({ image, crop: main, k: 2, collections: ['regions'] });
    expect(cropped.hits[0]!.path).toBe(file('regions', s.seed));
    expect(cropped.objects?.every((o) => contains(main, { x: o.x, y: o.y }))).toBe(true);
  });

  it('answers an item query with its stored box, without inference', async () => {
    const s = SHOTS[1]!;
    const item = itemOf('regions', s.seed);
    const out = await engine.api['search:byImage']({ image: { kind: 'item', id: item.id }, k: 1 });
    const { x, y, width, height } = engine.catalog.regions.get(item.id)!.box;
    expect(out.objects).toEqual([{ x, y, width, height }]);
  });

  it('keeps `lookalike index --regions` as the collection setting until --no-regions', async () => {
    const data = join(tmp.path, 'cli-data');
    const index = async (...flags: string[]) => {
      const run = await runCli(['--data', data, '--model', 'accurate', 'index', join(tmp.path, 'plain'), '--collection', 'cli', '--json', ...flags]);
      expect(run.code, run.stderr).toBe(0);
      return JSON.parse(run.lines.at(-1)!) as { indexed: number; unchanged: number };
    };
    expect(await index('--regions')).toMatchObject({ indexed: SHOTS.length });
    expect(await index()).toMatchObject({ indexed: 0, unchanged: SHOTS.length });
    expect(await index('--no-regions')).toMatchObject({ indexed: SHOTS.length, unchanged: 0 });
  }, 180_000);

  it('re-embeds a collection when index:start turns its regions off', async () => {
    const finished = new Promise<Progress>((resolve) =>
      engine.events.on('index:onProgress', (p) => {
        if (p.collection === 'regions' && (p.phase === 'done' || p.phase === 'failed' || p.phase === 'cancelled')) resolve(p);
      }),
    );
    await engine.api['index:start']({ collection: 'regions', regions: false });
    expect((await finished).phase).toBe('done');
    expect(engine.indexer.status().last).toMatchObject({ collection: 'regions', indexed: SHOTS.length, unchanged: 0 });
    expect(SHOTS.map((s) => itemOf('regions', s.seed).averaged)).toEqual(SHOTS.map(() => false));
    // Same content, same kind now: the other collection's vector is copied, not recomputed.
    const a = engine.catalog.items.vector(asItemId(itemOf('regions', SHOTS[0]!.seed).id))!.vector;
    expect(a.equals(engine.catalog.items.vector(asItemId(itemOf('plain', SHOTS[0]!.seed).id))!.vector)).toBe(true);
  }, 120_000);
});
