import type { Migration } from './index.js';

/**
 * Issue 18, progressive indexing. An item may now be *pending*: catalogued with its content hash, size, format and
 * perceptual signature (what exact and near-duplicate detection need, computed at decode speed) but not embedded yet;
 * the model's embedding follows in a second pass. Migration 0001's CHECK said a row is either embedded or failed;
 * it now says only "not both". SQLite cannot alter a CHECK, so `items` is rebuilt (SQLite's documented 12-step
 * procedure, foreign keys off for the copy: a DROP TABLE with them on would cascade into every table that references
 * items): its rows and ids copied as they are, the AUTOINCREMENT counter kept (an id is never reused: the dedupe
 * journal and the query history name items by id), and every index, trigger and view on it created again from the
 * schema's own text.
 */
export const migration0007: Migration = {
  version: 7,
  name: 'pending-items',
  foreignKeysOff: true,
  up(db) {
    type SchemaRow = { type: string; name: string; sql: string };
    const dependents = db
      .prepare(`SELECT type, name, sql FROM sqlite_schema WHERE tbl_name = 'items' AND type IN ('index', 'trigger') AND sql IS NOT NULL`)
      .all() as SchemaRow[];
    // A view is checked against the tables it reads when the schema changes: drop them all, create them again.
    const views = db.prepare(`SELECT type, name, sql FROM sqlite_schema WHERE type = 'view'`).all() as SchemaRow[];
    const seq = db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'items'`).pluck().get() as number | undefined;
    for (const v of views) db.exec(`DROP VIEW "${v.name}"`);
    db.exec(`
      CREATE TABLE items_rebuilt (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
        path          TEXT NOT NULL,
        size          INTEGER NOT NULL,
        mtime_ms      REAL NOT NULL,
        hash          BLOB,
        width         INTEGER,
        height        INTEGER,
        format        TEXT,
        model_id      TEXT,
        error_code    TEXT,
        error_reason  TEXT,
        indexed_at    INTEGER NOT NULL,
        UNIQUE (collection_id, path),
        CHECK (model_id IS NULL OR error_code IS NULL),
        CHECK (model_id IS NOT NULL OR error_code IS NOT NULL OR hash IS NOT NULL)
      ) STRICT;
      INSERT INTO items_rebuilt (id, collection_id, path, size, mtime_ms, hash, width, height, format, model_id, error_code, error_reason, indexed_at)
        SELECT id, collection_id, path, size, mtime_ms, hash, width, height, format, model_id, error_code, error_reason, indexed_at FROM items;
      DROP TABLE items;
    `);
    // Legacy renaming leaves the other tables' text alone: their REFERENCES items(id) already name the new table.
    db.pragma('legacy_alter_table = ON');
    try {
      db.exec('ALTER TABLE items_rebuilt RENAME TO items');
    } finally {
      db.pragma('legacy_alter_table = OFF');
    }
    db.prepare(`DELETE FROM sqlite_sequence WHERE name = 'items'`).run();
    if (seq !== undefined) db.prepare(`INSERT INTO sqlite_sequence (name, seq) VALUES ('items', ?)`).run(seq);
    for (const d of dependents.filter((x) => x.type === 'index')) db.exec(d.sql);
    for (const d of dependents.filter((x) => x.type === 'trigger')) db.exec(d.sql);
    for (const v of views) db.exec(v.sql);
    // What the embedding pass lists: a collection's pending items, without scanning the others.
    db.exec('CREATE INDEX items_pending ON items (collection_id) WHERE model_id IS NULL AND error_code IS NULL');
  },
};
