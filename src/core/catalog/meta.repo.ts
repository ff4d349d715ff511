/** Catalog-wide facts kept as key/value rows (which model produced the vectors, their dimension). */
import type { Db } from './database.js';

export type MetaKey =
  /** The registry id the vectors were made with (what `--model` names). */
  | 'model_id'
  /** The embedder's own identity (weights + pipeline); a different value under the same model id is a mismatch. */
  | 'embedder_id'
  /** Raw embedding dimension. */
  | 'dimensions'
  /**
   * Changes whenever the folder's learned vector transform (vector-transform.bin) is written: a commit other
   * processes notice (Catalog.dataVersion), so that none keeps searching under the transform it read before.
   */
  | 'transform_stamp';

export class MetaRepo {
  constructor(private readonly db: Db) {}

  get(key: MetaKey): string | undefined {
    return this.db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(key) as string | undefined;
  }

  set(key: MetaKey, value: string): void {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  delete(key: MetaKey): void {
    this.db.prepare('DELETE FROM meta WHERE key = ?').run(key);
  }
}
