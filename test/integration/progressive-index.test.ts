/**
 * Progressive indexing end to end on the real `fast` model, real SQLite and usearch (the job's threshold lowered to
 * one file): a first pass catalogues every file (hash, facts, signature) and duplicates can be listed from there;
 * a run stopped between its passes leaves pending items that `dupes` groups, that can be trashed and put back
 * pending, and that the next run embeds in place (same ids), after which search finds them.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/core/app/engine.js';
import { runDoctor } from '../../src/core/doctor/doctor.js';
import { alterImage } from '../../src/core/eval/alterations.js';
import type { Progress } from '../../src/shared/types.js';
import { scene } from '../support/synthetic.js';
import { openTestEngine, tempDir, type TempDir } from './helpers.js';

const tmp: TempDir = tempDir('progressive');
process.env.HOME = join(tmp.path, 'home');
process.env.XDG_DATA_HOME = join(tmp.path, 'home', '.local', 'share');
mkdirSync(process.env.XDG_DATA_HOME, { recursive: true });

const data = join(tmp.path, 'data');
const photos = join(tmp.path, 'photos');
const P = (name: string) => join(photos, name);

describe('progressive indexing (real model, catalog and index)', () => {
  let engine: Engine;
  const phases: Progress['phase'][] = [];

  beforeAll(async () => {
    mkdirSync(photos, { recursive: true });
    const src = await Promise.all([0, 1, 2, 3, 4, 5].map((s) => scene(700 + s, 480, 360).jpeg({ quality: 92 }).toBuffer()));
    src.forEach((b, i) => writeFileSync(P(`scene${i}.jpg`), b));
    writeFileSync(P('scene0-small.jpg'), (await alterImage(src[0]!, 'resize')).data);
    writeFileSync(P('scene1-wm.jpg'), (await alterImage(src[1]!, 'watermark')).data);
    copyFileSync(P('scene2.jpg'), P('scene2-copy.jpg'));
    engine = await openTestEngine(data, { index: { progressiveMinFiles: 1, batchSize: 4 } });
    await engine.api['library:addFolder']({ collection: 'shop', path: photos });
  });

  afterAll(async () => {
    await engine?.close();
    tmp.remove();
  });

  let groupIds: number[][];

  it('stopped as its second pass begins, leaves every file catalogued and pending, and dupes already groups them', async () => {
    const controller = new AbortController();
    const [summary] = await engine.indexer.run(['shop'], {
      signal: controller.signal,
      onProgress: (p) => {
        phases.push(p.phase);
        if (p.phase === 'embedding' && phases.includes('fingerprinting')) controller.abort();
      },
    });
    // A sample embedded first (one file of nine: an eighth at most), the rest catalogued, then the model's pass.
    const passes = phases.filter((p, i) => (p === 'embedding' || p === 'fingerprinting') && phases[i - 1] !== p);
    expect(passes).toEqual(['embedding', 'fingerprinting', 'embedding']);
    expect(summary).toMatchObject({ cancelled: true, fingerprinted: 8, indexed: 1, pending: 8 });
    expect(summary!.fingerprintSeconds).toBeGreaterThan(0);
    const [shop] = await engine.api['library:listCollections']({});
    expect(shop).toMatchObject({ itemCount: 1, pendingCount: 8 });
    expect(await engine.api['library:stats']({})).toMatchObject({ itemCount: 1, vectorCount: 1, pendingCount: 8 });
    const doctor = await runDoctor(engine);
    expect(doctor.healthy).toBe(true);
    expect(doctor.checks.find((c) => c.id === 'pending')).toMatchObject({ status: 'ok', details: [expect.stringContaining('8 files are catalogued')] });
    // The sample answers a search already.
    const sampled = await engine.api['search:byImage']({ image: { kind: 'path', path: P('scene0.jpg') }, k: 1 });
    expect(sampled.hits).toHaveLength(1);

    const { groups } = await engine.dedupe.list();
    const sets = groups.map((g) => g.items.map((i) => i.path).sort());
    expect(sets).toContainEqual([P('scene0-small.jpg'), P('scene0.jpg')].sort());
    expect(sets).toContainEqual([P('scene1-wm.jpg'), P('scene1.jpg')].sort());
    expect(sets).toContainEqual([P('scene2-copy.jpg'), P('scene2.jpg')].sort());
    expect(groups).toHaveLength(3);
    groupIds = groups.map((g) => g.items.map((i) => i.id).sort((a, b) => a - b));
  });

  it('trashes a pending duplicate and puts it back pending on undo', async () => {
    const { groups } = await engine.dedupe.list();
    const copy = groups.flatMap((g) => g.items).find((i) => i.path === P('scene2-copy.jpg'))!;
    const applied = await engine.dedupe.apply({ kind: 'trash' }, [copy.id]);
    expect(applied.done).toBe(1);
    expect((await engine.api['library:listCollections']({}))[0]).toMatchObject({ pendingCount: 7 });
    await engine.dedupe.undo();
    expect(readFileSync(P('scene2-copy.jpg')).equals(readFileSync(P('scene2.jpg')))).toBe(true);
    expect((await engine.api['library:listCollections']({}))[0]).toMatchObject({ itemCount: 1, pendingCount: 8 });
    // Put back under a new id: the groups name it afresh.
    groupIds = (await engine.dedupe.list()).groups.map((g) => g.items.map((i) => i.id).sort((a, b) => a - b));
  });

  it('the next run embeds what is pending in place, and search finds it', async () => {
    phases.length = 0;
    const [summary] = await engine.indexer.run(['shop'], { onProgress: (p) => phases.push(p.phase) });
    // Nothing new or changed: no first pass; the pending items are embedded (one of the identical pair copied).
    expect(phases).not.toContain('fingerprinting');
    expect(summary).toMatchObject({ cancelled: false, indexed: 8, unchanged: 1, failed: 0, pending: 0 });
    expect(summary!.fingerprinted).toBeUndefined();
    expect((await engine.api['library:listCollections']({}))[0]).toMatchObject({ itemCount: 9 });
    expect((await engine.api['library:stats']({})).pendingCount).toBeUndefined();
    // The same items, now with vectors: the groups keep their ids.
    const after = (await engine.dedupe.list()).groups.map((g) => g.items.map((i) => i.id).sort((a, b) => a - b));
    expect(after.sort()).toEqual(groupIds.sort());
    const found = await engine.api['search:byImage']({ image: { kind: 'path', path: P('scene4.jpg') }, k: 1 });
    expect(found.hits[0]!.path).toBe(P('scene4.jpg'));
    const again = await engine.indexer.run(['shop']);
    expect(again[0]).toMatchObject({ indexed: 0, unchanged: 9, pending: 0 });
  });
});
