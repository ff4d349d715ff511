/** A collection without a query: a page of its indexed items in a chosen order, with their product data. */
import type { ItemRecord } from '../catalog/items.repo.js';
import type { Catalog } from '../catalog/catalog.js';
import type { BrowseOptions, ProductRecord } from '../catalog/products.repo.js';

export interface BrowsePage {
  items: (ItemRecord & { product: ProductRecord | null })[];
  total: number;
}

/** @throws AppError COLLECTION_NOT_FOUND */
export function browseItems(catalog: Catalog, collection: string, options: BrowseOptions): BrowsePage {
  const c = catalog.collections.require(collection);
  const { ids, total } = catalog.products.browse(c.id, options);
  const items = catalog.items.getMany(ids);
  const products = catalog.products.forItems(ids);
  return {
    // getMany answers in no particular order; the page keeps the sorted one.
    items: ids.flatMap((id) => {
      const item = items.get(id);
      return item ? [{ ...item, product: products.get(id) ?? null }] : [];
    }),
    total,
  };
}
