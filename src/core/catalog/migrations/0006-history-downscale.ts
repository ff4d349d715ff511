import type { Migration } from './index.js';

/**
 * Issue 17, round 2. `query_history`: the last queries (a dropped photo, a catalog item, filters alone), newest
 * first, bounded by QueryHistoryRepo; a dropped photo is kept here (as given when small, else a reduced copy), since
 * nothing else in the data folder holds it. `collection_settings.downscale`: the collection's photos over the pixel
 * limit are indexed from a reduced decode instead of refused.
 */
export const migration0006: Migration = {
  version: 6,
  name: 'history-downscale',
  up(db) {
    db.exec(`
      CREATE TABLE query_history (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        kind        TEXT NOT NULL CHECK (kind IN ('image', 'item', 'text')),
        label       TEXT NOT NULL,
        item_id     INTEGER REFERENCES items(id) ON DELETE CASCADE,
        image       BLOB,
        image_hash  BLOB,
        source_hash BLOB,
        width       INTEGER,
        height      INTEGER,
        thumb       BLOB,
        crop        TEXT,
        filter      TEXT,
        used_at     INTEGER NOT NULL,
        CHECK ((kind = 'image') = (image IS NOT NULL)),
        CHECK ((kind = 'item') = (item_id IS NOT NULL))
      ) STRICT;
      CREATE INDEX query_history_used ON query_history (used_at);

      ALTER TABLE collection_settings ADD COLUMN downscale INTEGER NOT NULL DEFAULT 0 CHECK (downscale IN (0, 1));
    `);
  },
};
