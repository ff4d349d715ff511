/**
 * Two files of a group side by side at the same zoom (slider, or click an image to toggle 1× / 2×), with the
 * facts that differ between them highlighted.
 */
import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { imagePath } from '../../../shared/web';
import { useI18n } from '../../i18n';
import { useClient } from '../../lib/client-context';
import { baseName, formatBytes, formatDate } from '../../lib/format';
import { FACTS, differs, folderOf, type Fact, type FactItem } from './item-facts';
import { PathText } from '../../components/PathText';

/** One side of the comparison, with the chip shown under its image. */
export interface CompareSide {
  item: FactItem;
  chip: string;
  chipClass: string;
}

interface Props {
  left: CompareSide;
  right: CompareSide;
  title: string;
  /** The last row: how the two relate (agreement for duplicates, similarity and verdict for a match). */
  relation: { label: string; value: string };
  /** Why the two are duplicates (rotated 90°, contained in, cropped...), when known. */
  reason?: { label: string; value: string } | undefined;
  onClose: () => void;
  /** Extra actions in the head (not a duplicate, accept / reject). */
  actions?: ReactNode;
}

export function ComparePane({ left, right, title, relation, reason, onClose, actions }: Props) {
  const { t, lang } = useI18n();
  const client = useClient();
  const id = useId();
  const [zoom, setZoom] = useState(1);
  const panes = useRef<(HTMLDivElement | null)[]>([]);

  const value = (item: FactItem, fact: Fact): string => {
    switch (fact) {
      case 'size':
        return formatBytes(item.size, lang);
      case 'resolution':
        return item.width && item.height ? `${item.width} × ${item.height}` : t.detail.unknown;
      case 'format':
        return item.format?.toUpperCase() ?? t.detail.unknown;
      case 'date':
        return formatDate(item.mtimeMs, lang);
      case 'folder':
        return folderOf(item.path);
    }
  };

  // A new zoom level starts centred, where a product usually is; scrolling then moves both panes.
  useEffect(() => {
    for (const pane of panes.current) {
      if (!pane) continue;
      pane.scrollLeft = (pane.scrollWidth - pane.clientWidth) / 2;
      pane.scrollTop = (pane.scrollHeight - pane.clientHeight) / 2;
    }
  }, [zoom]);

  // Both panes scroll together, so the same detail stays under the eye at any zoom.
  const syncScroll = (from: number) => {
    const src = panes.current[from];
    if (!src) return;
    for (const [i, pane] of panes.current.entries()) {
      if (i !== from && pane && (pane.scrollLeft !== src.scrollLeft || pane.scrollTop !== src.scrollTop)) {
        pane.scrollLeft = src.scrollLeft;
        pane.scrollTop = src.scrollTop;
      }
    }
  };

  const sides = [left, right];
  const items = [left.item, right.item];
  return (
    <section className="compare" aria-label={title} data-testid="compare">
      <div className="compare-head">
        <h3 className="section-title">{title}</h3>
        <label className="control control-slider compare-zoom">
          <span>
            {t.dupes.zoom} <output htmlFor={`${id}-zoom`}>{`${zoom.toFixed(1)}×`}</output>
          </span>
          <input
            id={`${id}-zoom`}
            type="range"
            min={1}
            max={6}
            step={0.5}
            value={zoom}
            data-testid="compare-zoom"
            onChange={(e) => setZoom(Number(e.target.value))}
          />
        </label>
        {actions}
        <button type="button" className="icon-button" onClick={onClose} aria-label={t.detail.close} title={t.detail.close}>
          ×
        </button>
      </div>
      <div className="compare-grid">
        {sides.map(({ item, chip, chipClass }, i) => (
          <figure key={item.id} className="compare-side">
            <div
              className={`compare-image ${zoom > 1 ? 'is-zoomed' : ''}`}
              ref={(el) => {
                panes.current[i] = el;
              }}
              onScroll={() => syncScroll(i)}
            >
              <img
                src={client.mediaUrl(imagePath(item.id))}
                alt={baseName(item.path)}
                style={{ width: `${zoom * 100}%` }}
                data-testid="compare-image"
                onClick={() => setZoom((z) => (z > 1 ? 1 : 2))}
                title={zoom > 1 ? t.dupes.zoomOut : t.dupes.zoomIn}
                draggable={false}
              />
            </div>
            <figcaption>
              <span className={`role-chip ${chipClass}`}>{chip}</span>
              <span className="compare-name" title={item.path}>
                {baseName(item.path)}
              </span>
            </figcaption>
          </figure>
        ))}
      </div>
      <table className="compare-facts" data-testid="compare-facts">
        <tbody>
          {FACTS.map((fact) => {
            const diff = differs(left.item, right.item, fact);
            return (
              <tr key={fact} className={diff ? 'is-different' : undefined} data-fact={fact} data-different={diff}>
                <th scope="row">{t.dupes.fact[fact]}</th>
                {items.map((item) => (
                  <td key={item.id} className={fact === 'folder' ? 'mono compare-path' : undefined}>
                    {fact === 'folder' ? <PathText path={value(item, fact)} /> : value(item, fact)}
                  </td>
                ))}
                <td className="compare-flag">{diff ? t.dupes.different : ''}</td>
              </tr>
            );
          })}
          <tr>
            <th scope="row">{relation.label}</th>
            <td>—</td>
            <td data-testid="compare-relation">{relation.value}</td>
            <td />
          </tr>
          {reason && (
            <tr>
              <th scope="row">{reason.label}</th>
              <td>—</td>
              <td data-testid="compare-reason">{reason.value}</td>
              <td />
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}
