/**
 * An item's catalog row as the dedupe journal keeps it before its file is touched (its embedding included), and
 * putting that row back when the file is restored, so an undo needs no re-embedding.
 */
import { asCollectionId, asItemId } from '../../shared/types.js';
import type { Catalog } from '../catalog/catalog.js';
import type { ActionItemRow, NewActionItem } from '../catalog/dedupe-journal.repo.js';
import { decodeF16 } from '../base/f16.js';
import type { ModelState } from '../models/model-state.js';
import type { CataloguedScopeItem } from './catalog-view.js';

/** What the journal records of an item. */
export function snapshot(item: CataloguedScopeItem): NewActionItem {
  return {
    itemId: item.id,
    collectionId: item.collectionId,
    path: item.path,
    hash: item.hash,
    size: item.size,
    mtimeMs: item.mtimeMs,
    width: item.width,
    height: item.height,
    format: item.format,
    modelId: item.modelId,
    dim: item.dim,
    vector: item.vector,
  };
}

/**
 * Puts a restored file's catalog row back: the row that followed a move moves back; a deleted row is inserted
 * again from the journal's snapshot (a new id; the stored embedding, so no re-embedding; a pending item pending).
 * @returns the row's id, or undefined when the catalog cannot take it (collection gone, other model, the path
 *   catalogued again meanwhile): the next index run picks the file up.
 */
export function restoreRow(deps: { catalog: Catalog; model: ModelState }, item: ActionItemRow): number | undefined {
  const { catalog } = deps;
  const vectors = deps.model.vectors();
  const existing = catalog.items.get(asItemId(item.itemId));
  if (existing && item.destination && existing.path === item.destination) {
    catalog.items.move(existing.id, item.path, item.size, item.mtimeMs);
    return existing.id;
  }
  if (!catalog.collections.findById(asCollectionId(item.collectionId))) return undefined;
  const facts = {
    collectionId: asCollectionId(item.collectionId),
    path: item.path,
    size: item.size,
    mtimeMs: item.mtimeMs,
    hash: item.hash,
    width: item.width ?? 0,
    height: item.height ?? 0,
    format: item.format ?? 'unknown',
  };
  // A pending item (trashed before its embedding was made) comes back pending: the next index run embeds it.
  if (!item.vector && !item.modelId) return catalog.transaction(() => catalog.items.insertPendingUnlessTaken(facts));
  if (!item.vector || !item.modelId || item.dim === null || item.modelId !== catalog.meta.get('embedder_id')) return undefined;
  const id = catalog.transaction(() =>
    catalog.items.insertIndexedUnlessTaken({ ...facts, modelId: item.modelId!, dim: item.dim!, vector: item.vector! }),
  );
  if (id === undefined) return undefined;
  vectors?.add(asCollectionId(item.collectionId), [{ id, vector: decodeF16(item.vector) }]);
  return id;
}
