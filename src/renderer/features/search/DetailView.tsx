/**
 * One result in full: the image, its facts, and what a merchandiser does next (reveal the file, copy its
 * path, search for lookalikes of it). Left/Right step through the results without closing.
 */
import { useEffect, useState, type KeyboardEvent } from 'react';
import { imagePath } from '../../../shared/web';
import type { ErrorPayload } from '../../../shared/errors';
import { Modal } from '../../components/Modal';
import { useI18n } from '../../i18n';
import { useClient } from '../../lib/client-context';
import { toPayload, unwrap } from '../../lib/errors';
import type { Output } from '../../lib/api';
import { baseName, formatBytes, formatDate, formatPrice } from '../../lib/format';
import { VerdictBadge } from '../../components/VerdictBadge';
import { SearchIcon, XIcon } from '../../components/Icons';
import { ErrorNotice } from '../../components/ErrorNotice';
import type { SearchHit } from './use-search';

interface Props {
  hits: SearchHit[];
  index: number;
  onIndexChange: (index: number) => void;
  onClose: () => void;
  onSearchSimilar: (hit: SearchHit) => void;
  /** Searches the library for photos whose product data or OCR text contains `text`. */
  onFindText: (text: string) => void;
}

type ItemText = Output<'itemsText'>;

export function DetailView({ hits, index, onIndexChange, onClose, onSearchSimilar, onFindText }: Props) {
  const { t, lang } = useI18n();
  const client = useClient();
  const [copied, setCopied] = useState(false);
  const [error, setError] = useState<ErrorPayload | null>(null);
  const [ocr, setOcr] = useState<{ id: number; text: ItemText } | null>(null);
  const [natural, setNatural] = useState<{ id: number; width: number; height: number } | null>(null);
  const [hot, setHot] = useState<number | null>(null);
  const hit = hits[index];
  const hitId = hit?.id;

  // The text OCR read (null when the collection has OCR off or this photo was not read yet).
  useEffect(() => {
    if (hitId === undefined) return;
    let live = true;
    setHot(null);
    client.api
      .itemsText({ id: hitId })
      .then((res) => {
        if (live && res.ok) setOcr({ id: hitId, text: res.value });
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [client, hitId]);

  if (!hit) return null;
  const text = ocr?.id === hit.id ? ocr.text : null;
  const size = natural?.id === hit.id ? natural : hit.width && hit.height ? { width: hit.width, height: hit.height } : null;
  const product = hit.product;
  const name = baseName(hit.path);
  const showInFolder = client.showInFolder;

  const go = (next: number) => {
    if (next < 0 || next >= hits.length) return;
    setCopied(false);
    onIndexChange(next);
  };
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.target instanceof HTMLButtonElement && (e.key === 'Enter' || e.key === ' ')) return;
    if (e.key === 'ArrowLeft') go(index - 1);
    else if (e.key === 'ArrowRight') go(index + 1);
  };
  const copyPath = async () => {
    try {
      await navigator.clipboard.writeText(hit.path);
      setCopied(true);
    } catch (err) {
      setError(toPayload(err));
    }
  };

  return (
    <Modal label={t.detail.title} onClose={onClose} className="detail">
      <div className="detail-body" onKeyDown={onKeyDown} data-testid="detail">
        <div className="detail-image">
          <img
            src={client.mediaUrl(imagePath(hit.id))}
            alt={name}
            onLoad={(e) => setNatural({ id: hit.id, width: e.currentTarget.naturalWidth, height: e.currentTarget.naturalHeight })}
          />
          {text && size && text.lines.length > 0 && (
            // Same box and aspect rule as the image (object-fit: contain ≙ xMidYMid meet), so boxes land on the text.
            <svg className="ocr-overlay" viewBox={`0 0 ${size.width} ${size.height}`} preserveAspectRatio="xMidYMid meet" aria-hidden="true" data-testid="ocr-overlay">
              {text.lines.map((line, i) => (
                <polygon key={i} points={line.box.map(([x, y]) => `${x},${y}`).join(' ')} className={hot === i ? 'is-hot' : undefined} />
              ))}
            </svg>
          )}
        </div>
        <div className="detail-side">
          <header className="detail-head">
            <h2 title={name}>{name}</h2>
            <VerdictBadge hit={hit} kind={hit.matchedBy ?? 'image'} className="score score-inline" />
            <button type="button" className="icon-button" onClick={onClose} aria-label={t.detail.close} title={t.detail.close}>
              <XIcon />
            </button>
          </header>
          <dl className="facts">
            <dt>{t.detail.path}</dt>
            <dd className="mono" data-testid="detail-path">
              {hit.path}
            </dd>
            <dt>{t.detail.collection}</dt>
            <dd>{hit.collection}</dd>
            {hit.via && (
              <>
                <dt>{t.detail.matchedVia}</dt>
                <dd className="mono" data-testid="detail-via" title={t.results.viaTitle(hit.via.path)}>
                  {hit.via.path}
                </dd>
              </>
            )}
            <dt>{t.detail.dimensions}</dt>
            <dd>{hit.width && hit.height ? `${hit.width} × ${hit.height}` : t.detail.unknown}</dd>
            <dt>{t.detail.fileSize}</dt>
            <dd>{formatBytes(hit.size, lang)}</dd>
            <dt>{t.detail.format}</dt>
            <dd>{hit.format?.toUpperCase() ?? t.detail.unknown}</dd>
            <dt>{t.detail.modified}</dt>
            <dd>{formatDate(hit.mtimeMs, lang)}</dd>
          </dl>
          {hit.copies && hit.copies.length > 0 && (
            <section aria-label={t.detail.copiesTitle(hit.copies.length + 1)}>
              <h3 className="section-title">{t.detail.copiesTitle(hit.copies.length + 1)}</h3>
              <ul className="copy-paths" data-testid="detail-copies">
                {[hit, ...hit.copies].map((c) => (
                  <li key={c.id} className="mono" title={c.path}>
                    {c.path}
                    {c.collection !== hit.collection && <span className="muted"> · {c.collection}</span>}
                  </li>
                ))}
              </ul>
            </section>
          )}
          {product && (
            <section aria-label={t.detail.product}>
              <h3 className="section-title">{t.detail.product}</h3>
              <dl className="facts" data-testid="detail-product">
                <dt>{t.detail.sku}</dt>
                <dd className="mono">{product.sku}</dd>
                {product.title && (
                  <>
                    <dt>{t.detail.productTitle}</dt>
                    <dd>{product.title}</dd>
                  </>
                )}
                {product.brand && (
                  <>
                    <dt>{t.detail.brand}</dt>
                    <dd>{product.brand}</dd>
                  </>
                )}
                {product.category && (
                  <>
                    <dt>{t.detail.category}</dt>
                    <dd>{product.category}</dd>
                  </>
                )}
                {product.price !== null && (
                  <>
                    <dt>{t.detail.price}</dt>
                    <dd>{formatPrice(product.price, product.currency, lang)}</dd>
                  </>
                )}
              </dl>
            </section>
          )}
          {text && text.lines.length > 0 && (
            <section aria-label={t.detail.ocrTitle}>
              <h3 className="section-title">{t.detail.ocrTitle}</h3>
              <ul className="ocr-lines" data-testid="ocr-lines">
                {text.lines.map((line, i) => (
                  <li key={i} onMouseEnter={() => setHot(i)} onMouseLeave={() => setHot(null)}>
                    <span title={line.text}>{line.text}</span>
                    <button
                      type="button"
                      className="button button-small"
                      onFocus={() => setHot(i)}
                      onBlur={() => setHot(null)}
                      onClick={() => onFindText(line.text)}
                      aria-label={t.detail.findTextLabel(line.text)}
                    >
                      <SearchIcon /> {t.detail.findText}
                    </button>
                  </li>
                ))}
              </ul>
            </section>
          )}
          {error && <ErrorNotice error={error} onDismiss={() => setError(null)} />}
          <div className="detail-actions">
            <button type="button" className="button button-primary" onClick={() => onSearchSimilar(hit)}>
              <SearchIcon /> {t.detail.searchSimilar}
            </button>
            {showInFolder && (
              <button
                type="button"
                className="button"
                onClick={() => void unwrap(showInFolder({ id: hit.id })).catch((err: unknown) => setError(toPayload(err)))}
              >
                {t.detail.showInFolder}
              </button>
            )}
            <button type="button" className="button" onClick={() => void copyPath()}>
              {copied ? t.detail.copied : t.detail.copyPath}
            </button>
          </div>
          <nav className="detail-nav">
            <button type="button" className="button" disabled={index === 0} onClick={() => go(index - 1)}>
              ← {t.detail.previous}
            </button>
            <span className="muted small">
              {index + 1} / {hits.length}
            </span>
            <button type="button" className="button" disabled={index >= hits.length - 1} onClick={() => go(index + 1)}>
              {t.detail.next} →
            </button>
          </nav>
        </div>
      </div>
    </Modal>
  );
}
