/** Building a collection's index from the catalog's stored embeddings: at once, or in pages between awaits. */
import type { CollectionId } from '../../shared/types.js';
import { AnnIndex } from './ann-index.js';
import type { StoreContext } from './store-context.js';

const REBUILD_CHUNK = 1024;
/** Embeddings transformed per matrix product in a paged rebuild. */
export const BULK_REBUILD_PAGE = 2048;

/** A new index of the collection's embeddings, each through the transform, added 1,024 at a time. */
export function rebuildIndex(ctx: StoreContext, collectionId: CollectionId): AnnIndex {
  const index = AnnIndex.create(ctx.params);
  const dim = ctx.params.dimensions;
  let ids: number[] = [];
  let flat = new Float32Array(REBUILD_CHUNK * dim);
  for (const { id, vector } of ctx.source.vectors(collectionId)) {
    flat.set(ctx.transform.apply(vector), ids.length * dim);
    ids.push(id);
    if (ids.length === REBUILD_CHUNK) {
      index.add(ids, flat);
      ids = [];
      flat = new Float32Array(REBUILD_CHUNK * dim);
    }
  }
  index.add(ids, flat.subarray(0, ids.length * dim));
  return index;
}

/**
 * Fills `index` with the collection's embeddings page by page (BULK_REBUILD_PAGE at a time, one matrix product each
 * where the transform can), awaiting between pages so the event loop is not held for the whole rebuild.
 * @returns false when `stopped()` said so between pages (the index is then incomplete).
 */
export async function rebuildInPages(
  ctx: StoreContext,
  collectionId: CollectionId,
  index: AnnIndex,
  options: {
    page: NonNullable<StoreContext['source']['page']>;
    stopped: () => boolean;
    onPage?: (held: number) => void;
  },
): Promise<boolean> {
  const rawDim = ctx.transform.inputDim;
  let after = 0;
  for (;;) {
    if (options.stopped()) return false;
    const rows = options.page.call(ctx.source, collectionId, after, BULK_REBUILD_PAGE);
    if (rows.length === 0) return true;
    const raws = new Float32Array(rows.length * rawDim);
    rows.forEach((r, i) => raws.set(r.vector, i * rawDim));
    const prepared = await prepareMany(ctx, raws, rows.length);
    if (options.stopped()) return false;
    const ids = rows.map((r) => r.id);
    // A concurrent add() may already have put some in (they are in the catalog, so in this page too).
    addMissing(index, ids, prepared, ctx.params.dimensions);
    after = ids[ids.length - 1]!;
    options.onPage?.(index.size);
  }
}

/** Raw embeddings (`count`, row-major) through the transform, in bulk where it can (VectorTransform.applyMany). */
export async function prepareMany(ctx: Pick<StoreContext, 'transform' | 'params'>, raws: Float32Array, count: number): Promise<Float32Array> {
  const { transform } = ctx;
  if (transform.applyMany) return transform.applyMany(raws, count);
  const dim = transform.inputDim;
  const outDim = ctx.params.dimensions;
  const out = new Float32Array(count * outDim);
  for (let r = 0; r < count; r++) out.set(transform.apply(raws.subarray(r * dim, (r + 1) * dim)), r * outDim);
  return out;
}

/** Adds the vectors (row-major in `flat`) whose ids the index does not hold yet. */
export function addMissing(index: AnnIndex, ids: readonly number[], flat: Float32Array, dim: number): void {
  const keep = ids.flatMap((id, i) => (index.containsAll([id]) ? [] : [i]));
  if (keep.length === ids.length) {
    index.add(ids, flat);
    return;
  }
  const kept = new Float32Array(keep.length * dim);
  keep.forEach((i, k) => kept.set(flat.subarray(i * dim, (i + 1) * dim), k * dim));
  index.add(
    keep.map((i) => ids[i]!),
    kept,
  );
}
