/** The contract's `index:*` operations over the engine's index jobs (their progress is the `index:onProgress` event). */
import type { ApiHandlers } from '../../../shared/api.js';
import type { Catalog } from '../../catalog/catalog.js';
import type { IndexService } from '../../jobs/index-service.js';
import type { LibraryService } from '../../library/library.service.js';

type IndexChannels = 'index:start' | 'index:cancel' | 'index:status';

export interface IndexHandlerDeps {
  indexer: IndexService;
  /** Records a collection's product-regions and downscale settings (`index:start`'s) before its run starts. */
  library: Pick<LibraryService, 'setRegions' | 'setDownscale'>;
  catalog: Catalog;
}

/** The three `index:*` handlers. */
export function indexHandlers({ indexer, library, catalog }: IndexHandlerDeps): Pick<ApiHandlers, IndexChannels> {
  return {
    'index:start': async ({ collection, regions, downscale }) => {
      if (regions !== undefined || downscale !== undefined) {
        const targets = collection === undefined ? catalog.collections.list() : [catalog.collections.require(collection)];
        for (const c of targets) {
          if (regions !== undefined) library.setRegions(c.name, regions);
          if (downscale !== undefined) library.setDownscale(c.name, downscale);
        }
      }
      const { jobId } = await indexer.start(collection === undefined ? undefined : [collection]);
      return { jobId };
    },
    'index:cancel': async ({ jobId }) => ({ cancelled: indexer.cancel(jobId) }),
    'index:status': async () => indexer.status(),
  };
}
