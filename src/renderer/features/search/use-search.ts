/**
 * Search state: the query image, its crop and the filters. Any change reruns the search (debounced for the
 * sliders); answers to superseded requests are dropped so the grid never shows a stale ranking.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ApiClient, Output } from '../../lib/api';
import type { ErrorPayload } from '../../../shared/errors';
import { useClient } from '../../lib/client-context';
import { toPayload, unwrap } from '../../lib/errors';
import { latestGate } from '../../lib/latest';
import type { Rect } from './crop-geometry';
import type { QueryImage } from './query-input';

export type SearchHit = Output<'searchByImage'>['hits'][number];
type ItemFilter = NonNullable<Parameters<ApiClient['searchByImage']>[0]['filter']>;

/** The product filters as typed in the toolbar (strings, so a half-typed price is kept as typed). */
export interface ProductFilters {
  text: string;
  category: string;
  brand: string;
  priceMin: string;
  priceMax: string;
}

export const NO_PRODUCT_FILTERS: ProductFilters = { text: '', category: '', brand: '', priceMin: '', priceMax: '' };

/** The contract's filter for what was typed; null when nothing constrains the search. */
export function toItemFilter(f: ProductFilters): ItemFilter | null {
  const out: ItemFilter = {};
  const text = f.text.trim();
  if (text) out.text = text;
  const list = (v: string) => v.split(',').map((x) => x.trim()).filter(Boolean);
  if (list(f.category).length > 0) out.category = list(f.category);
  if (list(f.brand).length > 0) out.brand = list(f.brand);
  const num = (v: string) => (v.trim() === '' ? undefined : Number(v));
  const min = num(f.priceMin);
  const max = num(f.priceMax);
  if (min !== undefined && Number.isFinite(min)) out.priceMin = min;
  if (max !== undefined && Number.isFinite(max)) out.priceMax = max;
  return Object.keys(out).length > 0 ? out : null;
}
/** A short label for a search by filters (the history's name for it): the text, then the other filters. */
export function filterLabel(f: ProductFilters): string {
  const price = f.priceMin.trim() || f.priceMax.trim() ? `${f.priceMin.trim() || '…'}–${f.priceMax.trim() || '…'}` : '';
  const parts = [f.text.trim() ? `“${f.text.trim()}”` : '', f.category.trim(), f.brand.trim(), price].filter(Boolean);
  return (parts.join(' · ') || '…').slice(0, 300);
}

export type SortKey = 'score' | 'name' | 'size' | 'modified';

export interface SearchFilters {
  k: number;
  minScore: number;
  collections: string[];
  sort: SortKey;
}

const DEBOUNCE_MS = 250;

function sortHits(hits: SearchHit[], sort: SortKey): SearchHit[] {
  const byName = (h: SearchHit) => h.path.split(/[\\/]/).pop() ?? h.path;
  const sorted = [...hits];
  switch (sort) {
    case 'score':
      // The engine's order: by similarity, refined where it knows more (the text on the package).
      return sorted;
    case 'name':
      return sorted.sort((a, b) => byName(a).localeCompare(byName(b)));
    case 'size':
      return sorted.sort((a, b) => b.size - a.size);
    case 'modified':
      return sorted.sort((a, b) => b.mtimeMs - a.mtimeMs);
  }
}

export function useSearch() {
  const client = useClient();
  const [query, setQueryState] = useState<QueryImage | null>(null);
  const [crop, setCrop] = useState<Rect | null>(null);
  const [filters, setFilters] = useState<SearchFilters>({ k: 50, minScore: 0, collections: [], sort: 'score' });
  const [product, setProduct] = useState<ProductFilters>(NO_PRODUCT_FILTERS);
  const itemFilter = useMemo(() => toItemFilter(product), [product]);
  const [hits, setHits] = useState<SearchHit[] | null>(null);
  // The objects the engine found in the whole query image: offered as one-click crops while that image is the query.
  const [objects, setObjects] = useState<Rect[] | null>(null);
  const [queryMs, setQueryMs] = useState(0);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<ErrorPayload | null>(null);
  const [generation, setGeneration] = useState(0);
  // The query photo was over the pixel limit and searched from a reduced decode: its size and the limit.
  const [downscaled, setDownscaled] = useState<Output<'searchByImage'>['downscaled'] | null>(null);
  // Answers to superseded requests are dropped (a new query or filter, or none at all, supersedes).
  const [gate] = useState(latestGate);
  const immediate = useRef(false);
  // Whether the current query's last answer was an error: a library change must not re-send a query that failed
  // (it fails again, once per change), only a new query or filter does.
  const failed = useRef(false);

  const setQuery = useCallback((next: QueryImage | null) => {
    setQueryState((prev) => {
      if (prev && prev.previewUrl.startsWith('blob:')) URL.revokeObjectURL(prev.previewUrl);
      return next;
    });
    setCrop(null);
    setObjects(null);
    setDownscaled(null);
    immediate.current = true;
  }, []);

  /** Goes back to a query from the history: its image (or none), its crop and its filters at once. */
  const restore = useCallback(
    (next: { query: QueryImage | null; crop: Rect | null; product: ProductFilters }) => {
      setQuery(next.query);
      setCrop(next.crop);
      setProduct(next.product);
    },
    [setQuery],
  );

  const setCropNow = useCallback((next: Rect | null) => {
    setCrop(next);
    immediate.current = true;
  }, []);

  const { k, minScore, collections } = filters;
  useEffect(() => {
    if (!query && !itemFilter) {
      gate.begin();
      setHits(null);
      setLoading(false);
      return;
    }
    const current = gate.begin();
    const scope = collections.length > 0 ? { collections } : {};
    const run = async () => {
      setLoading(true);
      try {
        // Without an image the filters alone answer (text relevance); with one they narrow the visual ranking.
        // "Find similar" asks about a catalog item: the item itself would top its own list at 1.000, so one more
        // is asked for and the item left out.
        const self = query?.query.kind === 'item' ? query.query.id : null;
        const out = await unwrap(
          query
            ? client.api.searchByImage({
                image: query.query,
                k: self === null ? k : Math.min(1000, k + 1),
                ...(crop ? { crop } : {}),
                ...(minScore > 0 ? { minScore } : {}),
                ...(itemFilter ? { filter: itemFilter } : {}),
                ...scope,
                history: { label: query.label.slice(0, 300) || '…' },
              })
            : client.api.searchByText({ filter: itemFilter!, k, ...scope, history: { label: filterLabel(product) } }),
        );
        if (!current()) return;
        failed.current = false;
        setHits(self === null ? out.hits : out.hits.filter((h) => h.id !== self).slice(0, k));
        // A crop's own objects lie inside it: the whole image's stay on offer.
        if (query && !crop) setObjects((out as Output<'searchByImage'>).objects ?? null);
        setDownscaled(query ? ((out as Output<'searchByImage'>).downscaled ?? null) : null);
        setQueryMs(out.queryMs);
        setError(null);
      } catch (err) {
        if (!current()) return;
        failed.current = true;
        // The previous ranking answered another query: leaving it under this one's error would pass it off as this one's.
        setHits(null);
        setError(toPayload(err));
      } finally {
        if (current()) setLoading(false);
      }
    };
    const delay = immediate.current ? 0 : DEBOUNCE_MS;
    immediate.current = false;
    const timer = setTimeout(() => void run(), delay);
    return () => clearTimeout(timer);
    // `product` only names the query for the history; `itemFilter` (derived from it) is what reruns it.
  }, [client, gate, query, crop, k, minScore, collections, itemFilter, generation]);

  const sorted = useMemo(() => (hits ? sortHits(hits, filters.sort) : null), [hits, filters.sort]);

  return {
    query,
    setQuery,
    restore,
    downscaled,
    crop,
    setCrop: setCropNow,
    objects,
    filters,
    setFilters,
    product,
    setProduct,
    /** True when the product filters alone drive the search (no query image). */
    textOnly: !query && itemFilter !== null,
    hits: sorted,
    queryMs,
    loading,
    error,
    clearError: () => setError(null),
    /** Reruns the current search, e.g. after indexing changed the library. */
    rerun: useCallback(() => {
      if (failed.current) return;
      immediate.current = true;
      setGeneration((g) => g + 1);
    }, []),
  };
}
