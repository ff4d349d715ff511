/** Items (one image file in one collection) and their stored embeddings (f16 BLOBs). */
import { AppError, isErrorCode, type ErrorCode } from '../../shared/errors.js';
import { asCollectionId, asItemId, type CollectionId, type ItemId } from '../../shared/types.js';
import type Database from 'better-sqlite3';
import type { Db } from './database.js';
import type { ProductRecord } from './products.repo.js';
import type { ItemRegion } from './regions.repo.js';

/** What the index job compares a scanned file against. */
export interface ScanRow {
  id: ItemId;
  path: string;
  size: number;
  mtimeMs: number;
  hash: Buffer | null;
  /** True when the item has an embedding; false when it is recorded as failed or is pending. */
  indexed: boolean;
  /** Catalogued (hash, signature) and waiting for its embedding (the second pass of a progressive run). */
  pending: boolean;
  /** Why it failed (not indexed), else null. */
  errorCode: ErrorCode | null;
  /** Whether its vector averages its product region's crop in (RegionsRepo). */
  averaged: boolean;
}

/** One catalog item as the API shows it. */
export interface ItemRecord {
  id: ItemId;
  collectionId: CollectionId;
  collection: string;
  path: string;
  size: number;
  mtimeMs: number;
  width: number | null;
  height: number | null;
  format: string | null;
  /** The item's imported product, where the caller looked it up (ProductsRepo.forItems). */
  product?: ProductRecord | null;
}

/** An item with its content hash and the embedding stored for it by one model. */
export interface EmbeddedItemRecord extends ItemRecord {
  hash: Buffer;
  /** f16 little-endian, `dim * 2` bytes. */
  vector: Buffer;
  dim: number;
  modelId: string;
}

export interface FailedRecord {
  id: ItemId;
  path: string;
  collection: string;
  code: ErrorCode;
  reason: string;
}

interface FileFacts {
  collectionId: CollectionId;
  path: string;
  size: number;
  mtimeMs: number;
  hash: Buffer | null;
}

export interface NewIndexedItem extends FileFacts {
  hash: Buffer;
  width: number;
  height: number;
  format: string;
  modelId: string;
  dim: number;
  /** f16 little-endian, `dim * 2` bytes. */
  vector: Buffer;
  /** Its main object box, written with it (RegionsRepo). */
  region?: ItemRegion;
}

/** A file catalogued before its embedding: what exact and near-duplicate detection need (progressive indexing). */
export interface NewPendingItem extends FileFacts {
  hash: Buffer;
  width: number;
  height: number;
  format: string;
}

/** A pending item as the embedding pass reads it. */
export interface PendingRow {
  id: ItemId;
  path: string;
  size: number;
  mtimeMs: number;
  hash: Buffer;
}

/** What the embedding pass stores for a pending item: the facts of the bytes it embedded, and the embedding. */
export type PendingEmbedding = Omit<NewIndexedItem, 'collectionId' | 'path'>;

/** An item with its content hash and, unless it is pending, the embedding stored for it by one model. */
export interface CataloguedItemRecord extends ItemRecord {
  hash: Buffer;
  vector: Buffer | null;
  dim: number | null;
  modelId: string | null;
}

export interface NewFailedItem extends FileFacts {
  code: ErrorCode;
  reason: string;
}

/** A stored embedding that can be copied to a new item with the same content. */
export interface StoredVector {
  itemId: ItemId;
  width: number | null;
  height: number | null;
  format: string | null;
  dim: number;
  vector: Buffer;
  /** The source item's main box, when it has one (it is the same content's). */
  region?: ItemRegion;
}

type RawItem = {
  id: number;
  collection_id: number;
  collection: string;
  path: string;
  size: number;
  mtime_ms: number;
  width: number | null;
  height: number | null;
  format: string | null;
};

const ITEM_COLUMNS = `i.id, i.collection_id, c.name AS collection, i.path, i.size, i.mtime_ms, i.width, i.height, i.format`;

const toItem = (r: RawItem): ItemRecord => ({
  id: asItemId(r.id),
  collectionId: asCollectionId(r.collection_id),
  collection: r.collection,
  path: r.path,
  size: r.size,
  mtimeMs: r.mtime_ms,
  width: r.width,
  height: r.height,
  format: r.format,
});

/** The smallest string greater than every path under `dir/` (the separator's next code point). */
function prefixRange(dir: string, sep: string): [string, string] {
  const base = dir.endsWith(sep) ? dir : dir + sep;
  return [base, base.slice(0, -1) + String.fromCharCode(sep.charCodeAt(0) + 1)];
}

export class ItemsRepo {
  private readonly stmts;
  private readonly insertIndexedTx: (item: NewIndexedItem, now: number) => ItemId;
  private readonly insertUnlessTakenTx: (item: NewIndexedItem, now: number) => ItemId | undefined;
  private readonly completePendingTx: (id: ItemId, e: PendingEmbedding, now: number) => boolean;
  /** Whether the collection already has an item at the path (the "unless taken" inserts). */
  private readonly isTaken: (item: { collectionId: CollectionId; path: string }) => boolean;
  /** Prepared on first use, as insertIndexed's region statement (it reads item_regions, migration 0005). */
  private vectorByHashStmt: Database.Statement<unknown[]> | undefined;

  constructor(private readonly db: Db) {
    this.stmts = {
      insertItem: db.prepare(
        `INSERT INTO items (collection_id, path, size, mtime_ms, hash, width, height, format, model_id, error_code, error_reason, indexed_at)
         VALUES (@collectionId, @path, @size, @mtimeMs, @hash, @width, @height, @format, @modelId, @code, @reason, @now)`,
      ),
      insertVector: db.prepare('INSERT INTO embeddings (item_id, model_id, dim, vector) VALUES (?, ?, ?, ?)'),
      updateStat: db.prepare('UPDATE items SET size = ?, mtime_ms = ? WHERE id = ?'),
      move: db.prepare('UPDATE items SET path = ?, size = ?, mtime_ms = ? WHERE id = ?'),
      delete: db.prepare('DELETE FROM items WHERE id = ?'),
      vector: db.prepare('SELECT model_id AS modelId, dim, vector FROM embeddings WHERE item_id = ?'),
      get: db.prepare(`SELECT ${ITEM_COLUMNS} FROM items i JOIN collections c ON c.id = i.collection_id WHERE i.id = ?`),
      hash: db.prepare('SELECT hash FROM items WHERE id = ?'),
    };
    const { insertItem, insertVector } = this.stmts;
    // Prepared on first use: a catalog opened before migration 0005 (tests of older schemas) has no item_regions.
    let insertRegion: Database.Statement<unknown[]> | undefined;
    const putRegion = (id: ItemId, region: ItemRegion | undefined) => {
      if (region) (insertRegion ??= db.prepare('INSERT INTO item_regions (item_id, x, y, width, height, area, averaged) VALUES (?, ?, ?, ?, ?, ?, ?)')).run(id, region.box.x, region.box.y, region.box.width, region.box.height, region.box.area, region.averaged ? 1 : 0);
    };
    this.insertIndexedTx = db.transaction((item: NewIndexedItem, now: number): ItemId => {
      const id = asItemId(Number(insertItem.run({ ...item, code: null, reason: null, now }).lastInsertRowid));
      insertVector.run(id, item.modelId, item.dim, item.vector);
      putRegion(id, item.region);
      return id;
    });
    let completeStmt: Database.Statement<unknown[]> | undefined;
    this.completePendingTx = db.transaction((id: ItemId, e: PendingEmbedding, now: number): boolean => {
      completeStmt ??= db.prepare(
        `UPDATE items SET size = @size, mtime_ms = @mtimeMs, hash = @hash, width = @width, height = @height, format = @format,
           model_id = @modelId, indexed_at = @now
         WHERE id = @id AND model_id IS NULL AND error_code IS NULL`,
      );
      if (completeStmt.run({ ...e, id, now }).changes === 0) return false;
      insertVector.run(id, e.modelId, e.dim, e.vector);
      putRegion(id, e.region);
      return true;
    });
    const taken = db.prepare('SELECT 1 FROM items WHERE collection_id = ? AND path = ?').pluck();
    this.isTaken = (item) => taken.get(item.collectionId, item.path) !== undefined;
    this.insertUnlessTakenTx = db.transaction((item: NewIndexedItem, now: number): ItemId | undefined =>
      this.isTaken(item) ? undefined : this.insertIndexedTx(item, now),
    );
  }

  /** Every item of a collection with what change detection needs. */
  scanRows(collectionId: CollectionId): ScanRow[] {
    const rows = this.db
      .prepare(
        `SELECT i.id, i.path, i.size, i.mtime_ms, i.hash, i.model_id, i.error_code, COALESCE(r.averaged, 0) AS averaged
         FROM items i LEFT JOIN item_regions r ON r.item_id = i.id WHERE i.collection_id = ?`,
      )
      .all(collectionId) as { id: number; path: string; size: number; mtime_ms: number; hash: Buffer | null; model_id: string | null; error_code: ErrorCode | null; averaged: number }[];
    return rows.map((r) => ({
      id: asItemId(r.id),
      path: r.path,
      size: r.size,
      mtimeMs: r.mtime_ms,
      hash: r.hash,
      indexed: r.model_id !== null,
      pending: r.model_id === null && r.error_code === null,
      errorCode: r.error_code,
      averaged: r.averaged === 1,
    }));
  }

  /** Catalogues a file before its embedding (a pending item, see NewPendingItem). */
  insertPending(item: NewPendingItem, now = Date.now()): ItemId {
    const info = this.stmts.insertItem.run({ ...item, modelId: null, code: null, reason: null, now });
    return asItemId(Number(info.lastInsertRowid));
  }

  /** insertPending() unless the collection already has an item at that path (see insertIndexedUnlessTaken). */
  insertPendingUnlessTaken(item: NewPendingItem, now = Date.now()): ItemId | undefined {
    return this.isTaken(item) ? undefined : this.insertPending(item, now);
  }

  /** A collection's pending items, by id (the partial index items_pending, migration 0007). */
  pending(collectionId: CollectionId): PendingRow[] {
    const rows = this.db
      .prepare('SELECT id, path, size, mtime_ms, hash FROM items WHERE collection_id = ? AND model_id IS NULL AND error_code IS NULL ORDER BY id')
      .all(collectionId) as { id: number; path: string; size: number; mtime_ms: number; hash: Buffer }[];
    return rows.map((r) => ({ id: asItemId(r.id), path: r.path, size: r.size, mtimeMs: r.mtime_ms, hash: r.hash }));
  }

  /** How many of a collection's items are pending. */
  pendingCount(collectionId: CollectionId): number {
    return this.db.prepare('SELECT COUNT(*) FROM items WHERE collection_id = ? AND model_id IS NULL AND error_code IS NULL').pluck().get(collectionId) as number;
  }

  /**
   * Gives a pending item its embedding, in place (it keeps its id: a duplicate group listed before the embedding
   * names the same items after it), with the facts of the bytes embedded.
   * @returns false when the item is no longer pending (removed, trashed or re-catalogued meanwhile): nothing written.
   */
  completePending(id: ItemId, embedding: PendingEmbedding, now = Date.now()): boolean {
    return this.completePendingTx(id, embedding, now);
  }

  /** Inserts an indexed item and its embedding, both or neither (a savepoint inside the batch transaction). */
  insertIndexed(item: NewIndexedItem, now = Date.now()): ItemId {
    return this.insertIndexedTx(item, now);
  }

  /**
   * insertIndexed() unless the collection already has an item at that path (a row put back from the dedupe journal
   * while the index job has catalogued the file again): the check and the insert are one savepoint.
   * @returns the new id, or undefined when the path was taken.
   */
  insertIndexedUnlessTaken(item: NewIndexedItem, now = Date.now()): ItemId | undefined {
    return this.insertUnlessTakenTx(item, now);
  }

  /** Records a file that could not be indexed, with its code and reason. */
  insertFailed(item: NewFailedItem, now = Date.now()): ItemId {
    const info = this.stmts.insertItem.run({ ...item, width: null, height: null, format: null, modelId: null, now });
    return asItemId(Number(info.lastInsertRowid));
  }

  updateStat(id: ItemId, size: number, mtimeMs: number): void {
    this.stmts.updateStat.run(size, mtimeMs, id);
  }

  /** Gives an item a new path (a moved or renamed file keeps its id and vector). */
  move(id: ItemId, path: string, size: number, mtimeMs: number): void {
    this.stmts.move.run(path, size, mtimeMs, id);
  }

  delete(id: ItemId): void {
    this.stmts.delete.run(id);
  }

  /**
   * Any embedding made by `modelId` for content with this hash (so identical files are embedded once), of the kind
   * asked for: with the product region's crop averaged in or not (a copy must not mix the two in one collection).
   */
  vectorByHash(hash: Buffer, modelId: string, averaged = false): StoredVector | undefined {
    type Raw = Omit<StoredVector, 'itemId' | 'region'> & { itemId: number; x: number | null; y: number; rw: number; rh: number; area: number; averaged: number };
    this.vectorByHashStmt ??= this.db.prepare(
      `SELECT i.id AS itemId, i.width, i.height, i.format, e.dim, e.vector,
              r.x, r.y, r.width AS rw, r.height AS rh, r.area, r.averaged
       FROM items i JOIN embeddings e ON e.item_id = i.id LEFT JOIN item_regions r ON r.item_id = i.id
       WHERE i.hash = ? AND e.model_id = ? AND COALESCE(r.averaged, 0) = ? LIMIT 1`,
    );
    const r = this.vectorByHashStmt.get(hash, modelId, averaged ? 1 : 0) as Raw | undefined;
    if (!r) return undefined;
    const { x, y, rw, rh, area, averaged: avg, ...rest } = r;
    const region = x === null ? {} : { region: { box: { x, y, width: rw, height: rh, area }, averaged: avg === 1 } };
    return { ...rest, itemId: asItemId(r.itemId), ...region };
  }

  vector(id: ItemId): { modelId: string; dim: number; vector: Buffer } | undefined {
    return this.stmts.vector.get(id) as { modelId: string; dim: number; vector: Buffer } | undefined;
  }

  get(id: ItemId): ItemRecord | undefined {
    const r = this.stmts.get.get(id) as RawItem | undefined;
    return r && toItem(r);
  }

  /** @throws AppError ITEM_NOT_FOUND */
  require(id: ItemId): ItemRecord {
    const item = this.get(id);
    if (!item) throw new AppError('ITEM_NOT_FOUND', `No item with id ${id}.`);
    return item;
  }

  /** The content hash of an item (null until it was read; undefined for an unknown id). */
  hash(id: ItemId): Buffer | null | undefined {
    const r = this.stmts.hash.get(id) as { hash: Buffer | null } | undefined;
    return r?.hash;
  }

  /**
   * Every item of the collections with a content hash and an embedding by `modelId`, by id, with that embedding:
   * what deduplication and matching compare.
   */
  embedded(collectionIds: readonly CollectionId[], modelId: string): EmbeddedItemRecord[] {
    if (collectionIds.length === 0) return [];
    const rows = this.db
      .prepare(
        `SELECT ${ITEM_COLUMNS}, i.hash, e.vector, e.dim, e.model_id
         FROM items i JOIN collections c ON c.id = i.collection_id JOIN embeddings e ON e.item_id = i.id
         WHERE e.model_id = ? AND i.hash IS NOT NULL AND i.collection_id IN (${collectionIds.map(() => '?').join(',')})
         ORDER BY i.id`,
      )
      .all(modelId, ...collectionIds) as (RawItem & { hash: Buffer; vector: Buffer; dim: number; model_id: string })[];
    return rows.map((r) => ({ ...toItem(r), hash: r.hash, vector: r.vector, dim: r.dim, modelId: r.model_id }));
  }

  /**
   * embedded(), pending items included (with null embeddings): what deduplication compares, which needs only the
   * content hash and the perceptual signature.
   */
  catalogued(collectionIds: readonly CollectionId[], modelId: string): CataloguedItemRecord[] {
    if (collectionIds.length === 0) return [];
    const rows = this.db
      .prepare(
        `SELECT ${ITEM_COLUMNS}, i.hash, e.vector, e.dim, e.model_id
         FROM items i JOIN collections c ON c.id = i.collection_id LEFT JOIN embeddings e ON e.item_id = i.id AND e.model_id = ?
         WHERE i.hash IS NOT NULL AND i.error_code IS NULL AND (e.item_id IS NOT NULL OR i.model_id IS NULL)
           AND i.collection_id IN (${collectionIds.map(() => '?').join(',')})
         ORDER BY i.id`,
      )
      .all(modelId, ...collectionIds) as (RawItem & { hash: Buffer; vector: Buffer | null; dim: number | null; model_id: string | null })[];
    return rows.map((r) => ({ ...toItem(r), hash: r.hash, vector: r.vector, dim: r.dim, modelId: r.model_id }));
  }

  /** Every item's id with what its thumbnail's name is made of (thumbs/thumbnails.ts thumbKey). */
  *contentKeys(): IterableIterator<{ id: ItemId; hash: Buffer | null; size: number; mtimeMs: number }> {
    const stmt = this.db.prepare('SELECT id, hash, size, mtime_ms FROM items');
    for (const r of stmt.iterate() as IterableIterator<{ id: number; hash: Buffer | null; size: number; mtime_ms: number }>) {
      yield { id: asItemId(r.id), hash: r.hash, size: r.size, mtimeMs: r.mtime_ms };
    }
  }

  /** Items recorded as indexed that have no embedding (a broken invariant `doctor` reports). */
  indexedWithoutVector(): { id: ItemId; path: string }[] {
    return (
      this.db
        .prepare('SELECT id, path FROM items i WHERE model_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.item_id = i.id)')
        .all() as { id: number; path: string }[]
    ).map((r) => ({ id: asItemId(r.id), path: r.path }));
  }

  /** Items whose embedding another model than `modelId` made (the catalog's vectors must all be of one model). */
  embeddedByOtherModel(modelId: string): { id: ItemId; path: string }[] {
    return (
      this.db
        .prepare('SELECT i.id, i.path FROM items i JOIN embeddings e ON e.item_id = i.id WHERE e.model_id <> ?')
        .all(modelId) as { id: number; path: string }[]
    ).map((r) => ({ id: asItemId(r.id), path: r.path }));
  }

  /** Items by id, in one query; unknown ids are absent from the map. */
  /** The content hashes of the given items (hex), those that have one. */
  hashesOf(ids: readonly number[]): Map<ItemId, string> {
    const out = new Map<ItemId, string>();
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const rows = this.db
        .prepare(`SELECT id, hex(hash) AS hash FROM items WHERE hash IS NOT NULL AND id IN (${chunk.map(() => '?').join(',')})`)
        .all(...chunk) as { id: number; hash: string }[];
      for (const r of rows) out.set(asItemId(r.id), r.hash);
    }
    return out;
  }

  getMany(ids: readonly number[]): Map<ItemId, ItemRecord> {
    const out = new Map<ItemId, ItemRecord>();
    // SQLite's default bound-parameter limit is 32766; chunk well below it.
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const rows = this.db
        .prepare(
          `SELECT ${ITEM_COLUMNS} FROM items i JOIN collections c ON c.id = i.collection_id
           WHERE i.id IN (${chunk.map(() => '?').join(',')})`,
        )
        .all(...chunk) as RawItem[];
      for (const r of rows) out.set(asItemId(r.id), toItem(r));
    }
    return out;
  }

  /** Item ids (with whether each has a vector) whose path lies under `dir` in a collection. */
  under(collectionId: CollectionId, dir: string, sep: string): { id: ItemId; indexed: boolean; path: string }[] {
    const [lo, hi] = prefixRange(dir, sep);
    const rows = this.db
      .prepare('SELECT id, path, model_id FROM items WHERE collection_id = ? AND path >= ? AND path < ?')
      .all(collectionId, lo, hi) as { id: number; path: string; model_id: string | null }[];
    return rows.map((r) => ({ id: asItemId(r.id), path: r.path, indexed: r.model_id !== null }));
  }

  /** The files that could not be indexed, optionally in one collection, by path. */
  failed(collectionId?: CollectionId): FailedRecord[] {
    const rows = this.db
      .prepare(
        `SELECT i.id, i.path, c.name AS collection, i.error_code AS code, i.error_reason AS reason
         FROM items i JOIN collections c ON c.id = i.collection_id
         WHERE i.error_code IS NOT NULL AND (@cid IS NULL OR i.collection_id = @cid)
         ORDER BY c.name, i.path`,
      )
      .all({ cid: collectionId ?? null }) as { id: number; path: string; collection: string; code: string; reason: string }[];
    return rows.map((r) => ({
      id: asItemId(r.id),
      path: r.path,
      collection: r.collection,
      code: isErrorCode(r.code) ? r.code : 'INTERNAL',
      reason: r.reason,
    }));
  }

  /** Ids of a collection's items that have an embedding made by `modelId`. */
  embeddedIds(collectionId: CollectionId, modelId: string): ItemId[] {
    return this.db
      .prepare(
        `SELECT i.id FROM items i JOIN embeddings e ON e.item_id = i.id WHERE i.collection_id = ? AND e.model_id = ? ORDER BY i.id`,
      )
      .pluck()
      .all(collectionId, modelId) as ItemId[];
  }

  /**
   * embeddedIds() summarised (count, sum, sum of squares mod 4294967291: base/id-digest.ts), what a
   * vector index file is checked against on open. One row kept by triggers (migration 0004), not a scan.
   */
  embeddedIdDigest(collectionId: CollectionId, modelId: string): { count: number; sum: bigint; squares: bigint } {
    const r = this.db
      .prepare('SELECT count, sum, squares FROM embedded_id_sets WHERE collection_id = ? AND model_id = ?')
      .safeIntegers(true)
      .get(collectionId, modelId) as { count: bigint; sum: bigint; squares: bigint } | undefined;
    return r ? { count: Number(r.count), sum: r.sum, squares: r.squares } : { count: 0, sum: 0n, squares: 0n };
  }

  /** Streams a collection's stored embeddings made by `modelId` (for rebuilding its vector index). */
  *vectors(collectionId: CollectionId, modelId: string): IterableIterator<{ id: ItemId; dim: number; vector: Buffer }> {
    const stmt = this.db.prepare(
      `SELECT i.id, e.dim, e.vector FROM items i JOIN embeddings e ON e.item_id = i.id
       WHERE i.collection_id = ? AND e.model_id = ? ORDER BY i.id`,
    );
    for (const r of stmt.iterate(collectionId, modelId) as IterableIterator<{ id: number; dim: number; vector: Buffer }>) {
      yield { id: asItemId(r.id), dim: r.dim, vector: r.vector };
    }
  }

  /** vectors() a page at a time: up to `limit` rows with ids above `afterId` (no statement left open in between). */
  vectorsPage(collectionId: CollectionId, modelId: string, afterId: number, limit: number): { id: ItemId; dim: number; vector: Buffer }[] {
    return (
      this.db
        .prepare(
          `SELECT i.id, e.dim, e.vector FROM items i JOIN embeddings e ON e.item_id = i.id
           WHERE i.collection_id = ? AND e.model_id = ? AND i.id > ? ORDER BY i.id LIMIT ?`,
        )
        .all(collectionId, modelId, afterId, limit) as { id: number; dim: number; vector: Buffer }[]
    ).map((r) => ({ id: asItemId(r.id), dim: r.dim, vector: r.vector }));
  }

  /** Whether any embedding is stored (O(1), unlike totals()). */
  hasEmbeddings(): boolean {
    return this.db.prepare('SELECT EXISTS (SELECT 1 FROM embeddings)').pluck().get() === 1;
  }

  /**
   * Catalog-wide totals: indexed items and their embeddings (one each, so the same number) from the per-collection
   * summaries, failed items from their partial index. Neither scans the million-row tables (counting `embeddings`
   * alone read ~2 GB at a million rows).
   */
  totals(): { items: number; vectors: number; failed: number; pending: number } {
    const r = this.db
      .prepare(
        `SELECT (SELECT COALESCE(SUM(count), 0) FROM embedded_id_sets) AS items,
                (SELECT COUNT(*) FROM items WHERE error_code IS NOT NULL) AS failed,
                (SELECT COUNT(*) FROM items WHERE model_id IS NULL AND error_code IS NULL) AS pending`,
      )
      .get() as { items: number; failed: number; pending: number };
    return { items: r.items, vectors: r.items, failed: r.failed, pending: r.pending };
  }

  /** Every item that has an embedding (by any model), by id: what a model switch re-embeds. */
  embeddedItems(): { id: ItemId; path: string; hash: Buffer | null; modelId: string }[] {
    const rows = this.db
      .prepare('SELECT i.id, i.path, i.hash, e.model_id FROM items i JOIN embeddings e ON e.item_id = i.id ORDER BY i.id')
      .all() as { id: number; path: string; hash: Buffer | null; model_id: string }[];
    return rows.map((r) => ({ id: asItemId(r.id), path: r.path, hash: r.hash, modelId: r.model_id }));
  }

  /** Gives an indexed item the embedding of another model (a model switch); the item keeps its id and facts. */
  replaceVector(id: ItemId, modelId: string, dim: number, vector: Buffer): void {
    this.db.prepare('UPDATE embeddings SET model_id = ?, dim = ?, vector = ? WHERE item_id = ?').run(modelId, dim, vector, id);
    this.db.prepare('UPDATE items SET model_id = ? WHERE id = ? AND model_id IS NOT NULL').run(modelId, id);
    // The box came from the old model's map and the new vector averages no crop: a collection with product regions on
    // re-embeds the item on its next index run.
    this.db.prepare('DELETE FROM item_regions WHERE item_id = ?').run(id);
  }

  /** Records an indexed item as failed (its file could not be re-embedded): its embedding is dropped. */
  markFailed(id: ItemId, code: ErrorCode, reason: string): void {
    this.db.prepare('DELETE FROM embeddings WHERE item_id = ?').run(id);
    this.db.prepare('UPDATE items SET model_id = NULL, error_code = ?, error_reason = ? WHERE id = ?').run(code, reason, id);
  }
}
