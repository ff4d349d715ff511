import type { Migration } from './index.js';

/**
 * Product regions (issue 20): each embedded item's main object box (from its model's saliency map, in the oriented
 * photo's pixels), and whether the item's vector averages that box's crop in (`averaged`); and the per-collection
 * opt-in for that average (`collection_settings.regions`). An item without a row was embedded without localisation.
 */
export const migration0005: Migration = {
  version: 5,
  name: 'item-regions',
  up(db) {
    db.exec(`
      CREATE TABLE item_regions (
        item_id  INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
        x        INTEGER NOT NULL CHECK (x >= 0),
        y        INTEGER NOT NULL CHECK (y >= 0),
        width    INTEGER NOT NULL CHECK (width > 0),
        height   INTEGER NOT NULL CHECK (height > 0),
        area     REAL NOT NULL,
        averaged INTEGER NOT NULL DEFAULT 0 CHECK (averaged IN (0, 1))
      ) STRICT;

      ALTER TABLE collection_settings ADD COLUMN regions INTEGER NOT NULL DEFAULT 0 CHECK (regions IN (0, 1));
    `);
  },
};
