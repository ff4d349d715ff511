/**
 * Perceptual signatures by content hash (table image_signatures, migration 0002), stored as the encoded bytes of
 * one signature version; images/phash.ts encodes and decodes them.
 */
import type { Db } from './database.js';

/** A content whose signature is missing, with one file that has it. */
export interface UnsignedContent {
  hash: Buffer;
  path: string;
}

export class SignaturesRepo {
  constructor(private readonly db: Db) {}

  /** A collection's indexed contents with no signature of `version`, one path each (the smallest). */
  unsigned(collectionId: number, version: number): UnsignedContent[] {
    return this.db
      .prepare(
        `SELECT i.hash, MIN(i.path) AS path FROM items i
         LEFT JOIN image_signatures s ON s.hash = i.hash AND s.version = ?
         WHERE i.collection_id = ? AND i.model_id IS NOT NULL AND i.hash IS NOT NULL AND s.hash IS NULL
         GROUP BY i.hash`,
      )
      .all(version, collectionId) as UnsignedContent[];
  }

  /** Stores encoded signatures of `version` (replacing any of another version), all or none. */
  put(entries: readonly { hash: Buffer; signature: Buffer }[], version: number): void {
    if (entries.length === 0) return;
    const insert = this.db.prepare(
      `INSERT INTO image_signatures (hash, version, signature) VALUES (?, ?, ?)
       ON CONFLICT (hash) DO UPDATE SET version = excluded.version, signature = excluded.signature`,
    );
    this.db.transaction(() => {
      for (const e of entries) insert.run(e.hash, version, e.signature);
    })();
  }

  /** The stored bytes of `version` for one content hash, if any. */
  lookup(version: number): (hash: Buffer) => Buffer | undefined {
    const stmt = this.db.prepare('SELECT signature FROM image_signatures WHERE hash = ? AND version = ?').pluck();
    return (hash) => stmt.get(hash, version) as Buffer | undefined;
  }
}
