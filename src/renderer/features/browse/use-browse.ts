/**
 * One collection's items without a query, fetched a page at a time as the gallery scrolls to them (`items:browse`
 * bounds a page), and the brand / category values that exist in it. Changing the collection, order or a filter
 * starts over; a page that answers after such a change is dropped.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ErrorPayload } from '../../../shared/errors';
import type { Output } from '../../lib/api';
import { useClient } from '../../lib/client-context';
import { toPayload, unwrap } from '../../lib/errors';

export type BrowseItem = Output<'itemsBrowse'>['items'][number];
export type Facets = Output<'itemsFacets'>;
export type BrowseSort = 'name' | 'date' | 'price';

export interface BrowseQuery {
  collection: string;
  sort: BrowseSort;
  descending: boolean;
  brand: string;
  category: string;
}

export const PAGE_SIZE = 120;

/** @param version changes when the collection's content may have changed (an index run ended). */
export function useBrowse(query: BrowseQuery | null, version: string) {
  const client = useClient();
  const [total, setTotal] = useState<number | null>(null);
  const [pages, setPages] = useState<ReadonlyMap<number, BrowseItem[]>>(new Map());
  const [facets, setFacets] = useState<Facets | null>(null);
  const [error, setError] = useState<ErrorPayload | null>(null);
  const requested = useRef(new Set<number>());
  const generation = useRef(0);
  const key = query ? JSON.stringify(query) : null;

  const loadPage = useCallback(
    (page: number) => {
      if (!query || requested.current.has(page)) return;
      requested.current.add(page);
      const gen = generation.current;
      unwrap(
        client.api.itemsBrowse({
          collection: query.collection,
          sort: query.sort,
          descending: query.descending,
          ...(query.brand ? { brand: [query.brand] } : {}),
          ...(query.category ? { category: [query.category] } : {}),
          offset: page * PAGE_SIZE,
          limit: PAGE_SIZE,
        }),
      ).then(
        (out) => {
          if (gen !== generation.current) return;
          setTotal(out.total);
          setPages((m) => new Map(m).set(page, out.items));
        },
        (err: unknown) => {
          if (gen !== generation.current) return;
          requested.current.delete(page);
          setError(toPayload(err));
        },
      );
    },
    // `key` stands for `query`'s content: a new object with the same fields must not start over.
    [client, key],
  );

  useEffect(() => {
    generation.current++;
    requested.current = new Set();
    setPages(new Map());
    setTotal(null);
    setError(null);
    loadPage(0);
  }, [loadPage, version]);

  const collection = query?.collection ?? null;
  useEffect(() => {
    setFacets(null);
    if (!collection) return;
    let live = true;
    unwrap(client.api.itemsFacets({ collection })).then(
      (f) => live && setFacets(f),
      (err: unknown) => live && setError(toPayload(err)),
    );
    return () => {
      live = false;
    };
  }, [client, collection, version]);

  const itemAt = useCallback((index: number) => pages.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE], [pages]);

  /** Asks for the pages that hold items first..last (the visible ones). */
  const ensure = useCallback(
    (first: number, last: number) => {
      for (let p = Math.floor(first / PAGE_SIZE); p <= Math.floor(last / PAGE_SIZE); p++) loadPage(p);
    },
    [loadPage],
  );

  return { total, itemAt, ensure, facets, error, clearError: () => setError(null) };
}
