/** The contract's `library:*` operations: collections, their root folders, the folder picker's listing, stats, failures and forgetting. */
import type { ApiHandlers } from '../../../shared/api.js';
import { listFolders } from '../../library/folder-browser.js';
import { forgetCollection, type ForgetDeps } from '../../library/forget.js';
import type { LibraryService } from '../../library/library.service.js';

type LibraryChannels =
  | 'library:listCollections'
  | 'library:addFolder'
  | 'library:browseFolders'
  | 'library:removeFolder'
  | 'library:errors'
  | 'library:stats'
  | 'library:forget';

export interface LibraryHandlerDeps {
  library: LibraryService;
  /** What forgetting a collection needs (it removes the collection's rows, index files and signatures). */
  forget: ForgetDeps;
}

/** The seven `library:*` handlers. */
export function libraryHandlers({ library, forget }: LibraryHandlerDeps): Pick<ApiHandlers, LibraryChannels> {
  return {
    'library:listCollections': async () => library.listCollections(),
    'library:addFolder': async ({ collection, path, reference }) => library.addFolder(collection, path, reference ?? false),
    'library:browseFolders': async ({ path }) => listFolders(path),
    'library:removeFolder': async ({ collection, path }) => library.removeFolder(collection, path),
    'library:errors': async ({ collection }) => library.errors(collection),
    'library:stats': async () => library.stats(),
    'library:forget': async ({ collection }) => forgetCollection(forget, collection),
  };
}
