/**
 * Browse a collection with no query: a virtualised gallery (only the visible rows are in the page, and only their
 * pages are fetched), sorted by name, date or price, narrowed by the brands and categories that exist in it.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useId, useLayoutEffect, useRef, useState } from 'react';
import { thumbPath } from '../../../shared/web';
import { EmptyState } from '../../components/EmptyState';
import { ErrorNotice } from '../../components/ErrorNotice';
import { ImageIcon, LibraryIcon } from '../../components/Icons';
import { useI18n } from '../../i18n';
import { useClient } from '../../lib/client-context';
import { baseName, formatDate, formatPrice } from '../../lib/format';
import { useBrowse, type BrowseItem, type BrowseSort } from './use-browse';

interface Props {
  /** Whether the view is on screen: each time it comes back, the pages are fetched again (product data may be new). */
  visible: boolean;
  collections: { name: string; itemCount: number }[];
  onOpen: (item: BrowseItem) => void;
}

const MIN_CELL = 164;
const GAP = 10;
const CAPTION = 63;
const SORTS: readonly BrowseSort[] = ['name', 'date', 'price'];

export function BrowseView({ visible, collections, onOpen }: Props) {
  const { t, lang } = useI18n();
  const client = useClient();
  const ids = useId();
  const [chosen, setChosen] = useState('');
  const [sort, setSort] = useState<BrowseSort>('name');
  const [descending, setDescending] = useState(false);
  const [brand, setBrand] = useState('');
  const [category, setCategory] = useState('');
  const collection = collections.some((c) => c.name === chosen) ? chosen : (collections[0]?.name ?? '');
  // The filters' values belong to one collection.
  useEffect(() => {
    setBrand('');
    setCategory('');
  }, [collection]);
  const count = collections.find((c) => c.name === collection)?.itemCount ?? 0;
  const [shown, setShown] = useState(0);
  useEffect(() => {
    if (visible) setShown((n) => n + 1);
  }, [visible]);
  // Nothing is fetched while hidden; a new count (an index run ended) or coming back on screen fetches again.
  const browse = useBrowse(collection && shown > 0 ? { collection, sort, descending, brand, category } : null, `${count}:${shown}`);

  const scroller = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setWidth(el.clientWidth));
    observer.observe(el);
    setWidth(el.clientWidth);
    return () => observer.disconnect();
  }, [collections.length]);
  const inner = Math.max(0, width - 2 * GAP);
  const columns = Math.max(1, Math.floor((inner + GAP) / (MIN_CELL + GAP)));
  const cell = (inner - GAP * (columns - 1)) / columns;
  const rowHeight = Math.round(cell + CAPTION + GAP);
  const total = browse.total ?? 0;
  const virtualizer = useVirtualizer({
    count: Math.ceil(total / columns),
    getScrollElement: () => scroller.current,
    estimateSize: () => rowHeight,
    overscan: 2,
    paddingStart: GAP,
    paddingEnd: GAP,
  });
  useEffect(() => virtualizer.measure(), [virtualizer, rowHeight]);
  const rows = virtualizer.getVirtualItems();
  const first = rows[0] ? rows[0].index * columns : 0;
  const last = rows.length > 0 ? Math.min(total - 1, (rows[rows.length - 1]!.index + 1) * columns - 1) : -1;
  const { ensure } = browse;
  useEffect(() => {
    if (last >= first) ensure(first, last);
  }, [ensure, first, last]);

  if (collections.length === 0) {
    return <EmptyState icon={<LibraryIcon size={36} />}>{t.browse.noCollection}</EmptyState>;
  }

  const facetSelect = (label: string, value: string, set: (v: string) => void, values: { value: string; count: number }[] | undefined, testId: string) => (
    <label className="control">
      <span>{label}</span>
      <select value={value} onChange={(e) => set(e.target.value)} data-testid={testId} disabled={!values || values.length === 0}>
        <option value="">{t.browse.any}</option>
        {values?.map((v) => (
          <option key={v.value} value={v.value}>
            {v.value} ({v.count.toLocaleString(lang)})
          </option>
        ))}
      </select>
    </label>
  );

  return (
    <>
      <div className="dupes-toolbar browse-toolbar">
        <label className="control">
          <span>{t.browse.collection}</span>
          <select value={collection} onChange={(e) => setChosen(e.target.value)} data-testid="browse-collection">
            {collections.map((c) => (
              <option key={c.name} value={c.name}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
        <label className="control">
          <span>{t.browse.sort}</span>
          <select value={sort} onChange={(e) => setSort(e.target.value as BrowseSort)} data-testid="browse-sort">
            {SORTS.map((s) => (
              <option key={s} value={s}>
                {t.browse.sortBy[s]}
              </option>
            ))}
          </select>
        </label>
        <div className="control">
          <span id={`${ids}-order`} className="control-caption">
            {t.browse.order}
          </span>
          <div className="segmented" role="group" aria-labelledby={`${ids}-order`}>
            <button type="button" aria-pressed={!descending} onClick={() => setDescending(false)} data-testid="browse-asc">
              ↑ {t.browse.ascending}
            </button>
            <button type="button" aria-pressed={descending} onClick={() => setDescending(true)} data-testid="browse-desc">
              ↓ {t.browse.descending}
            </button>
          </div>
        </div>
        {facetSelect(t.browse.brand, brand, setBrand, browse.facets?.brands, 'browse-brand')}
        {facetSelect(t.browse.category, category, setCategory, browse.facets?.categories, 'browse-category')}
        <div className="dupes-totals">
          <span data-testid="browse-count">{browse.total === null ? '' : t.browse.count(browse.total)}</span>
          <span className="muted small">{t.browse.hint}</span>
        </div>
      </div>
      {browse.error && <ErrorNotice error={browse.error} onDismiss={browse.clearError} />}
      <div className="results">
        {/* Always in the page: the scroller is what the virtualiser and the width observer hold on to. */}
        <div ref={scroller} className="grid-scroller" role="list" aria-label={t.browse.gridLabel} data-testid="browse-grid">
          {browse.total === 0 ? (
            <EmptyState icon={<ImageIcon size={36} />}>{t.browse.empty}</EmptyState>
          ) : (
            <div className="grid-inner" style={{ height: virtualizer.getTotalSize() }}>
              {rows.map((row) => (
                <div
                  key={row.key}
                  className="grid-row"
                  style={{ transform: `translateY(${row.start}px)`, height: rowHeight - GAP, gap: GAP, padding: `0 ${GAP}px` }}
                >
                  {Array.from({ length: Math.min(columns, total - row.index * columns) }, (_, col) => {
                    const index = row.index * columns + col;
                    const item = browse.itemAt(index);
                    if (!item) return <div key={`p${index}`} className="hit hit-placeholder" style={{ width: cell }} aria-hidden="true" />;
                    const name = baseName(item.path);
                    const p = item.product;
                    return (
                      <button
                        type="button"
                        key={item.id}
                        role="listitem"
                        className="hit browse-tile"
                        style={{ width: cell }}
                        onClick={() => onOpen(item)}
                        data-testid="browse-tile"
                        data-item-id={item.id}
                      >
                        <div className="hit-thumb" style={{ height: cell }}>
                          <img src={client.mediaUrl(thumbPath(item.id, 256))} alt="" loading="lazy" decoding="async" draggable={false} />
                        </div>
                        <div className="hit-caption">
                          <span className="hit-name" title={item.path} data-testid="browse-name">
                            {name}
                          </span>
                          <span className="hit-product">
                            {p?.price != null && (
                              <span className="hit-price" data-testid="browse-price">
                                {formatPrice(p.price, p.currency, lang)}
                              </span>
                            )}
                            <span className="hit-title" title={p?.title ?? undefined}>
                              {[p?.brand, p?.category].filter(Boolean).join(' · ') || p?.sku || ''}
                            </span>
                          </span>
                          <span className="hit-meta">{formatDate(item.mtimeMs, lang)}</span>
                        </div>
                      </button>
                    );
                  })}
                </div>
              ))}
            </div>
          )}
        </div>
      </div>
    </>
  );
}
