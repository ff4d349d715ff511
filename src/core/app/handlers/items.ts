/** The contract's `items:*` operations: one catalog item with its product data, and its OCR text. */
import type { ApiHandlers } from '../../../shared/api.js';
import { asItemId } from '../../../shared/types.js';
import type { Catalog } from '../../catalog/catalog.js';
import type { OcrService } from '../../ocr/ocr.service.js';

type ItemsChannels = 'items:get' | 'items:text';

/** The two `items:*` handlers. */
export function itemsHandlers({ catalog, ocr }: { catalog: Catalog; ocr: OcrService }): Pick<ApiHandlers, ItemsChannels> {
  return {
    'items:get': async ({ id }) => ({
      ...catalog.items.require(asItemId(id)),
      product: catalog.products.forItems([id]).get(asItemId(id)) ?? null,
    }),
    'items:text': async ({ id }) => ocr.text(asItemId(id)),
  };
}
