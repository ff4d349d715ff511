/** The contract's `search:*` operations: by image (a file, bytes, a catalog item, a crop) and by text and filters. */
import type { ApiHandlers } from '../../../shared/api.js';
import type { LibraryService } from '../../library/library.service.js';
import type { QueryImage, SearchService } from '../../search/search.service.js';

type SearchChannels = 'search:byImage' | 'search:byText';

export interface SearchHandlerDeps {
  search: SearchService;
  library: LibraryService;
  /**
   * Over a transport a query reads only files inside the collections' folders (a query path, or an item's file when
   * it must be read for a crop); the local user's shell may query any readable file.
   */
  confine: boolean;
}

/** The two `search:*` handlers. */
export function searchHandlers({ search, library, confine }: SearchHandlerDeps): Pick<ApiHandlers, SearchChannels> {
  const confined = async (image: QueryImage, crop: unknown): Promise<QueryImage> => {
    if (!confine) return image;
    if (image.kind === 'path') return { kind: 'path', path: await library.confinePath(image.path) };
    if (image.kind === 'item' && crop) return { kind: 'path', path: await library.itemFile(image.id) };
    return image;
  };
  return {
    'search:byImage': async ({ image, crop, k, minScore, collections, filter, expand }) =>
      search.byImage(await confined(image, crop), {
        k,
        ...(crop ? { crop } : {}),
        ...(minScore !== undefined ? { minScore } : {}),
        ...(collections ? { collections } : {}),
        ...(filter ? { filter } : {}),
        ...(expand !== undefined ? { expand } : {}),
      }),
    'search:byText': async ({ filter, k, collections }) => search.byText(filter, { k, ...(collections ? { collections } : {}) }),
  };
}
