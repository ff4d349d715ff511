/** The contract's `index:*` operations over the engine's index jobs (their progress is the `index:onProgress` event). */
import type { ApiHandlers } from '../../../shared/api.js';
import type { IndexService } from '../../jobs/index-service.js';

type IndexChannels = 'index:start' | 'index:cancel' | 'index:status';

/** The three `index:*` handlers. */
export function indexHandlers(indexer: IndexService): Pick<ApiHandlers, IndexChannels> {
  return {
    'index:start': async ({ collection }) => {
      const { jobId } = await indexer.start(collection === undefined ? undefined : [collection]);
      return { jobId };
    },
    'index:cancel': async ({ jobId }) => ({ cancelled: indexer.cancel(jobId) }),
    'index:status': async () => indexer.status(),
  };
}
