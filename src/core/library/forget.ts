/**
 * `forget`: removes every byte the app derived from a collection: its rows (collection, roots, items,
 * embeddings, and what deduplication and matching keep about its content), its vector index files and its
 * cached thumbnails. The user's own image files are never touched.
 *
 * Deleted rows are overwritten, not just unlinked (SQLite's secure_delete), and the catalog is then rewritten
 * (VACUUM) and its WAL truncated. secure_delete alone is not enough: it zeroes what it deletes, not the old row
 * versions that earlier writes left behind (a re-indexed photo's old row in a page's unused space or on the free
 * list, a cell copied during a page split), and pages another collection reuses keep them after the forget.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import type { api } from '../../shared/api.js';
import { AppError } from '../../shared/errors.js';
import type { CollectionId } from '../../shared/types.js';
import type { Catalog } from '../catalog/catalog.js';
import { classifySqliteError, type Db } from '../catalog/database.js';
import { acquireDataDirLock } from '../base/data-dir-lock.js';
import type { Logger } from '../base/logger.js';
import type { ModelState } from '../models/model-state.js';
import { listThumbnails } from '../thumbs/thumbnails.js';

export type ForgetResult = z.output<(typeof api)['library:forget']['output']>;

export interface ForgetDeps {
  catalog: Catalog;
  model: ModelState;
  dataDir: string;
  logger: Logger;
  /** Whether this engine is indexing right now (then nothing is forgotten: INDEX_BUSY). */
  indexRunning: () => boolean;
}

/**
 * Forgets a collection.
 * @throws AppError COLLECTION_NOT_FOUND, INDEX_BUSY (this engine indexes), DATA_DIR_LOCKED (another process does)
 */
export function forgetCollection(deps: ForgetDeps, name: string): ForgetResult {
  const { catalog, dataDir } = deps;
  const collection = catalog.collections.require(name);
  if (deps.indexRunning()) throw new AppError('INDEX_BUSY', 'An index job is running; cancel it or wait, then forget the collection.');
  const release = acquireDataDirLock(dataDir, `forget ${name}`);
  try {
    const cid = collection.id;
    const ids = new Set(catalog.db.prepare('SELECT id FROM items WHERE collection_id = ?').pluck().all(cid) as number[]);
    const vectors = catalog.db
      .prepare('SELECT COUNT(*) FROM embeddings e JOIN items i ON i.id = e.item_id WHERE i.collection_id = ?')
      .pluck()
      .get(cid) as number;

    const secure = catalog.db.pragma('secure_delete', { simple: true }) as number;
    catalog.db.pragma('secure_delete = ON');
    try {
      catalog.transaction(() => {
        forgetDerivedRows(catalog.db, cid);
        // Cascades to roots, items and embeddings (and every table keyed by them).
        catalog.db.prepare('DELETE FROM collections WHERE id = ?').run(cid);
      });
      // Full-text indexes keep deleted terms in old segments until they are merged: merge them now.
      for (const name of catalog.db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%USING fts5%'")
        .pluck()
        .all() as string[]) {
        const quoted = `"${name.replaceAll('"', '""')}"`;
        catalog.db.prepare(`INSERT INTO ${quoted} (${quoted}) VALUES ('optimize')`).run();
      }
    } finally {
      catalog.db.pragma(`secure_delete = ${secure}`);
    }
    scrubCatalog(catalog, deps.logger);

    // Files after rows: a crash in between leaves only orphans, which `doctor --repair` removes.
    deps.model.vectors()?.drop(cid);
    for (const file of readdirSafe(dataDir)) {
      if (new RegExp(`^vectors-c${cid}-[0-9a-f]+\\.usearch(\\.tmp-\\d+)?$`).test(file)) rmSync(join(dataDir, file), { force: true });
    }
    let thumbnails = 0;
    for (const t of listThumbnails(dataDir)) {
      if (!ids.has(t.id)) continue;
      rmSync(t.path, { force: true });
      thumbnails += 1;
    }
    deps.logger.info('collection forgotten', { collection: name, items: ids.size, vectors, thumbnails });
    return { collection: name, items: ids.size, vectors, thumbnails };
  } finally {
    release();
  }
}

/**
 * What deduplication and matching (migration 0002) keep about this collection's content: undo journal entries
 * (they hold paths and embeddings), and signatures, "not duplicates" pairs and match decisions of content that no
 * other collection still has. Each table is optional so this works on any schema version.
 */
function forgetDerivedRows(db: Db, cid: CollectionId): void {
  const has = (table: string) =>
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").pluck().get(table) !== undefined;
  if (has('dedupe_action_items')) db.prepare('DELETE FROM dedupe_action_items WHERE collection_id = ?').run(cid);

  // Hashes that only this collection has: what is left of them after the collection goes is derived data.
  db.exec('CREATE TEMP TABLE IF NOT EXISTS forget_hashes (hash BLOB PRIMARY KEY) WITHOUT ROWID');
  db.exec('DELETE FROM forget_hashes');
  db.prepare(
    `INSERT OR IGNORE INTO forget_hashes SELECT hash FROM items WHERE collection_id = ? AND hash IS NOT NULL
     AND hash NOT IN (SELECT hash FROM items WHERE collection_id <> ? AND hash IS NOT NULL)`,
  ).run(cid, cid);
  if (has('image_signatures')) db.exec('DELETE FROM image_signatures WHERE hash IN (SELECT hash FROM forget_hashes)');
  if (has('not_duplicates')) {
    db.exec('DELETE FROM not_duplicates WHERE hash_a IN (SELECT hash FROM forget_hashes) OR hash_b IN (SELECT hash FROM forget_hashes)');
  }
  if (has('match_decisions')) {
    db.exec(
      'DELETE FROM match_decisions WHERE ours_hash IN (SELECT hash FROM forget_hashes) OR theirs_hash IN (SELECT hash FROM forget_hashes)',
    );
  }
  if (has('dedupe_actions') && has('dedupe_action_items')) {
    const pairs = has('not_duplicates') ? 'AND id NOT IN (SELECT action_id FROM not_duplicates)' : '';
    db.exec(`DELETE FROM dedupe_actions WHERE id NOT IN (SELECT action_id FROM dedupe_action_items) ${pairs}`);
  }
  db.exec('DELETE FROM forget_hashes');
}

/**
 * Rewrites the catalog into fresh pages (VACUUM copies only live rows, and the file is truncated to them) and
 * empties the WAL, whose old frames hold earlier page images. Costs a copy of the catalog (time and free space):
 * when that fails (a full disk) the rows are still gone, and the log says what may remain.
 */
function scrubCatalog(catalog: Catalog, logger: Logger): void {
  try {
    catalog.db.exec('VACUUM');
  } catch (err) {
    const e = classifySqliteError(err, catalog.file);
    logger.warn('could not rewrite the catalog after forget: old copies of its rows may remain in unused space until the next forget', {
      code: e.code,
      reason: e.message,
    });
  }
  // TRUNCATE also empties the file; a reader still inside a read (past the busy timeout) keeps its frames.
  const [result] = catalog.db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
  if (result?.busy) logger.warn('another process was reading the catalog: its WAL could not be emptied after forget', { file: catalog.file });
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
