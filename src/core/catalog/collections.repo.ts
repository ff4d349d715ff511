/** Collections (named sets of root folders) and their roots. */
import { AppError } from '../../shared/errors.js';
import { asCollectionId, type CollectionId } from '../../shared/types.js';
import type { Db } from './database.js';

export interface CollectionRow {
  id: CollectionId;
  name: string;
  createdAt: number;
}

export interface RootRow {
  path: string;
  reference: boolean;
}

export interface CollectionCounts {
  itemCount: number;
  failedCount: number;
  /** Catalogued and waiting for their embedding (progressive indexing). */
  pendingCount: number;
}

type RawCollection = { id: number; name: string; created_at: number };
const toRow = (r: RawCollection): CollectionRow => ({ id: asCollectionId(r.id), name: r.name, createdAt: r.created_at });

export class CollectionsRepo {
  constructor(private readonly db: Db) {}

  list(): CollectionRow[] {
    return (this.db.prepare('SELECT id, name, created_at FROM collections ORDER BY name').all() as RawCollection[]).map(toRow);
  }

  findByName(name: string): CollectionRow | undefined {
    const r = this.db.prepare('SELECT id, name, created_at FROM collections WHERE name = ?').get(name) as
      | RawCollection
      | undefined;
    return r && toRow(r);
  }

  findById(id: CollectionId): CollectionRow | undefined {
    const r = this.db.prepare('SELECT id, name, created_at FROM collections WHERE id = ?').get(id) as
      | RawCollection
      | undefined;
    return r && toRow(r);
  }

  /** @throws AppError COLLECTION_NOT_FOUND */
  require(name: string): CollectionRow {
    const row = this.findByName(name);
    if (!row) throw new AppError('COLLECTION_NOT_FOUND', `No collection named "${name}".`);
    return row;
  }

  /**
   * The named collections, each once and in the order first named; every collection (by name) when `names` is
   * empty or absent: what "in these collections" means for every operation that takes a list of names.
   * @throws AppError COLLECTION_NOT_FOUND
   */
  resolve(names: readonly string[] | undefined): CollectionRow[] {
    if (!names || names.length === 0) return this.list();
    return [...new Set(names)].map((n) => this.require(n));
  }

  /** Returns the collection, creating it when it does not exist yet. */
  ensure(name: string): CollectionRow {
    this.db.prepare('INSERT INTO collections (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING').run(name, Date.now());
    return this.require(name);
  }

  roots(id: CollectionId): RootRow[] {
    const rows = this.db.prepare('SELECT path, reference FROM roots WHERE collection_id = ? ORDER BY path').all(id) as {
      path: string;
      reference: number;
    }[];
    return rows.map((r) => ({ path: r.path, reference: r.reference === 1 }));
  }

  /** Adds a root (or updates its reference flag when already present). */
  addRoot(id: CollectionId, path: string, reference: boolean): void {
    this.db
      .prepare(
        `INSERT INTO roots (collection_id, path, reference, added_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (collection_id, path) DO UPDATE SET reference = excluded.reference`,
      )
      .run(id, path, reference ? 1 : 0, Date.now());
  }

  /** @returns whether the root existed. */
  removeRoot(id: CollectionId, path: string): boolean {
    return this.db.prepare('DELETE FROM roots WHERE collection_id = ? AND path = ?').run(id, path).changes > 0;
  }

  /**
   * Indexed, failed and pending item counts per collection id (collections without items are absent): from the embedded-id
   * summaries (migration 0004) and the failed items' partial index, without scanning `items`.
   */
  counts(): Map<CollectionId, CollectionCounts> {
    const rows = this.db
      .prepare(
        `SELECT * FROM (
           SELECT c.id,
                  (SELECT COALESCE(SUM(s.count), 0) FROM embedded_id_sets s WHERE s.collection_id = c.id) AS indexed,
                  (SELECT COUNT(*) FROM items i WHERE i.collection_id = c.id AND i.error_code IS NOT NULL) AS failed,
                  (SELECT COUNT(*) FROM items i WHERE i.collection_id = c.id AND i.model_id IS NULL AND i.error_code IS NULL) AS pending
           FROM collections c)
         WHERE indexed > 0 OR failed > 0 OR pending > 0`,
      )
      .all() as { id: number; indexed: number; failed: number; pending: number }[];
    return new Map(rows.map((r) => [asCollectionId(r.id), { itemCount: r.indexed, failedCount: r.failed, pendingCount: r.pending }]));
  }

  /** Whether the collection's photos over the pixel limit are indexed downscaled (collection_settings; off by default). */
  downscale(id: CollectionId): boolean {
    return (this.db.prepare('SELECT downscale FROM collection_settings WHERE collection_id = ?').pluck().get(id) as number | undefined) === 1;
  }

  setDownscale(id: CollectionId, on: boolean): void {
    this.db
      .prepare('INSERT INTO collection_settings (collection_id, downscale) VALUES (?, ?) ON CONFLICT (collection_id) DO UPDATE SET downscale = excluded.downscale')
      .run(id, on ? 1 : 0);
  }

  /** The collections whose OCR is on (collection_settings). */
  ocrEnabled(): Set<CollectionId> {
    const ids = this.db.prepare('SELECT collection_id FROM collection_settings WHERE ocr = 1').pluck().all() as number[];
    return new Set(ids.map(asCollectionId));
  }
}
