/**
 * Deduplication end to end on the real `fast` model, real SQLite and usearch: generated photos and copies, groups
 * and keepers, reference folders, trash + undo across an engine restart, move + undo, not-duplicate marks that
 * survive a rescan. The OS trash is a temp folder: HOME and XDG_DATA_HOME point into this test's own folder
 * before anything touches the trash, so the real user trash is never used.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/core/app/engine.js';
import type { DupeGroup } from '../../src/core/dedupe/dedupe.service.js';
import { alterImage } from '../../src/core/eval/alterations.js';
import { scene } from '../support/synthetic.js';
import { openTestEngine, tempDir, type TempDir } from './helpers.js';

const tmp: TempDir = tempDir('dedupe');
process.env.HOME = join(tmp.path, 'home');
process.env.XDG_DATA_HOME = join(tmp.path, 'home', '.local', 'share');
mkdirSync(process.env.XDG_DATA_HOME, { recursive: true });
const trashFiles = join(process.env.XDG_DATA_HOME, 'Trash', 'files');

const data = join(tmp.path, 'data');
const photos = join(tmp.path, 'photos');
const refs = join(tmp.path, 'archive');
const P = (name: string) => join(photos, name);

/** Paths of a group, keeper first. */
const paths = (g: DupeGroup) => g.items.map((i) => i.path);
const groupWith = (groups: DupeGroup[], path: string) => groups.find((g) => g.items.some((i) => i.path === path));

async function writeCopy(source: Buffer, kind: Parameters<typeof alterImage>[1], path: string): Promise<void> {
  writeFileSync(path, (await alterImage(source, kind)).data);
}

describe('dupes (real model, catalog, index and trash)', () => {
  let engine: Engine;

  beforeAll(async () => {
    mkdirSync(photos, { recursive: true });
    mkdirSync(refs, { recursive: true });
    const src = await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map((s) => scene(900 + s, 480, 360).jpeg({ quality: 92 }).toBuffer()));
    src.forEach((b, i) => writeFileSync(P(`scene${i}.jpg`), b));
    // Family 0: resized, padded and watermarked copies. Family 1: mirrored and cropped. Family 2: an identical file.
    await writeCopy(src[0]!, 'resize', P('scene0-small.jpg'));
    await writeCopy(src[0]!, 'pad', P('scene0-pad.jpg'));
    await writeCopy(src[0]!, 'watermark', P('scene0-wm.jpg'));
    await writeCopy(src[1]!, 'flip', P('scene1-flip.jpg'));
    await writeCopy(src[1]!, 'crop', P('scene1-crop.jpg'));
    copyFileSync(P('scene2.jpg'), P('scene2-copy.jpg'));
    // Family 3: the larger original sits in a reference folder; the collection holds a smaller copy.
    writeFileSync(join(refs, 'scene3-master.jpg'), await scene(903, 960, 720).jpeg({ quality: 95 }).toBuffer());
    await writeCopy(src[3]!, 'jpeg', P('scene3-low.jpg'));

    engine = await openTestEngine(data);
    await engine.api['library:addFolder']({ collection: 'shop', path: photos });
    await engine.api['library:addFolder']({ collection: 'shop', path: refs, reference: true });
    await engine.indexer.run(['shop']);
  });

  afterAll(async () => {
    await engine?.close();
    tmp.remove();
  });

  it('groups each family of copies, and nothing else', async () => {
    const { groups, totals } = await engine.dedupe.list();
    const sets = groups.map((g) => paths(g).sort());
    expect(sets).toContainEqual([P('scene0-pad.jpg'), P('scene0-small.jpg'), P('scene0-wm.jpg'), P('scene0.jpg')].sort());
    expect(sets).toContainEqual([P('scene1-crop.jpg'), P('scene1-flip.jpg'), P('scene1.jpg')].sort());
    expect(sets).toContainEqual([P('scene2-copy.jpg'), P('scene2.jpg')].sort());
    expect(sets).toContainEqual([join(refs, 'scene3-master.jpg'), P('scene3-low.jpg'), P('scene3.jpg')].sort());
    expect(groups).toHaveLength(4);
    for (const g of groups) {
      expect(g.items[0]!.role).toBe('keeper');
      expect(g.items[0]!.id).toBe(g.keeperId);
      for (const i of g.items.slice(1)) expect(i.score).toBeGreaterThanOrEqual(0.5);
      expect(g.reclaimableBytes).toBe(g.items.filter((i) => i.role === 'remove').reduce((s, i) => s + i.size, 0));
    }
    // The identical file is flagged as such; neither the padded copy (more pixels, no more picture) nor the
    // watermarked one (a larger file) beats the original.
    expect(groupWith(groups, P('scene2.jpg'))!.items.every((i) => i.identical)).toBe(true);
    expect(groupWith(groups, P('scene0.jpg'))!.items[0]!.path).toBe(P('scene0.jpg'));
    expect(totals.groups).toBe(4);
  });

  it('keeps reference files: never suggested for removal, refused when asked', async () => {
    const { groups } = await engine.dedupe.list({ keeperRules: ['shortest-path'] });
    const g = groupWith(groups, P('scene3-low.jpg'))!;
    const master = g.items.find((i) => i.path === join(refs, 'scene3-master.jpg'))!;
    expect(master.role).toBe('keeper');
    expect(g.items.find((i) => i.path === P('scene3-low.jpg'))!.role).toBe('remove');
    await expect(engine.dedupe.apply({ kind: 'trash' }, [master.id])).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(existsSync(master.path)).toBe(true);
  });

  it('follows the keeper rules in order', async () => {
    const smallest = (await engine.dedupe.list({ keeperRules: ['shortest-path'] })).groups;
    expect(groupWith(smallest, P('scene0.jpg'))!.items[0]!.path).toBe(P('scene0.jpg'));
    const biggestFile = (await engine.dedupe.list({ keeperRules: ['largest-file'] })).groups;
    const g = groupWith(biggestFile, P('scene0.jpg'))!;
    expect(g.items[0]!.size).toBe(Math.max(...g.items.map((i) => i.size)));
  });

  it('trashes the suggested copies and restores them after a restart, rows and vectors included', async () => {
    const { groups } = await engine.dedupe.list();
    const g = groupWith(groups, P('scene0.jpg'))!;
    const removed = g.items.filter((i) => i.role === 'remove');
    expect(removed.length).toBe(3);
    const bytes = new Map(removed.map((i) => [i.path, readFileSync(i.path)]));
    const summary = await engine.dedupe.apply({ kind: 'trash' }, removed.map((i) => i.id));
    expect(summary).toMatchObject({ done: 3, skipped: [] });
    for (const i of removed) {
      expect(existsSync(i.path)).toBe(false);
      expect(engine.catalog.items.get(i.id)).toBeUndefined();
    }
    expect(readdirSync(trashFiles)).toHaveLength(3);
    const after = await engine.dedupe.list();
    expect(groupWith(after.groups, P('scene0.jpg'))).toBeUndefined();

    // A new engine on the same folder: the journal is all it has.
    await engine.close();
    engine = await openTestEngine(data);
    const undo = await engine.dedupe.undo();
    expect(undo).toMatchObject({ actionId: summary.actionId, kind: 'trash', restored: 3, failed: [], complete: true });
    for (const [path, content] of bytes) expect(readFileSync(path).equals(content)).toBe(true);
    expect(readdirSync(trashFiles)).toHaveLength(0);
    const back = await engine.dedupe.list();
    expect(paths(groupWith(back.groups, P('scene0.jpg'))!).sort()).toEqual(paths(g).sort());
    // The search index knows the restored rows again.
    const hits = await engine.search.byImage({ kind: 'path', path: P('scene0-small.jpg') }, { k: 3 });
    expect(hits.hits.map((h) => h.path)).toContain(P('scene0-small.jpg'));
    // A rescan agrees with the catalog: nothing new, nothing gone.
    const [rescan] = await engine.indexer.run(['shop']);
    expect(rescan).toMatchObject({ indexed: 0, removed: 0, moved: 0 });
    await expect(engine.dedupe.undo(summary.actionId)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('does not overwrite a file that took the place of a trashed one', async () => {
    const { groups } = await engine.dedupe.list();
    const g = groupWith(groups, P('scene2.jpg'))!;
    const victim = g.items.find((i) => i.role === 'remove')!;
    const { actionId } = await engine.dedupe.apply({ kind: 'trash' }, [victim.id]);
    writeFileSync(victim.path, 'a new file');
    const undo = await engine.dedupe.undo();
    expect(undo).toMatchObject({ actionId, restored: 0, complete: false });
    expect(undo.failed[0]).toMatchObject({ path: victim.path, code: 'FILE_CHANGED' });
    expect(readFileSync(victim.path, 'utf8')).toBe('a new file');
    // Once the path is free again, undoing the same action completes it.
    unlinkSync(victim.path);
    expect(await engine.dedupe.undo(actionId)).toMatchObject({ restored: 1, complete: true });
    expect(readFileSync(victim.path).equals(readFileSync(P('scene2.jpg')))).toBe(true);
    await engine.indexer.run(['shop']);
  });

  it('moves copies to a folder and back; a move inside the collection keeps its row', async () => {
    const { groups } = await engine.dedupe.list();
    const g = groupWith(groups, P('scene1.jpg'))!;
    const removed = g.items.filter((i) => i.role === 'remove');
    const outside = join(tmp.path, 'set-aside');
    const moved = await engine.dedupe.apply({ kind: 'move', destination: outside }, removed.map((i) => i.id));
    expect(moved.done).toBe(removed.length);
    expect(readdirSync(outside).sort()).toEqual(removed.map((i) => i.path.split('/').at(-1)).sort());
    for (const i of removed) expect(engine.catalog.items.get(i.id)).toBeUndefined();
    expect((await engine.dedupe.undo()).restored).toBe(removed.length);
    for (const i of removed) expect(existsSync(i.path)).toBe(true);

    // Inside a root of the same collection the row follows the file, and a rescan agrees.
    const inside = join(photos, 'dupes');
    const again = (await engine.dedupe.list()).groups;
    const one = groupWith(again, P('scene1.jpg'))!.items.find((i) => i.role === 'remove')!;
    await engine.dedupe.apply({ kind: 'move', destination: inside }, [one.id]);
    const row = engine.catalog.items.get(one.id);
    expect(row?.path).toBe(join(inside, one.path.split('/').at(-1)!));
    const [rescan] = await engine.indexer.run(['shop']);
    expect(rescan).toMatchObject({ indexed: 0, moved: 0, removed: 0 });
    expect((await engine.dedupe.undo()).restored).toBe(1);
    expect(engine.catalog.items.get(one.id)?.path).toBe(one.path);
  });

  it('remembers "not duplicates" across rescans until undone', async () => {
    const { groups } = await engine.dedupe.list();
    const g = groupWith(groups, P('scene1.jpg'))!;
    const marked = engine.dedupe.markNotDuplicate(g.items.map((i) => i.id));
    expect(marked.pairs).toBe(3);
    expect(groupWith((await engine.dedupe.list()).groups, P('scene1.jpg'))).toBeUndefined();
    await engine.close();
    engine = await openTestEngine(data);
    await engine.indexer.run(['shop']);
    expect(groupWith((await engine.dedupe.list()).groups, P('scene1.jpg'))).toBeUndefined();
    expect(await engine.dedupe.undo()).toMatchObject({ kind: 'not-duplicate', restored: 3, complete: true });
    expect(groupWith((await engine.dedupe.list()).groups, P('scene1.jpg'))).toBeDefined();
  });

  it('journals every action', () => {
    const actions = engine.dedupe.actions();
    expect(actions.map((a) => a.kind)).toEqual(['not-duplicate', 'move', 'move', 'trash', 'trash']);
    expect(actions.every((a) => a.undoneAt !== null)).toBe(true);
  });
});
