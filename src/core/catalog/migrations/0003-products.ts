import type { Migration } from './index.js';

/**
 * Product data imported from CSV, categories accepted for items, OCR text, and one FTS5 index over it all.
 *
 * Products are keyed by (collection, sku); their images by (collection, absolute path), not by item id: an item
 * gets a new id when its file changes, and a CSV may be imported before the folder is indexed. `item_doc` is the
 * one definition of an item's searchable text and effective category; triggers keep `item_fts` (rowid = item id)
 * in step with items inserted, moved or deleted by the index job, and the product/category/OCR writers refresh
 * the rows they touch.
 */
export const migration0003: Migration = {
  version: 3,
  name: 'products',
  up(db) {
    db.exec(`
      CREATE TABLE products (
        id            INTEGER PRIMARY KEY,
        collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
        sku           TEXT NOT NULL,
        title         TEXT,
        brand         TEXT,
        category      TEXT,
        price         REAL,
        currency      TEXT,
        url           TEXT,
        updated_at    INTEGER NOT NULL,
        UNIQUE (collection_id, sku)
      ) STRICT;

      CREATE TABLE product_images (
        collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
        path          TEXT NOT NULL,
        product_id    INTEGER NOT NULL REFERENCES products(id) ON DELETE CASCADE,
        PRIMARY KEY (collection_id, path)
      ) STRICT;
      CREATE INDEX product_images_product ON product_images (product_id);

      CREATE TABLE item_categories (
        item_id    INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
        category   TEXT NOT NULL,
        confidence REAL,
        decided_at INTEGER NOT NULL
      ) STRICT;

      -- OCR: the text as read, the same with CJK characters spaced apart (unicode61 does not segment them, so
      -- each becomes one token), and the lines with their boxes as JSON for the detail view.
      CREATE TABLE item_text (
        item_id  INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
        text     TEXT NOT NULL,
        fts_text TEXT NOT NULL,
        lines    TEXT NOT NULL,
        model_id TEXT NOT NULL,
        made_at  INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE collection_settings (
        collection_id INTEGER PRIMARY KEY REFERENCES collections(id) ON DELETE CASCADE,
        ocr           INTEGER NOT NULL DEFAULT 0 CHECK (ocr IN (0, 1))
      ) STRICT;

      CREATE VIEW item_doc AS
        SELECT i.id AS item_id, i.collection_id, p.id AS product_id, p.sku, p.title, p.brand,
               COALESCE(p.category, ic.category) AS category, p.price,
               replace(replace(i.path, '\\', '/'), rtrim(replace(i.path, '\\', '/'), replace(replace(i.path, '\\', '/'), '/', '')), '') AS filename,
               t.fts_text AS ocr
        FROM items i
        LEFT JOIN product_images pi ON pi.collection_id = i.collection_id AND pi.path = i.path
        LEFT JOIN products p ON p.id = pi.product_id
        LEFT JOIN item_categories ic ON ic.item_id = i.id
        LEFT JOIN item_text t ON t.item_id = i.id;

      CREATE VIRTUAL TABLE item_fts USING fts5(sku, title, brand, category, filename, ocr, tokenize = 'unicode61 remove_diacritics 2');

      INSERT INTO item_fts (rowid, sku, title, brand, category, filename, ocr)
        SELECT item_id, sku, title, brand, category, filename, ocr FROM item_doc;

      CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN
        INSERT INTO item_fts (rowid, sku, title, brand, category, filename, ocr)
          SELECT item_id, sku, title, brand, category, filename, ocr FROM item_doc WHERE item_id = new.id;
      END;
      CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN
        DELETE FROM item_fts WHERE rowid = old.id;
      END;
      CREATE TRIGGER items_fts_move AFTER UPDATE OF path ON items BEGIN
        DELETE FROM item_fts WHERE rowid = old.id;
        INSERT INTO item_fts (rowid, sku, title, brand, category, filename, ocr)
          SELECT item_id, sku, title, brand, category, filename, ocr FROM item_doc WHERE item_id = new.id;
      END;
    `);
  },
};
