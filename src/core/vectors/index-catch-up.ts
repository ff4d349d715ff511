/**
 * Bringing a loaded index in step with a catalog another process changed (Catalog.dataVersion): the file that
 * process saved, when it holds exactly the catalog's ids (mapped, nothing to add), else the index plus the
 * embeddings it lacks. Neither is saved: the writer saves its own.
 */
import type { CollectionId } from '../../shared/types.js';
import { sameIds } from '../base/id-digest.js';
import { AnnIndex } from './ann-index.js';
import type { LoadedIndex, StoreContext } from './store-context.js';

/**
 * Updates `entry` in place.
 * @returns its index, caught up; undefined when items were also removed (the caller rebuilds).
 */
export function catchUp(ctx: StoreContext, collectionId: CollectionId, entry: LoadedIndex, verifyLater: () => void): AnnIndex | undefined {
  entry.stale = false;
  const { source, params, files } = ctx;
  const want = source.digest?.call(source, collectionId);
  if (want) {
    try {
      const saved = AnnIndex.open(files.fileOf(collectionId), params, { expectIds: want });
      if (saved.ids && sameIds(saved.ids, want) && saved.size === want.count) {
        entry.index = saved;
        entry.dirty = false;
        if (!saved.verified) verifyLater();
        return saved;
      }
    } catch {
      // Missing, or behind the catalog too (the writer saves every half minute): catch up in memory.
    }
  }
  if (!source.byIds) return undefined;
  let index = entry.index;
  if (index.readOnly) {
    try {
      index.makeWritable();
    } catch {
      // Replaced by the writer's newer save since it was mapped: start from that one.
      try {
        index = AnnIndex.load(files.fileOf(collectionId), params);
      } catch {
        return undefined;
      }
    }
  }
  const ids = source.ids(collectionId);
  const missing = index.missing(ids);
  // Holding every catalog id and no more of them: the same set. Otherwise items went (the caller rebuilds).
  if (index.size + missing.length !== ids.length) return undefined;
  const rows = source.byIds.call(source, collectionId, missing);
  if (rows.length !== missing.length) return undefined;
  const dim = params.dimensions;
  const flat = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => flat.set(ctx.transform.apply(r.vector), i * dim));
  index.add(
    rows.map((r) => r.id),
    flat,
  );
  entry.index = index;
  ctx.logger.debug(`vector index for collection ${collectionId} caught up with the catalog`, { added: rows.length, vectors: index.size });
  return index;
}
