/** The contract's `search:*` operations: by image (a file, bytes, a catalog item, a crop) and by text and filters. */
import type { ApiHandlers } from '../../../shared/api.js';
import { asItemId } from '../../../shared/types.js';
import type { LibraryService } from '../../library/library.service.js';
import type { PreparedPhoto, QueryHistory } from '../../search/query-history.js';
import type { QueryImage, SearchService } from '../../search/search.service.js';

type SearchChannels = 'search:byImage' | 'search:byText';

export interface SearchHandlerDeps {
  search: SearchService;
  library: LibraryService;
  /** Where a query asked to be recorded (`history`) goes once it has answered. */
  history: QueryHistory;
  /**
   * Over a transport a query reads only files inside the collections' folders (a query path, or an item's file when
   * it must be read for a crop); the local user's shell may query any readable file.
   */
  confine: boolean;
}

/** The two `search:*` handlers. */
export function searchHandlers({ search, library, history, confine }: SearchHandlerDeps): Pick<ApiHandlers, SearchChannels> {
  const confined = async (image: QueryImage, crop: unknown): Promise<QueryImage> => {
    if (!confine) return image;
    if (image.kind === 'path') return { kind: 'path', path: await library.confinePath(image.path) };
    if (image.kind === 'item' && crop) return { kind: 'path', path: await library.itemFile(image.id) };
    return image;
  };
  return {
    'search:byImage': async ({ image, crop, k, minScore, collections, filter, expand, history: recorded }) => {
      // Decoded once for the search and the history's copy, which is made while the search runs.
      const query: QueryImage = image.kind === 'bytes' ? { kind: 'buffer', bytes: Buffer.from(image.base64, 'base64') } : image;
      const photo: Promise<PreparedPhoto | null> | undefined =
        recorded && query.kind === 'buffer' ? history.preparePhoto(query.bytes).catch(() => null) : undefined;
      const result = await search.byImage(await confined(query, crop), {
        k,
        groupCopies: true,
        ...(crop ? { crop } : {}),
        ...(minScore !== undefined ? { minScore } : {}),
        ...(collections ? { collections } : {}),
        ...(filter ? { filter } : {}),
        ...(expand !== undefined ? { expand } : {}),
      });
      if (recorded && image.kind === 'item') history.record({ kind: 'item', itemId: asItemId(image.id) }, recorded.label, crop, filter);
      // The answer does not wait for the photo's copy: it is recorded when ready (history:onChange says so).
      void photo?.then((prepared) => prepared && recorded && history.record({ kind: 'image', photo: prepared }, recorded.label, crop, filter));
      return result;
    },
    'search:byText': async ({ filter, k, collections, history: recorded }) => {
      const result = search.byText(filter, { k, ...(collections ? { collections } : {}) });
      if (recorded) history.record({ kind: 'text' }, recorded.label, undefined, filter);
      return result;
    },
  };
}
