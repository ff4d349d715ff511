/**
 * Photos over the pixel limit (issue 17): refused by default, with a reason that says so and that the failures list
 * marks as downscalable; indexed from a reduced decode once the collection allows it; a query photo over it searched
 * downscaled, saying so; a decompression bomb still refused. And byte-identical copies grouped on search hits.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/core/app/engine.js';
import { runCli } from '../support/cli-run.js';
import { pngBomb } from '../support/hostile-set.js';
import { scene, writeScene } from '../support/synthetic.js';
import { openTestEngine, tempDir, TEST_MODEL, type TempDir } from './helpers.js';

const MAX_PIXELS = 1_000_000;

describe('oversized photos and copies (real model, SQLite and usearch)', () => {
  let tmp: TempDir;
  let engine: Engine;
  const photos = () => join(tmp.path, 'photos');

  beforeAll(async () => {
    tmp = tempDir('oversized');
    for (let seed = 1; seed <= 4; seed++) await writeScene(join(photos(), `scene-${seed}.jpg`), seed, { width: 240, height: 360 });
    mkdirSync(join(photos(), 'copies'), { recursive: true });
    for (const c of ['a.jpg', 'b.jpg']) copyFileSync(join(photos(), 'scene-1.jpg'), join(photos(), 'copies', c));
    await writeScene(join(photos(), 'big.jpg'), 20, { width: 1600, height: 1000 });
    await writeScene(join(photos(), 'big.png'), 21, { width: 1000, height: 1600 });
    writeFileSync(join(photos(), 'bomb.png'), pngBomb(30_000, 30_000));
    engine = await openTestEngine(join(tmp.path, 'data'), { maxPixels: MAX_PIXELS });
    engine.library.addFolder('c', photos());
    await engine.indexer.run();
  });

  afterAll(async () => {
    await engine?.close();
    tmp?.remove();
  });

  it('refuses photos over the limit, marking those a downscaled decode would take', async () => {
    const failed = await engine.api['library:errors']({ collection: 'c' });
    expect(failed.map((f) => [f.path.split('/').pop(), f.code, f.downscalable]).sort()).toEqual([
      ['big.jpg', 'IMAGE_TOO_LARGE', true],
      ['big.png', 'IMAGE_TOO_LARGE', true],
      ['bomb.png', 'IMAGE_TOO_LARGE', false],
    ]);
  });

  it('indexes them downscaled once the collection allows it, and keeps the bomb out', async () => {
    await engine.api['index:start']({ collection: 'c', downscale: true });
    for (let i = 0; i < 600 && (await engine.api['index:status']({})).running; i++) await new Promise((r) => setTimeout(r, 100));
    expect((await engine.api['library:listCollections']({}))[0]).toMatchObject({ downscale: true, itemCount: 8, failedCount: 1 });
    const [bomb] = await engine.api['library:errors']({ collection: 'c' });
    expect(bomb).toMatchObject({ code: 'IMAGE_TOO_LARGE', downscalable: false });
    const { hits } = await engine.api['search:byImage']({ image: { kind: 'bytes', base64: (await scene(21, 250, 400).jpeg().toBuffer()).toString('base64') }, k: 3 });
    expect(hits[0]).toMatchObject({ width: 1000, height: 1600 });
    expect(hits[0]!.path.endsWith('big.png')).toBe(true);
  });

  it('searches a query photo over the limit downscaled and says so', async () => {
    const base64 = (await scene(20, 1500, 1000).jpeg().toBuffer()).toString('base64');
    const out = await engine.api['search:byImage']({ image: { kind: 'bytes', base64 }, k: 3 });
    expect(out.downscaled).toEqual({ width: 1500, height: 1000, maxPixels: MAX_PIXELS });
    expect(out.hits[0]!.path.endsWith('big.jpg')).toBe(true);
    const small = await engine.api['search:byImage']({ image: { kind: 'bytes', base64: (await scene(20, 300, 200).jpeg().toBuffer()).toString('base64') }, k: 3 });
    expect(small.downscaled).toBeUndefined();
  });

  it('lists byte-identical copies with one hit; find-similar never shows the item itself for them', async () => {
    const base64 = (await scene(1, 240, 360).jpeg().toBuffer()).toString('base64');
    const { hits } = await engine.api['search:byImage']({ image: { kind: 'bytes', base64 }, k: 5 });
    const names = (p: string) => p.split('/').pop();
    expect(hits.filter((h) => ['scene-1.jpg', 'a.jpg', 'b.jpg'].includes(names(h.path)!))).toHaveLength(1);
    const group = hits[0]!;
    expect(group.copies).toHaveLength(2);
    // The oldest stands for them, the others follow by age: the same answer each time.
    expect([group.id, ...group.copies!.map((c) => c.id)]).toEqual([group.id, ...group.copies!.map((c) => c.id)].sort((a, b) => a - b));
    const similar = await engine.api['search:byImage']({ image: { kind: 'item', id: group.id }, k: 5 });
    expect(similar.hits[0]!.id).not.toBe(group.id);
    expect(similar.hits[0]!.copies!.map((c) => c.id)).toContain(group.id);
    expect(similar.hits.filter((h) => h.id === group.id)).toEqual([]);
    // k counts distinct contents: five results although two of the first were copies.
    expect(hits).toHaveLength(5);
  });

  it('lists the copies under their one result in `lookalike search`', async () => {
    await engine.close();
    const args = ['--data', join(tmp.path, 'data'), '--model', TEST_MODEL, '--max-pixels', String(MAX_PIXELS), 'search', join(photos(), 'copies', 'a.jpg'), '-k', '2'];
    const json = await runCli([...args, '--json']);
    expect(json.code, json.stderr).toBe(0);
    const [first] = (JSON.parse(json.lines[0]!) as { results: { path: string; copies?: string[] }[] }).results;
    expect([first!.path, ...first!.copies!].map((p) => p.split('/').pop()).sort()).toEqual(['a.jpg', 'b.jpg', 'scene-1.jpg']);
    const text = await runCli(args);
    expect(text.lines.filter((l) => l.trimStart().startsWith('= '))).toHaveLength(2);
  });
});
