/** "These are not duplicates": remembered by content (so across rescans and moves), journalled like a file action. */
import { AppError } from '../../shared/errors.js';
import type { Catalog } from '../catalog/catalog.js';
import { requireScopeItems } from './catalog-view.js';
import { snapshot } from './item-snapshot.js';

/**
 * Remembers that these items are not duplicates of each other.
 * @throws AppError ITEM_NOT_FOUND, INVALID_INPUT (fewer than two items)
 */
export function markNotDuplicate(catalog: Catalog, itemIds: readonly number[]): { actionId: number; pairs: number } {
  const items = requireScopeItems(catalog, itemIds, { pending: true });
  if (items.length < 2) throw new AppError('INVALID_INPUT', 'Mark at least two items as not duplicates.');
  const journal = catalog.dedupeJournal;
  return catalog.transaction(() => {
    // Nothing to put back on undo, so the journal keeps no embedding.
    const actionId = journal.create(
      'not-duplicate',
      null,
      items.map((i) => ({ ...snapshot(i), vector: null, dim: null, modelId: null })),
    );
    const pairs = journal.addNotDuplicates(
      actionId,
      items.map((i) => i.hash),
    );
    items.forEach((_, seq) => journal.setItem(actionId, seq, { status: 'done' }));
    journal.finish(actionId);
    return { actionId, pairs };
  });
}
