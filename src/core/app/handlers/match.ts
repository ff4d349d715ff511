/** The contract's `match:*` operations over the MatchService (registered by the engine). */
import type { ApiHandlers } from '../../../shared/api.js';
import type { MatchService } from '../../match/match.service.js';

type MatchChannels = 'match:run' | 'match:setDecision' | 'match:exportCsv';

/** The three `match:*` handlers over one MatchService. */
export function matchHandlers(match: MatchService): Pick<ApiHandlers, MatchChannels> {
  return {
    'match:run': async ({ ours, theirs, k, oneToOne }) => match.run({ ours, theirs, k, oneToOne }),
    'match:setDecision': async ({ ours, theirs, decision }) => ({ decision: match.setDecision(ours, theirs, decision) }),
    'match:exportCsv': async ({ ours, theirs, k, oneToOne }) => match.exportCsv({ ours, theirs, k, oneToOne }),
  };
}
