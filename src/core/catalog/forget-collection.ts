/**
 * The catalog's part of `forget` (library/forget.ts): a collection's rows and every row derived from its content go,
 * overwritten rather than just unlinked (SQLite's secure_delete), and the catalog is then rewritten (VACUUM) and its
 * WAL truncated. secure_delete alone is not enough: it zeroes what it deletes, not the old row versions that earlier
 * writes left behind (a re-indexed photo's old row in a page's unused space or on the free list, a cell copied
 * during a page split), and pages another collection reuses keep them after the forget.
 */
import type { CollectionId, ItemId } from '../../shared/types.js';
import type { Logger } from '../base/logger.js';
import { classifySqliteError, type Db } from './database.js';

/** What the catalog held of a forgotten collection. */
export interface ForgottenRows {
  itemIds: ItemId[];
  vectors: number;
}

/**
 * Deletes a collection with everything derived from it, in one transaction (`transaction` classifies SQLite's
 * errors), then scrubs the file. A scrub that fails (a full disk) is logged: the rows are gone all the same.
 */
export function forgetCollectionRows(
  db: Db,
  cid: CollectionId,
  options: { file: string; logger: Logger; transaction: <T>(fn: () => T) => T },
): ForgottenRows {
  const itemIds = db.prepare('SELECT id FROM items WHERE collection_id = ?').pluck().all(cid) as ItemId[];
  const vectors = db
    .prepare('SELECT COUNT(*) FROM embeddings e JOIN items i ON i.id = e.item_id WHERE i.collection_id = ?')
    .pluck()
    .get(cid) as number;

  const secure = db.pragma('secure_delete', { simple: true }) as number;
  db.pragma('secure_delete = ON');
  try {
    options.transaction(() => {
      forgetDerivedRows(db, cid);
      // Cascades to roots, items and embeddings (and every table keyed by them).
      db.prepare('DELETE FROM collections WHERE id = ?').run(cid);
    });
    // Full-text indexes keep deleted terms in old segments until they are merged: merge them now.
    for (const name of db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%USING fts5%'").pluck().all() as string[]) {
      const quoted = `"${name.replaceAll('"', '""')}"`;
      db.prepare(`INSERT INTO ${quoted} (${quoted}) VALUES ('optimize')`).run();
    }
  } finally {
    db.pragma(`secure_delete = ${secure}`);
  }
  scrub(db, options.file, options.logger);
  return { itemIds, vectors };
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
function scrub(db: Db, file: string, logger: Logger): void {
  try {
    db.exec('VACUUM');
  } catch (err) {
    const e = classifySqliteError(err, file);
    logger.warn('could not rewrite the catalog after forget: old copies of its rows may remain in unused space until the next forget', {
      code: e.code,
      reason: e.message,
    });
  }
  // TRUNCATE also empties the file; a reader still inside a read (past the busy timeout) keeps its frames.
  const [result] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
  if (result?.busy) logger.warn('another process was reading the catalog: its WAL could not be emptied after forget', { file });
}
