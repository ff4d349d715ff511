/** The contract's `models:*` operations: the folder's models and switching to another (a re-embed job). */
import type { ApiHandlers } from '../../../shared/api.js';
import type { ModelsService } from '../../library/models.service.js';

type ModelsChannels = 'models:list' | 'models:use';

/** The two `models:*` handlers. */
export function modelsHandlers(models: ModelsService): Pick<ApiHandlers, ModelsChannels> {
  return {
    'models:list': async () => models.list(),
    'models:use': async ({ id }) => ({ jobId: (await models.use(id)).jobId }),
  };
}
