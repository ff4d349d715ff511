/**
 * Text read from images (table item_text) and whether a collection reads it (collection_settings.ocr), both from
 * migration 0003. The text joins the FTS5 index through the item_doc view (ProductsRepo.refreshFts).
 */
import { asItemId, type CollectionId, type ItemId } from '../../shared/types.js';
import type { Db } from './database.js';
import { spaceCjk } from './products.repo.js';

/** The text an OCR model read from one item. */
export interface ItemTextRow {
  itemId: ItemId;
  text: string;
  /** The recognised lines with their boxes, as the OCR engine gave them (JSON). */
  lines: string;
  modelId: string;
  madeAt: number;
}

export class TextRepo {
  constructor(private readonly db: Db) {}

  /** Whether OCR is on for a collection (off unless turned on). */
  ocrEnabled(collectionId: CollectionId): boolean {
    return (this.db.prepare('SELECT ocr FROM collection_settings WHERE collection_id = ?').pluck().get(collectionId) as number | undefined) === 1;
  }

  setOcrEnabled(collectionId: CollectionId, enabled: boolean): void {
    this.db
      .prepare('INSERT INTO collection_settings (collection_id, ocr) VALUES (?, ?) ON CONFLICT (collection_id) DO UPDATE SET ocr = excluded.ocr')
      .run(collectionId, enabled ? 1 : 0);
  }

  /** Forgets the text read from a collection's items. @returns the items that had some (their FTS rows need a refresh). */
  clear(collectionId: CollectionId): ItemId[] {
    const ids = this.db
      .prepare('SELECT t.item_id FROM item_text t JOIN items i ON i.id = t.item_id WHERE i.collection_id = ?')
      .pluck()
      .all(collectionId) as number[];
    this.db.prepare('DELETE FROM item_text WHERE item_id IN (SELECT id FROM items WHERE collection_id = ?)').run(collectionId);
    return ids.map(asItemId);
  }

  /** A collection's indexed items by id, each with the OCR model that read it (null: not read). */
  indexedItems(collectionId: CollectionId): { id: ItemId; path: string; modelId: string | null }[] {
    const rows = this.db
      .prepare(
        `SELECT i.id, i.path, t.model_id FROM items i LEFT JOIN item_text t ON t.item_id = i.id
         WHERE i.collection_id = ? AND i.model_id IS NOT NULL ORDER BY i.id`,
      )
      .all(collectionId) as { id: number; path: string; model_id: string | null }[];
    return rows.map((r) => ({ id: asItemId(r.id), path: r.path, modelId: r.model_id }));
  }

  /** Stores (or replaces) an item's text; the FTS copy gets CJK characters spaced out the way FTS5 tokenises them. */
  put(row: ItemTextRow): void {
    this.db
      .prepare(
        `INSERT INTO item_text (item_id, text, fts_text, lines, model_id, made_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (item_id) DO UPDATE SET text = excluded.text, fts_text = excluded.fts_text, lines = excluded.lines,
           model_id = excluded.model_id, made_at = excluded.made_at`,
      )
      .run(row.itemId, row.text, spaceCjk(row.text), row.lines, row.modelId, row.madeAt);
  }

  get(itemId: ItemId): ItemTextRow | undefined {
    const r = this.db.prepare('SELECT item_id, text, lines, model_id, made_at FROM item_text WHERE item_id = ?').get(itemId) as
      | { item_id: number; text: string; lines: string; model_id: string; made_at: number }
      | undefined;
    return r && { itemId: asItemId(r.item_id), text: r.text, lines: r.lines, modelId: r.model_id, madeAt: r.made_at };
  }

  /**
   * The text each item is known by, for comparing it with the text read from a query photo: its own OCR text,
   * its product's title and brand, and the OCR text of up to `siblings` other photos linked to the same product.
   * Items without any of it are absent.
   */
  knownTexts(ids: readonly number[], siblings = 32): Map<ItemId, string> {
    const out = new Map<ItemId, string>();
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const rows = this.db
        .prepare(
          `SELECT i.id, t.text, pi.product_id, p.title, p.brand FROM items i
           LEFT JOIN item_text t ON t.item_id = i.id
           LEFT JOIN product_images pi ON pi.collection_id = i.collection_id AND pi.path = i.path
           LEFT JOIN products p ON p.id = pi.product_id
           WHERE i.id IN (${chunk.map(() => '?').join(',')})`,
        )
        .all(...chunk) as { id: number; text: string | null; product_id: number | null; title: string | null; brand: string | null }[];
      const products = [...new Set(rows.flatMap((r) => (r.product_id === null ? [] : [r.product_id])))];
      const bySibling = new Map<number, string[]>();
      if (products.length > 0) {
        const sib = this.db
          .prepare(
            `SELECT product_id, text FROM (
               SELECT pi.product_id, t.text, ROW_NUMBER() OVER (PARTITION BY pi.product_id ORDER BY i.id) AS n
               FROM product_images pi
               JOIN items i ON i.collection_id = pi.collection_id AND i.path = pi.path
               JOIN item_text t ON t.item_id = i.id
               WHERE pi.product_id IN (${products.map(() => '?').join(',')}) AND t.text <> ''
             ) WHERE n <= ?`,
          )
          .all(...products, siblings) as { product_id: number; text: string }[];
        for (const r of sib) bySibling.set(r.product_id, [...(bySibling.get(r.product_id) ?? []), r.text]);
      }
      for (const r of rows) {
        const parts = [r.title, r.brand, r.text, ...(r.product_id === null ? [] : bySibling.get(r.product_id) ?? [])].filter((x): x is string => !!x && x.trim() !== '');
        if (parts.length > 0) out.set(asItemId(r.id), [...new Set(parts)].join('\n'));
      }
    }
    return out;
  }
}
