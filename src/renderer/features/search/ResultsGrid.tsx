/**
 * The ranked results as a virtualized grid of thumbnails (thousands of hits stay smooth). One focusable
 * listbox: arrows, Page Up/Down and Home/End move the active result, Enter opens it.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent, type RefObject } from 'react';
import { thumbPath } from '../../../shared/web';
import { useI18n } from '../../i18n';
import { useClient } from '../../lib/client-context';
import { baseName, formatPrice } from '../../lib/format';
import { VerdictBadge, useVerdictText } from '../../components/VerdictBadge';
import type { SearchHit } from './use-search';

interface Props {
  hits: SearchHit[];
  active: number;
  onActiveChange: (index: number) => void;
  onOpen: (index: number) => void;
  /** The grid's focusable element, for the caller to give focus back (after the detail view closes). */
  gridRef?: RefObject<HTMLDivElement | null>;
}

const MIN_CELL = 164;
const GAP = 10;
const CAPTION = 46;
/** One more caption line when any result carries product data. */
const PRODUCT_LINE = 17;

export function ResultsGrid({ hits, active, onActiveChange, onOpen, gridRef }: Props) {
  const { t, lang } = useI18n();
  const client = useClient();
  const verdictText = useVerdictText();
  const scroller = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setWidth(el.clientWidth));
    observer.observe(el);
    setWidth(el.clientWidth);
    return () => observer.disconnect();
  }, []);

  const inner = Math.max(0, width - 2 * GAP);
  const columns = Math.max(1, Math.floor((inner + GAP) / (MIN_CELL + GAP)));
  const cell = columns > 0 ? (inner - GAP * (columns - 1)) / columns : MIN_CELL;
  const caption = CAPTION + (hits.some((h) => h.product) ? PRODUCT_LINE : 0);
  const rowHeight = Math.round(cell + caption + GAP);
  const rows = Math.ceil(hits.length / columns);

  const virtualizer = useVirtualizer({
    count: rows,
    getScrollElement: () => scroller.current,
    estimateSize: () => rowHeight,
    overscan: 3,
    paddingStart: GAP,
    paddingEnd: GAP,
  });

  useEffect(() => virtualizer.measure(), [virtualizer, rowHeight]);
  useEffect(() => {
    if (active >= 0 && active < hits.length) virtualizer.scrollToIndex(Math.floor(active / columns));
  }, [active, columns, hits.length, virtualizer]);

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const page = columns * Math.max(1, Math.floor((scroller.current?.clientHeight ?? rowHeight) / rowHeight));
    const moves: Record<string, number> = {
      ArrowRight: 1,
      ArrowLeft: -1,
      ArrowDown: columns,
      ArrowUp: -columns,
      PageDown: page,
      PageUp: -page,
    };
    let next: number | null = null;
    if (e.key in moves) next = Math.min(hits.length - 1, Math.max(0, (active < 0 ? 0 : active) + moves[e.key]!));
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = hits.length - 1;
    else if ((e.key === 'Enter' || e.key === ' ') && active >= 0) {
      e.preventDefault();
      onOpen(active);
      return;
    }
    if (next !== null) {
      e.preventDefault();
      onActiveChange(next);
    }
  };

  return (
    <div
      ref={(el) => {
        scroller.current = el;
        if (gridRef) gridRef.current = el;
      }}
      className="grid-scroller"
      role="listbox"
      tabIndex={0}
      aria-label={t.results.gridLabel}
      aria-activedescendant={active >= 0 ? `hit-${hits[active]?.id}` : undefined}
      onKeyDown={onKeyDown}
      data-testid="results-grid"
    >
      <div className="grid-inner" style={{ height: virtualizer.getTotalSize() }}>
        {virtualizer.getVirtualItems().map((row) => (
          <div
            key={row.key}
            className="grid-row"
            style={{ transform: `translateY(${row.start}px)`, height: rowHeight - GAP, gap: GAP, padding: `0 ${GAP}px` }}
          >
            {hits.slice(row.index * columns, row.index * columns + columns).map((hit, col) => {
              const index = row.index * columns + col;
              const name = baseName(hit.path);
              return (
                <div
                  key={hit.id}
                  id={`hit-${hit.id}`}
                  role="option"
                  aria-selected={index === active}
                  aria-label={`${index + 1}. ${name}, ${verdictText(hit, hit.matchedBy ?? 'image').text}${hit.copies?.length ? `, ${t.results.copies(hit.copies.length + 1)}` : ''}`}
                  className={`hit ${index === active ? 'hit-active' : ''}`}
                  style={{ width: cell }}
                  data-testid="hit"
                  data-item-id={hit.id}
                  data-score={hit.score}
                  onClick={() => {
                    onActiveChange(index);
                    onOpen(index);
                  }}
                >
                  <div className="hit-thumb" style={{ height: cell }}>
                    <img src={client.mediaUrl(thumbPath(hit.id, 256))} alt="" loading="lazy" decoding="async" draggable={false} />
                    {/* The calibrated verdict, not the cosine: raw scores cluster differently per model and space. */}
                    <VerdictBadge hit={hit} kind={hit.matchedBy ?? 'image'} className="score" />
                    <span className="rank">{index + 1}</span>
                    {hit.copies && hit.copies.length > 0 && (
                      <span
                        className="copies-badge"
                        data-testid="copies-badge"
                        title={[hit.path, ...hit.copies.map((c) => c.path)].join('\n')}
                      >
                        {t.results.copies(hit.copies.length + 1)}
                      </span>
                    )}
                  </div>
                  <div className="hit-caption">
                    <span className="hit-name" title={hit.path}>
                      {name}
                    </span>
                    {hit.product && (
                      <span className="hit-product" data-testid="hit-product">
                        {hit.product.price !== null && (
                          <span className="hit-price">{formatPrice(hit.product.price, hit.product.currency, lang)}</span>
                        )}
                        <span className="hit-title" title={hit.product.title ?? hit.product.sku}>
                          {hit.product.sku}
                          {hit.product.title ? ` · ${hit.product.title}` : ''}
                        </span>
                      </span>
                    )}
                    {hit.via && (
                      <span className="hit-via" data-testid="hit-via" title={t.results.viaTitle(hit.via.path)}>
                        {t.results.via}
                      </span>
                    )}
                    <span className="hit-meta">
                      {hit.collection}
                      {hit.width && hit.height ? ` · ${hit.width}×${hit.height}` : ''}
                    </span>
                  </div>
                </div>
              );
            })}
          </div>
        ))}
      </div>
    </div>
  );
}
