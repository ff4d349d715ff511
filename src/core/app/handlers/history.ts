/** The contract's `history:*` operations: the search panel's last queries (search/query-history.ts). */
import type { ApiHandlers } from '../../../shared/api.js';
import type { QueryHistory } from '../../search/query-history.js';

type HistoryChannels = 'history:list' | 'history:get' | 'history:remove' | 'history:clear';

/** The four `history:*` handlers. */
export function historyHandlers(history: QueryHistory): Pick<ApiHandlers, HistoryChannels> {
  return {
    'history:list': async () => ({ entries: history.list() }),
    'history:get': async ({ id }) => history.get(id),
    'history:remove': async ({ id }) => ({ removed: history.remove(id) }),
    'history:clear': async () => ({ removed: history.clear() }),
  };
}
