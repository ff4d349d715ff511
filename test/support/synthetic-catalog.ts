/**
 * Writing synthetic embeddings into a real engine's catalog as the index job would (one SQLite transaction, the
 * vector index follows the catalog), and importing their SKUs as a user's CSV would: for tests about what the engine
 * does with vectors (projections, verdicts, product evidence) without running a model.
 */
import { join } from 'node:path';
import type { Engine } from '../../src/core/app/engine.js';
import { encodeF16 } from '../../src/core/base/f16.js';
import { asCollectionId } from '../../src/shared/types.js';

/** The embedder id the synthetic vectors are stored under. */
export const SYNTHETIC_EMBEDDER = 'synthetic@1';

export interface SyntheticPhoto {
  /** File name inside the collection's folder (the file itself may or may not exist). */
  file: string;
  vector: Float32Array;
}

/**
 * Adds `rows` as embedded items of `collection` (added for `folder` unless it exists), each with a distinct size and
 * content hash (`offset` keeps them distinct across calls). @returns the item id of each row, in order.
 */
export function insertSyntheticItems(engine: Engine, collection: string, folder: string, rows: readonly SyntheticPhoto[], offset = 0): number[] {
  const { catalog } = engine;
  const existing = catalog.collections.list().find((c) => c.name === collection);
  const collectionId = asCollectionId(existing ? existing.id : engine.library.addFolder(collection, folder).id);
  const dim = rows[0]?.vector.length ?? 0;
  return catalog.transaction(() => {
    catalog.meta.set('model_id', 'fast');
    catalog.meta.set('embedder_id', SYNTHETIC_EMBEDDER);
    catalog.meta.set('dimensions', String(dim));
    return rows.map((r, i) =>
      catalog.items.insertIndexed({
        collectionId,
        path: join(folder, r.file),
        size: 1000 + offset + i,
        mtimeMs: 1,
        hash: Buffer.from(`hash-${offset + i}`.padEnd(32, '.')),
        width: 320,
        height: 240,
        format: 'jpeg',
        modelId: SYNTHETIC_EMBEDDER,
        dim,
        vector: encodeF16(r.vector),
      }),
    );
  });
}

/**
 * Imports `sku,title[,brand],image` rows for `collection` through the engine's CSV import (title default
 * "Product <sku>").
 */
export async function importSkus(engine: Engine, collection: string, rows: readonly { file: string; sku: string; title?: string }[], brand?: string): Promise<void> {
  const head = brand === undefined ? 'sku,title,image' : 'sku,title,brand,image';
  const line = (r: { file: string; sku: string; title?: string }) => [r.sku, r.title ?? `Product ${r.sku}`, ...(brand === undefined ? [] : [brand]), r.file].join(',');
  const csv = [head, ...rows.map(line)].join('\n');
  await engine.api['catalog:importCsv']({ collection, source: { kind: 'text', text: csv }, preview: false, previewRows: 0 });
}
