import type { Migration } from './index.js';

/**
 * The first schema. Items are keyed by an AUTOINCREMENT id that is never reused: it is also the item's key in
 * the vector index, so "the index holds exactly the catalog's embedded ids" proves the two agree. A changed
 * file therefore gets a new row (a new image), while a moved file keeps its row, id and vector.
 */
export const migration0001: Migration = {
  version: 1,
  name: 'init',
  up(db) {
    db.exec(`
      CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;

      CREATE TABLE collections (
        id         INTEGER PRIMARY KEY,
        name       TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE roots (
        id            INTEGER PRIMARY KEY,
        collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
        path          TEXT NOT NULL,
        reference     INTEGER NOT NULL DEFAULT 0 CHECK (reference IN (0, 1)),
        added_at      INTEGER NOT NULL,
        UNIQUE (collection_id, path)
      ) STRICT;

      CREATE TABLE items (
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
        CHECK ((model_id IS NULL) <> (error_code IS NULL))
      ) STRICT;
      CREATE INDEX items_hash ON items (hash);
      CREATE INDEX items_failed ON items (collection_id) WHERE error_code IS NOT NULL;

      CREATE TABLE embeddings (
        item_id  INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
        model_id TEXT NOT NULL,
        dim      INTEGER NOT NULL,
        vector   BLOB NOT NULL CHECK (length(vector) = dim * 2)
      ) STRICT;
    `);
  },
};
