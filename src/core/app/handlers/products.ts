/** The contract's product, text-search and category handlers over the catalog. */
import type { ApiHandlers } from '../../../shared/api.js';
import type { Catalog } from '../../catalog/catalog.js';
import { resolveCollections } from '../../dedupe/catalog-view.js';
import type { LibraryService } from '../../library/library.service.js';
import type { Logger } from '../../base/logger.js';
import type { OcrService } from '../../ocr/ocr.service.js';
import type { SearchService } from '../../search/search.service.js';
import { asItemId } from '../../../shared/types.js';
import { acceptCategories, suggestCategories } from '../../products/categories.js';
import { importCsv } from '../../products/csv-import.js';

export interface ProductsHandlerDeps {
  catalog: Catalog;
  logger: Logger;
  library: LibraryService;
  search: SearchService;
  ocr: OcrService;
  /** Over a transport a CSV path must lie inside a collection's folders; the local shell may read any file. */
  confine: boolean;
}

type ProductChannels =
  | 'search:byText'
  | 'catalog:importCsv'
  | 'categories:suggest'
  | 'categories:accept'
  | 'ocr:configure'
  | 'ocr:run'
  | 'items:text';

export function productsHandlers(deps: ProductsHandlerDeps): Pick<ApiHandlers, ProductChannels> {
  const { catalog } = deps;
  const ids = (names: readonly string[] | undefined) => resolveCollections(catalog, names).map((c) => c.id);
  return {
    'search:byText': async ({ filter, k, collections }) => deps.search.byText(filter, { k, ...(collections ? { collections } : {}) }),
    'catalog:importCsv': async ({ collection, source, mapping, preview, previewRows }) => {
      const src = source.kind === 'path' && deps.confine ? { kind: 'path' as const, path: await deps.library.confinePath(source.path) } : source;
      return importCsv(
        { catalog, logger: deps.logger },
        { collection, source: src, ...(mapping ? { mapping } : {}), preview, previewRows },
      );
    },
    'categories:suggest': async ({ collections, k, minConfidence }) => {
      const { suggestions, uncategorized } = suggestCategories(catalog, ids(collections), { k, minConfidence });
      const items = catalog.items.getMany(suggestions.map((s) => s.id));
      const products = catalog.products.forItems(suggestions.map((s) => s.id));
      return {
        uncategorized,
        suggestions: suggestions.flatMap((s) => {
          const item = items.get(s.id);
          return item ? [{ item: { ...item, product: products.get(s.id) ?? null }, category: s.category, confidence: s.confidence, votes: s.votes }] : [];
        }),
      };
    },
    'ocr:configure': async ({ collection, enabled }) => deps.ocr.setEnabled(collection, enabled),
    'ocr:run': async ({ collection }) => deps.ocr.run(collection),
    'items:text': async ({ id }) => deps.ocr.text(asItemId(id)),
    'categories:accept': async ({ collections, k, minConfidence }) => ({ accepted: acceptCategories(catalog, ids(collections), { k, minConfidence }) }),
  };
}
