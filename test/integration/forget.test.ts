/**
 * `lookalike forget <collection>` / `library:forget`: every byte derived from a collection leaves the data folder
 * (rows, embeddings, what dedupe and match keep about its content, vector index files, thumbnails), down to the
 * catalog file's free pages; the other collections and the user's image files are untouched.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toServedEngine } from '../../src/core/app/host/served-engine.js';
import { writeScene } from '../support/synthetic.js';
import { api, channels } from '../../src/shared/api.js';
import { fnName } from '../../src/shared/bridge.js';
import { dispatch } from '../../src/shared/dispatch.js';
import { runCli } from '../support/cli-run.js';
import { openTestEngine, TEST_MODEL, tempDir, type TempDir } from './helpers.js';
import { rawDatabase } from '../../src/core/catalog/raw-database.js';

let tmp: TempDir;
const MARKER = 'ForgetMe7c1d';

beforeAll(() => {
  tmp = tempDir('forget');
});
afterAll(() => tmp?.remove());

/** Every file of the data folder, catalog and WAL included, as one buffer to search for leftovers. */
function dataBytes(dir: string): Buffer {
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => join(dir, f));
  return Buffer.concat(files.filter((f) => statSync(f).isFile()).map((f) => readFileSync(f)));
}

describe('forget a collection', () => {
  it('removes every derived byte of that collection and nothing of the others', async () => {
    const ours = Array.from({ length: 6 }, (_, i) => join(tmp.path, 'ours', `o${i}.jpg`));
    // The marker in file names too: they are also indexed for full-text search.
    const theirs = Array.from({ length: 6 }, (_, i) => join(tmp.path, `${MARKER}-theirs`, `${MARKER}-t${i}.jpg`));
    await Promise.all([...ours, ...theirs].map((p, i) => writeScene(p, 1100 + i)));
    const data = join(tmp.path, 'data');
    let theirVector: Buffer = Buffer.alloc(0);
    const engine = await openTestEngine(data);
    try {
      engine.library.addFolder('ours', join(tmp.path, 'ours'));
      engine.library.addFolder('theirs', join(tmp.path, `${MARKER}-theirs`));
      await engine.indexer.run();
      const ch = (name: string) => channels.find((c) => fnName(c) === name)!;
      const call = (name: string, input: unknown) => dispatch(api, engine.api, ch(name), input);
      const idsOf = (collection: string) =>
        rawDatabase(engine.catalog)
          .prepare('SELECT i.id FROM items i JOIN collections c ON c.id = i.collection_id WHERE c.name = ?')
          .pluck()
          .all(collection) as number[];
      const theirIds = idsOf('theirs');
      const ourIds = idsOf('ours');
      const theirsId = engine.catalog.collections.require('theirs').id;
      theirVector = engine.catalog.items.vector(theirIds[0]! as never)!.vector;
      const theirHashes = rawDatabase(engine.catalog).prepare('SELECT hash FROM items WHERE collection_id = ?').pluck().all(theirsId) as Buffer[];

      // Derived data of both collections: thumbnails, dedupe signatures, a match decision between them.
      const served = toServedEngine(engine);
      await Promise.all([...theirIds.slice(0, 3), ...ourIds.slice(0, 2)].map((id) => served.thumbnail(id, 256)));
      if (channels.some((c) => fnName(c) === 'dupesList')) expect((await call('dupesList', {})).ok).toBe(true);
      if (channels.some((c) => fnName(c) === 'matchSetDecision')) {
        expect((await call('matchSetDecision', { ours: ourIds[0], theirs: theirIds[0], decision: 'accepted' })).ok).toBe(true);
      }
      const theirIndex = engine.model.vectors()!.fileOf(theirsId);
      expect(existsSync(theirIndex)).toBe(true);

      // Refused while this engine indexes, and while another live process holds the folder.
      const job = await engine.indexer.start(['ours']);
      expect(await call('libraryForget', { collection: 'theirs' })).toMatchObject({ ok: false, error: { code: 'INDEX_BUSY' } });
      await job.done;
      writeFileSync(join(data, 'index.lock'), JSON.stringify({ pid: process.ppid, host: hostname(), purpose: 'index', since: 'now' }));
      expect(await call('libraryForget', { collection: 'theirs' })).toMatchObject({
        ok: false,
        error: { code: 'DATA_DIR_LOCKED', message: expect.stringContaining(`PID ${process.ppid}`) },
      });
      rmSync(join(data, 'index.lock'));

      const result = await call('libraryForget', { collection: 'theirs' });
      expect(result).toEqual({ ok: true, value: { collection: 'theirs', items: 6, vectors: 6, thumbnails: 3 } });

      // Rows.
      const db = rawDatabase(engine.catalog);
      expect(engine.catalog.collections.findByName('theirs')).toBeUndefined();
      expect(db.prepare('SELECT COUNT(*) FROM items WHERE collection_id = ?').pluck().get(theirsId)).toBe(0);
      expect(db.prepare('SELECT COUNT(*) FROM roots WHERE collection_id = ?').pluck().get(theirsId)).toBe(0);
      expect(db.prepare('SELECT COUNT(*) FROM embeddings').pluck().get()).toBe(ours.length);
      for (const table of ['image_signatures', 'match_decisions']) {
        const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE name = ?").pluck().get(table);
        if (!exists) continue;
        const column = table === 'image_signatures' ? 'hash' : 'theirs_hash';
        const left = theirHashes.filter((h) => db.prepare(`SELECT COUNT(*) FROM ${table} WHERE ${column} = ?`).pluck().get(h) !== 0);
        expect(left, table).toEqual([]);
      }
      // Files: its index and thumbnails are gone; ours stay; no image file was touched.
      expect(existsSync(theirIndex)).toBe(false);
      expect(existsSync(engine.model.vectors()!.fileOf(engine.catalog.collections.require('ours').id))).toBe(true);
      const thumbs = readdirSync(join(data, 'thumbs', '256'));
      expect(thumbs.filter((t) => theirIds.includes(Number(t.split('-')[0])))).toEqual([]);
      expect(thumbs).toHaveLength(2);
      for (const p of [...ours, ...theirs]) expect(existsSync(p)).toBe(true);
      // The rest still works.
      const { hits } = await engine.search.byImage({ kind: 'path', path: theirs[0]! }, { k: 3 });
      expect(hits.every((h) => h.collection === 'ours')).toBe(true);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      await engine.close();
    }

    // Not a trace in any byte of the data folder: neither a path nor an embedding of the forgotten collection.
    const bytes = dataBytes(data);
    expect(bytes.includes(Buffer.from(MARKER))).toBe(false);
    // As a full-text index stores it: one lower-cased token.
    expect(bytes.includes(Buffer.from(MARKER.toLowerCase()))).toBe(false);
    expect(bytes.includes(theirVector)).toBe(false);
  });

  it('leaves no path or name of the forgotten collection anywhere, not even old row versions from indexing', async () => {
    // Re-indexing changed photos deletes and re-inserts their rows; the freed space (in pages, on the free list) keeps
    // the old bytes, and the other collection, indexed next, reuses those pages: after forget they are still in use.
    const gone = Array.from({ length: 30 }, (_, i) => join(tmp.path, 'Vanish4e9b', `Vanish4e9b-photo-${String(i).padStart(2, '0')}.jpg`));
    const kept = Array.from({ length: 30 }, (_, i) => join(tmp.path, 'kept30', `kept-${i}.jpg`));
    const data = join(tmp.path, 'data-two');
    const cli = (args: string[]) => runCli(['--data', data, '--model', TEST_MODEL, ...args]);
    await Promise.all(gone.map((p, i) => writeScene(p, 2100 + i)));
    expect((await cli(['index', join(tmp.path, 'Vanish4e9b'), '-c', 'VanishColl'])).code).toBe(0);
    await Promise.all(gone.map((p, i) => writeScene(p, 2200 + i)));
    expect((await cli(['index', '-c', 'VanishColl'])).code).toBe(0);
    await Promise.all(kept.map((p, i) => writeScene(p, 2300 + i)));
    expect((await cli(['index', join(tmp.path, 'kept30'), '-c', 'kept'])).code).toBe(0);
    expect((await cli(['forget', 'VanishColl'])).code).toBe(0);

    const bytes = dataBytes(data);
    const left = [...gone, ...gone.map((p) => basename(p)), 'VanishColl'].filter((s) => bytes.includes(Buffer.from(s)));
    expect(left).toEqual([]);
    // The kept collection is whole.
    const stats = await cli(['stats', '--json']);
    expect(JSON.parse(stats.stdout)).toMatchObject({ itemCount: 30, vectorCount: 30 });
  });

  it('refuses an unknown collection from the command line in one line', async () => {
    const { code, stderr } = await runCli(['--data', join(tmp.path, 'data'), 'forget', 'nope']);
    expect(code).toBe(1);
    expect(stderr.trim()).toBe('lookalike: No collection named "nope". (COLLECTION_NOT_FOUND)');
  });
});
