import type { Migration } from './index.js';

/**
 * Deduplication and matching. Everything a user decided is keyed by content hash, not by item id, so it
 * survives rescans, moves and identical copies: a pair marked "not duplicates" stays so wherever the files go,
 * and a match accepted once stays accepted. The journal keeps enough of each touched row (its embedding
 * included) to put the row back on undo without re-embedding, also after a restart.
 */
export const migration0002: Migration = {
  version: 2,
  name: 'dedupe-match',
  up(db) {
    db.exec(`
      -- Perceptual signatures (see images/phash.ts), computed once per content.
      CREATE TABLE image_signatures (
        hash      BLOB PRIMARY KEY,
        version   INTEGER NOT NULL,
        signature BLOB NOT NULL
      ) STRICT;

      -- One user action on duplicates: files moved to the trash or a folder, or a group marked "not duplicates".
      CREATE TABLE dedupe_actions (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        kind        TEXT NOT NULL CHECK (kind IN ('trash', 'move', 'not-duplicate')),
        destination TEXT,
        created_at  INTEGER NOT NULL,
        finished_at INTEGER,
        undone_at   INTEGER,
        CHECK ((kind = 'move') = (destination IS NOT NULL))
      ) STRICT;

      -- The files of an action, journalled before anything is touched (status 'pending'), then updated one by one.
      CREATE TABLE dedupe_action_items (
        action_id     INTEGER NOT NULL REFERENCES dedupe_actions(id) ON DELETE CASCADE,
        seq           INTEGER NOT NULL,
        item_id       INTEGER NOT NULL,
        collection_id INTEGER NOT NULL,
        path          TEXT NOT NULL,
        destination   TEXT,
        hash          BLOB NOT NULL,
        size          INTEGER NOT NULL,
        mtime_ms      REAL NOT NULL,
        width         INTEGER,
        height        INTEGER,
        format        TEXT,
        model_id      TEXT,
        dim           INTEGER,
        vector        BLOB,
        status        TEXT NOT NULL CHECK (status IN ('pending', 'done', 'skipped', 'restored', 'failed')),
        message       TEXT,
        started_at    INTEGER,
        ended_at      INTEGER,
        PRIMARY KEY (action_id, seq)
      ) STRICT;

      -- Pairs of contents the user said are not duplicates (hash_a <= hash_b; equal for deliberate identical copies).
      CREATE TABLE not_duplicates (
        hash_a    BLOB NOT NULL,
        hash_b    BLOB NOT NULL,
        action_id INTEGER NOT NULL REFERENCES dedupe_actions(id) ON DELETE CASCADE,
        PRIMARY KEY (hash_a, hash_b, action_id),
        CHECK (hash_a <= hash_b)
      ) STRICT;

      -- Accepted or rejected matches between our content and a competitor's.
      CREATE TABLE match_decisions (
        ours_hash   BLOB NOT NULL,
        theirs_hash BLOB NOT NULL,
        decision    TEXT NOT NULL CHECK (decision IN ('accepted', 'rejected')),
        decided_at  INTEGER NOT NULL,
        PRIMARY KEY (ours_hash, theirs_hash)
      ) STRICT;
    `);
  },
};
