/** The contract's `items:*` operations: one catalog item with its product data, a collection paged without a query
 * and its product-data facets, and an item's OCR text. */
import type { ApiHandlers } from '../../../shared/api.js';
import { asItemId } from '../../../shared/types.js';
import type { Catalog } from '../../catalog/catalog.js';
import { browseItems } from '../../library/browse.js';
import type { OcrService } from '../../ocr/ocr.service.js';

type ItemsChannels = 'items:get' | 'items:browse' | 'items:facets' | 'items:text';

/** The four `items:*` handlers. */
export function itemsHandlers({ catalog, ocr }: { catalog: Catalog; ocr: OcrService }): Pick<ApiHandlers, ItemsChannels> {
  return {
    'items:get': async ({ id }) => ({
      ...catalog.items.require(asItemId(id)),
      product: catalog.products.forItems([id]).get(asItemId(id)) ?? null,
    }),
    'items:browse': async ({ collection, ...options }) => browseItems(catalog, collection, options),
    'items:facets': async ({ collection }) => catalog.products.facets(catalog.collections.require(collection).id, 1000),
    'items:text': async ({ id }) => ocr.text(asItemId(id)),
  };
}
