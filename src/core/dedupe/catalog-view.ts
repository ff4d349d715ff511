/**
 * What deduplication and matching read from the catalog in one query per scope: every embedded item of some
 * collections with its content hash, stored embedding (ItemsRepo.embedded) and whether it lies under a reference
 * root. Read-only.
 */
import { AppError } from '../../shared/errors.js';
import type { CollectionId } from '../../shared/types.js';
import type { Catalog } from '../catalog/catalog.js';
import type { CataloguedItemRecord, EmbeddedItemRecord } from '../catalog/items.repo.js';
import { isInside } from '../base/confine.js';
import type { Picture } from './near-duplicates.js';

export interface ScopeItem extends EmbeddedItemRecord {
  /** Under a root flagged as reference: never removed. */
  reference: boolean;
}

/** A scope item that may be pending (catalogued, not embedded yet: null vector), as deduplication reads them. */
export interface CataloguedScopeItem extends CataloguedItemRecord {
  reference: boolean;
}

/**
 * Resolves collection names (all collections when empty or absent).
 * @throws AppError COLLECTION_NOT_FOUND
 */
export function resolveCollections(catalog: Catalog, names: readonly string[] | undefined): { id: CollectionId; name: string }[] {
  if (!names || names.length === 0) return catalog.collections.list().map((c) => ({ id: c.id, name: c.name }));
  return [...new Set(names)].map((n) => {
    const c = catalog.collections.require(n);
    return { id: c.id, name: c.name };
  });
}

/**
 * Every item of the collections that has an embedding by the catalog's embedder, by id; with `pending`, also the
 * items that wait for theirs (exact and near duplicates need only the hash and the signature).
 */
export function loadScope(catalog: Catalog, collectionIds: readonly CollectionId[]): ScopeItem[];
export function loadScope(catalog: Catalog, collectionIds: readonly CollectionId[], options: { pending: true }): CataloguedScopeItem[];
export function loadScope(catalog: Catalog, collectionIds: readonly CollectionId[], options: { pending?: boolean } = {}): CataloguedScopeItem[] {
  const embedderId = catalog.meta.get('embedder_id');
  if (!embedderId || collectionIds.length === 0) return [];
  const referenceRoots = new Map<number, string[]>();
  for (const cid of collectionIds) {
    referenceRoots.set(
      cid,
      catalog.collections
        .roots(cid)
        .filter((r) => r.reference)
        .map((r) => r.path),
    );
  }
  const rows: CataloguedItemRecord[] = options.pending ? catalog.items.catalogued(collectionIds, embedderId) : catalog.items.embedded(collectionIds, embedderId);
  const products = catalog.products.forItems(rows.map((r) => r.id));
  return rows.map((r) => ({
    ...r,
    reference: (referenceRoots.get(r.collectionId) ?? []).some((root) => isInside(r.path, root)),
    product: products.get(r.id) ?? null,
  }));
}

/**
 * Scope items by id; with `pending`, pending items too.
 * @throws AppError ITEM_NOT_FOUND naming the first id without an embedded (or pending) item.
 */
export function requireScopeItems(catalog: Catalog, ids: readonly number[]): ScopeItem[];
export function requireScopeItems(catalog: Catalog, ids: readonly number[], options: { pending: true }): CataloguedScopeItem[];
export function requireScopeItems(catalog: Catalog, ids: readonly number[], options: { pending?: boolean } = {}): CataloguedScopeItem[] {
  const items = catalog.items.getMany(ids);
  const collections = [...new Set([...items.values()].map((i) => i.collectionId))];
  const scope = options.pending ? loadScope(catalog, collections, { pending: true }) : loadScope(catalog, collections);
  const byId = new Map(scope.map((i) => [i.id as number, i]));
  return [...new Set(ids)].map((id) => {
    const item = byId.get(id);
    if (!item) throw new AppError('ITEM_NOT_FOUND', `No indexed item with id ${id}.`);
    return item;
  });
}

/** One side's distinct contents: items with the same hash become one picture (exact duplicates). */
export interface Contents<T extends CataloguedScopeItem = ScopeItem> {
  pictures: Picture<T['vector']>[];
  /** Items of each picture, in the same order. */
  items: T[][];
}

/**
 * Groups items by content hash. `split(hashHex)` keeps a content's identical files apart (the user said they are
 * not duplicates of each other).
 */
export function toContents<T extends CataloguedScopeItem>(items: readonly T[], split: (hashHex: string) => boolean = () => false): Contents<T> {
  const byHash = new Map<string, T[]>();
  const order: T[][] = [];
  for (const item of items) {
    const key = item.hash.toString('hex');
    if (split(key)) {
      order.push([item]);
      continue;
    }
    let list = byHash.get(key);
    if (!list) {
      byHash.set(key, (list = []));
      order.push(list);
    }
    list.push(item);
  }
  return {
    items: order,
    pictures: order.map((list) => ({
      itemId: list[0]!.id,
      itemIds: list.map((i) => i.id),
      vector: list[0]!.vector,
      signature: undefined,
    })),
  };
}
