/** The contract's `dupes:*` operations over the DedupeService (registered by the engine). */
import type { ApiHandlers } from '../../../shared/api.js';
import type { DedupeService } from '../../dedupe/dedupe.service.js';

type DedupeChannels = 'dupes:list' | 'dupes:apply' | 'dupes:undo' | 'dupes:markNotDuplicate' | 'dupes:actions';

/** The five `dupes:*` handlers over one DedupeService. */
export function dedupeHandlers(dedupe: DedupeService): Pick<ApiHandlers, DedupeChannels> {
  return {
    'dupes:list': async ({ collections, threshold, keeperRules, preferredFolders }) =>
      dedupe.list({
        ...(collections ? { collections } : {}),
        ...(threshold !== undefined ? { threshold } : {}),
        ...(keeperRules ? { keeperRules } : {}),
        ...(preferredFolders ? { preferredFolders } : {}),
      }),
    'dupes:apply': async (input) =>
      dedupe.apply(input.action === 'move' ? { kind: 'move', destination: input.destination } : { kind: 'trash' }, input.itemIds),
    'dupes:undo': async ({ actionId }) => dedupe.undo(actionId),
    'dupes:markNotDuplicate': async ({ itemIds }) => dedupe.markNotDuplicate(itemIds),
    'dupes:actions': async ({ limit }) => dedupe.actions(limit),
  };
}
