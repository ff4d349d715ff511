/** Imported product data (per collection, keyed by SKU), its images, accepted categories, and the FTS5 index. */
import { asCollectionId, asItemId, type CollectionId, type ItemId } from '../../shared/types.js';
import type { Db } from './database.js';

/** The imported fields of a product, as every result that shows an item carries them. */
export interface ProductRecord {
  sku: string;
  title: string | null;
  brand: string | null;
  category: string | null;
  price: number | null;
  currency: string | null;
  url: string | null;
}

/** Structured filters over an item's product data and effective category; all given ones must hold. */
export interface ItemFilter {
  category?: string[];
  brand?: string[];
  sku?: string[];
  priceMin?: number;
  priceMinExclusive?: boolean;
  priceMax?: number;
  priceMaxExclusive?: boolean;
  /** Free text, matched with FTS5 over sku, title, brand, category, file name and OCR text. */
  text?: string;
}

const PRODUCT_COLUMNS = 'p.sku, p.title, p.brand, p.category, p.price, p.currency, p.url';

/** True when the filter restricts anything. */
export function isFilterActive(f: ItemFilter | undefined): f is ItemFilter {
  if (!f) return false;
  return Boolean(
    f.category?.length || f.brand?.length || f.sku?.length || f.priceMin !== undefined || f.priceMax !== undefined || f.text?.trim(),
  );
}

/**
 * Turns a user's free text into an FTS5 query: every word must occur (as a prefix for the last one), quoted so
 * FTS5 operators and punctuation in the input are literal. CJK characters become single-character tokens in a
 * phrase, the same way they are indexed (see `ftsText`). Returns null when nothing searchable is left.
 */
export function toFtsQuery(text: string): string | null {
  const words = text
    .normalize('NFKC')
    .split(/[\s,;]+/u)
    .map((w) => w.replace(/"/g, '').trim())
    .filter((w) => /[\p{L}\p{N}]/u.test(w));
  if (words.length === 0) return null;
  return words.map((w, i) => `"${spaceCjk(w).trim()}"${i === words.length - 1 ? '*' : ''}`).join(' AND ');
}

const CJK = /([\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}])/gu;

/** Puts spaces around CJK characters so unicode61 indexes each as a token (it has no word segmentation). */
export function spaceCjk(s: string): string {
  return s.replace(CJK, ' $1 ');
}

export interface BrowseOptions {
  sort: 'name' | 'date' | 'price';
  descending: boolean;
  brand?: readonly string[];
  category?: readonly string[];
  offset: number;
  limit: number;
}

export class ProductsRepo {
  constructor(private readonly db: Db) {}

  /** Inserts or updates a product in place. @returns its id and whether it was new. */
  upsert(collectionId: CollectionId, p: ProductRecord, now = Date.now()): { id: number; inserted: boolean } {
    const existing = this.db.prepare('SELECT id FROM products WHERE collection_id = ? AND sku = ?').pluck().get(collectionId, p.sku) as
      | number
      | undefined;
    if (existing !== undefined) {
      this.db
        .prepare(
          `UPDATE products SET title = @title, brand = @brand, category = @category, price = @price, currency = @currency,
             url = @url, updated_at = @now WHERE id = @id`,
        )
        .run({ ...p, now, id: existing });
      return { id: existing, inserted: false };
    }
    const info = this.db
      .prepare(
        `INSERT INTO products (collection_id, sku, title, brand, category, price, currency, url, updated_at)
         VALUES (@cid, @sku, @title, @brand, @category, @price, @currency, @url, @now)`,
      )
      .run({ ...p, cid: collectionId, now });
    return { id: Number(info.lastInsertRowid), inserted: true };
  }

  /** Replaces a product's images; a path already claimed by another product moves to this one. */
  setImages(collectionId: CollectionId, productId: number, paths: readonly string[]): void {
    this.db.prepare('DELETE FROM product_images WHERE product_id = ?').run(productId);
    const ins = this.db.prepare(
      `INSERT INTO product_images (collection_id, path, product_id) VALUES (?, ?, ?)
       ON CONFLICT (collection_id, path) DO UPDATE SET product_id = excluded.product_id`,
    );
    for (const path of paths) ins.run(collectionId, path, productId);
  }

  /** The image paths of a collection that some product claims. */
  linkedPaths(collectionId: CollectionId): string[] {
    return this.db.prepare('SELECT path FROM product_images WHERE collection_id = ?').pluck().all(collectionId) as string[];
  }

  /**
   * Every embedded item of `modelId` whose file imported product data names, with its SKU: the labels a learned
   * projection is fitted on. A SKU is one product across collections (ours and a competitor's may share SKUs).
   * Ordered by item id, so an even sample of it is deterministic.
   */
  *labelledEmbeddings(modelId: string): IterableIterator<{ id: ItemId; sku: string; vector: Buffer }> {
    const stmt = this.db.prepare(
      `SELECT i.id, p.sku, e.vector FROM items i
       JOIN product_images pi ON pi.collection_id = i.collection_id AND pi.path = i.path
       JOIN products p ON p.id = pi.product_id
       JOIN embeddings e ON e.item_id = i.id
       WHERE e.model_id = ? ORDER BY i.id`,
    );
    for (const r of stmt.iterate(modelId) as IterableIterator<{ id: number; sku: string; vector: Buffer }>) yield { id: asItemId(r.id), sku: r.sku, vector: r.vector };
  }

  /** Labelled embedded items of `modelId` per SKU (the count a learned projection's policy looks at). */
  labelCounts(modelId: string): Map<string, number> {
    const rows = this.db
      .prepare(
        `SELECT p.sku AS sku, COUNT(*) AS n FROM items i
         JOIN product_images pi ON pi.collection_id = i.collection_id AND pi.path = i.path
         JOIN products p ON p.id = pi.product_id
         JOIN embeddings e ON e.item_id = i.id
         WHERE e.model_id = ? GROUP BY p.sku`,
      )
      .all(modelId) as { sku: string; n: number }[];
    return new Map(rows.map((r) => [r.sku, r.n]));
  }

  /** Changes whenever product data is imported, updated or linked to other files (a re-import included). */
  stamp(): string {
    const r = this.db
      .prepare('SELECT (SELECT COUNT(*) FROM products) AS n, (SELECT MAX(updated_at) FROM products) AS t, (SELECT COUNT(*) FROM product_images) AS m')
      .get() as { n: number; t: number | null; m: number };
    return `${r.n}-${r.t ?? 0}-${r.m}`;
  }

  /** How many products a collection holds. */
  count(collectionId: CollectionId): number {
    return this.db.prepare('SELECT COUNT(*) FROM products WHERE collection_id = ?').pluck().get(collectionId) as number;
  }

  /**
   * The embedded items of `collectionIds` whose product has one of `skus` (a SKU is one product across collections),
   * with that SKU: the photos a match of another photo of the product speaks for (search/product-evidence.ts).
   */
  itemsOfSkus(skus: readonly string[], collectionIds: readonly CollectionId[]): { id: ItemId; sku: string; collection: CollectionId }[] {
    if (skus.length === 0 || collectionIds.length === 0) return [];
    const rows = this.db
      .prepare(
        `SELECT i.id AS id, p.sku AS sku, i.collection_id AS collection FROM products p
         JOIN product_images pi ON pi.product_id = p.id
         JOIN items i ON i.collection_id = pi.collection_id AND i.path = pi.path
         WHERE p.sku IN (${skus.map(() => '?').join(',')}) AND i.collection_id IN (${collectionIds.map(() => '?').join(',')})
           AND i.model_id IS NOT NULL
         ORDER BY i.id`,
      )
      .all(...skus, ...collectionIds) as { id: number; sku: string; collection: number }[];
    return rows.map((r) => ({ id: asItemId(r.id), sku: r.sku, collection: asCollectionId(r.collection) }));
  }

  /** Whether some SKU has products in two collections (the evidence above needs a photo in another collection). */
  hasSiblings(): boolean {
    return this.db.prepare('SELECT 1 FROM products GROUP BY sku HAVING COUNT(DISTINCT collection_id) >= 2 LIMIT 1').get() !== undefined;
  }

  /** The product of each item that has one. */
  forItems(ids: readonly number[]): Map<ItemId, ProductRecord> {
    const out = new Map<ItemId, ProductRecord>();
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const rows = this.db
        .prepare(
          `SELECT i.id AS item_id, ${PRODUCT_COLUMNS} FROM items i
           JOIN product_images pi ON pi.collection_id = i.collection_id AND pi.path = i.path
           JOIN products p ON p.id = pi.product_id
           WHERE i.id IN (${chunk.map(() => '?').join(',')})`,
        )
        .all(...chunk) as (ProductRecord & { item_id: number })[];
      for (const { item_id, ...p } of rows) out.set(asItemId(item_id), p);
    }
    return out;
  }

  /** Rebuilds the FTS rows of the given items (all of a collection's when `ids` is omitted). */
  refreshFts(collectionId: CollectionId, ids?: readonly number[]): void {
    const ins = (where: string) =>
      `INSERT INTO item_fts (rowid, sku, title, brand, category, filename, ocr)
       SELECT item_id, sku, title, brand, category, filename, ocr FROM item_doc WHERE ${where}`;
    if (!ids) {
      this.db.prepare('DELETE FROM item_fts WHERE rowid IN (SELECT id FROM items WHERE collection_id = ?)').run(collectionId);
      this.db.prepare(ins('collection_id = ?')).run(collectionId);
      return;
    }
    const del = this.db.prepare('DELETE FROM item_fts WHERE rowid = ?');
    const one = this.db.prepare(ins('item_id = ?'));
    for (const id of ids) {
      del.run(id);
      one.run(id);
    }
  }

  /**
   * Ids of embedded items (by `modelId`; any item when null) in the collections that pass the filter, with
   * their FTS rank (bm25, lower is better) when the filter has text. Ordered by rank, then id.
   */
  filter(collectionIds: readonly CollectionId[], filter: ItemFilter, modelId: string | null, limit?: number): { id: ItemId; rank: number | null }[] {
    if (collectionIds.length === 0) return [];
    const where: string[] = [`d.collection_id IN (${collectionIds.map(() => '?').join(',')})`];
    const params: unknown[] = [...collectionIds];
    let from = 'item_doc d';
    let rank = 'NULL';
    if (filter.text !== undefined && filter.text.trim() !== '') {
      const q = toFtsQuery(filter.text);
      if (q === null) return [];
      from = 'item_fts f JOIN item_doc d ON d.item_id = f.rowid';
      where.push('item_fts MATCH ?');
      params.push(q);
      rank = 'f.rank';
    }
    const anyOf = (column: string, values: readonly string[] | undefined) => {
      if (!values || values.length === 0) return;
      where.push(`lower(${column}) IN (${values.map(() => '?').join(',')})`);
      params.push(...values.map((v) => v.toLowerCase()));
    };
    anyOf('d.category', filter.category);
    anyOf('d.brand', filter.brand);
    anyOf('d.sku', filter.sku);
    if (filter.priceMin !== undefined) {
      where.push(`d.price ${filter.priceMinExclusive ? '>' : '>='} ?`);
      params.push(filter.priceMin);
    }
    if (filter.priceMax !== undefined) {
      where.push(`d.price ${filter.priceMaxExclusive ? '<' : '<='} ?`);
      params.push(filter.priceMax);
    }
    if (modelId !== null) {
      where.push('EXISTS (SELECT 1 FROM embeddings e WHERE e.item_id = d.item_id AND e.model_id = ?)');
      params.push(modelId);
    } else {
      where.push('EXISTS (SELECT 1 FROM items i WHERE i.id = d.item_id AND i.model_id IS NOT NULL)');
    }
    const sql = `SELECT d.item_id AS id, ${rank} AS rank FROM ${from} WHERE ${where.join(' AND ')}
                 ORDER BY ${rank === 'NULL' ? '' : 'rank, '}d.item_id ${limit !== undefined ? `LIMIT ${Math.floor(limit)}` : ''}`;
    const rows = this.db.prepare(sql).all(...params) as { id: number; rank: number | null }[];
    return rows.map((r) => ({ id: asItemId(r.id), rank: r.rank }));
  }

  /** Embedded items' effective categories (product's, else accepted) in the collections; null when none. */
  categories(collectionIds: readonly CollectionId[], modelId: string): { id: ItemId; category: string | null; vector: Buffer }[] {
    if (collectionIds.length === 0) return [];
    const rows = this.db
      .prepare(
        `SELECT d.item_id AS id, d.category, e.vector FROM item_doc d JOIN embeddings e ON e.item_id = d.item_id
         WHERE e.model_id = ? AND d.collection_id IN (${collectionIds.map(() => '?').join(',')}) ORDER BY d.item_id`,
      )
      .all(modelId, ...collectionIds) as { id: number; category: string | null; vector: Buffer }[];
    return rows.map((r) => ({ id: asItemId(r.id), category: r.category, vector: r.vector }));
  }

  /** Records accepted categories for items (their product's category, if any, still wins). */
  acceptCategories(rows: readonly { id: number; category: string; confidence: number }[], now = Date.now()): void {
    const ins = this.db.prepare(
      `INSERT INTO item_categories (item_id, category, confidence, decided_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (item_id) DO UPDATE SET category = excluded.category, confidence = excluded.confidence, decided_at = excluded.decided_at`,
    );
    for (const r of rows) ins.run(r.id, r.category, r.confidence, now);
  }

  /**
   * One page of a collection's indexed items, sorted by file name, file date or price (items without a price last,
   * either way), ties by id so pages never overlap; with the matching total.
   */
  browse(collectionId: CollectionId, o: BrowseOptions): { ids: ItemId[]; total: number } {
    const where = ['d.collection_id = ?', 'i.model_id IS NOT NULL'];
    const params: unknown[] = [collectionId];
    for (const [column, values] of [
      ['d.brand', o.brand],
      ['d.category', o.category],
    ] as const) {
      if (!values || values.length === 0) continue;
      where.push(`lower(${column}) IN (${values.map(() => '?').join(',')})`);
      params.push(...values.map((v) => v.toLowerCase()));
    }
    const dir = o.descending ? 'DESC' : 'ASC';
    const order =
      o.sort === 'price'
        ? `d.price IS NULL, d.price ${dir}, d.item_id`
        : o.sort === 'date'
          ? `i.mtime_ms ${dir}, d.item_id`
          : `d.filename COLLATE NOCASE ${dir}, d.item_id`;
    const from = `item_doc d JOIN items i ON i.id = d.item_id WHERE ${where.join(' AND ')}`;
    const total = this.db.prepare(`SELECT COUNT(*) FROM ${from}`).pluck().get(...params) as number;
    const ids = this.db
      .prepare(`SELECT d.item_id FROM ${from} ORDER BY ${order} LIMIT ? OFFSET ?`)
      .pluck()
      .all(...params, Math.floor(o.limit), Math.floor(o.offset)) as number[];
    return { ids: ids.map(asItemId), total };
  }

  /** The brands and categories of a collection's indexed items, each with its item count, by name. */
  facets(collectionId: CollectionId, limit: number): { brands: FacetValue[]; categories: FacetValue[] } {
    const of = (column: 'brand' | 'category') =>
      this.db
        .prepare(
          `SELECT d.${column} AS value, COUNT(*) AS count FROM item_doc d JOIN items i ON i.id = d.item_id
           WHERE d.collection_id = ? AND i.model_id IS NOT NULL AND d.${column} IS NOT NULL AND d.${column} <> ''
           GROUP BY lower(d.${column}) ORDER BY d.${column} COLLATE NOCASE LIMIT ?`,
        )
        .all(collectionId, limit) as FacetValue[];
    return { brands: of('brand'), categories: of('category') };
  }
}

export interface FacetValue {
  value: string;
  count: number;
}
