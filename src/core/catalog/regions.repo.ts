/** Product regions (written with the item: ItemsRepo.insertIndexed): each item's main object box, and each collection's opt-in to averaging its crop in (migration 0005). */
import type { CollectionId, ItemId } from '../../shared/types.js';
import type { Db } from './database.js';

/** An item's main object, in its oriented photo's pixels. */
export interface RegionBox {
  x: number;
  y: number;
  width: number;
  height: number;
  /** Share of the saliency map's cells the object covers. */
  area: number;
}

export interface ItemRegion {
  box: RegionBox;
  /** Whether the item's stored vector averages this box's crop in. */
  averaged: boolean;
}

export class RegionsRepo {
  private readonly stmts;

  constructor(db: Db) {
    this.stmts = {
      get: db.prepare('SELECT x, y, width, height, area, averaged FROM item_regions WHERE item_id = ?'),
      enabled: db.prepare('SELECT regions FROM collection_settings WHERE collection_id = ?').pluck(),
      setEnabled: db.prepare(
        'INSERT INTO collection_settings (collection_id, regions) VALUES (?, ?) ON CONFLICT (collection_id) DO UPDATE SET regions = excluded.regions',
      ),
    };
  }

  get(itemId: ItemId): ItemRegion | undefined {
    const r = this.stmts.get.get(itemId) as { x: number; y: number; width: number; height: number; area: number; averaged: number } | undefined;
    return r && { box: { x: r.x, y: r.y, width: r.width, height: r.height, area: r.area }, averaged: r.averaged === 1 };
  }

  /** Whether the collection's vectors average their product region's crop in (off by default). */
  enabled(collectionId: CollectionId): boolean {
    return this.stmts.enabled.get(collectionId) === 1;
  }

  setEnabled(collectionId: CollectionId, enabled: boolean): void {
    this.stmts.setEnabled.run(collectionId, enabled ? 1 : 0);
  }
}
