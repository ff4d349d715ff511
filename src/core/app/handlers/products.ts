/** The contract's product-data operations: `catalog:importCsv` and the `categories:*` suggestions. */
import type { ApiHandlers } from '../../../shared/api.js';
import type { Catalog } from '../../catalog/catalog.js';
import type { LibraryService } from '../../library/library.service.js';
import type { Logger } from '../../base/logger.js';
import { acceptCategories, suggestCategories } from '../../products/categories.js';
import { importCsv } from '../../products/csv-import.js';

export interface ProductsHandlerDeps {
  catalog: Catalog;
  logger: Logger;
  library: LibraryService;
  /** Over a transport a CSV path must lie inside a collection's folders; the local shell may read any file. */
  confine: boolean;
}

type ProductChannels = 'catalog:importCsv' | 'categories:suggest' | 'categories:accept';

/** The three product-data handlers. */
export function productsHandlers(deps: ProductsHandlerDeps): Pick<ApiHandlers, ProductChannels> {
  const { catalog } = deps;
  const ids = (names: readonly string[] | undefined) => catalog.collections.resolve(names).map((c) => c.id);
  return {
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
    'categories:accept': async ({ collections, k, minConfidence }) => ({ accepted: acceptCategories(catalog, ids(collections), { k, minConfidence }) }),
  };
}
