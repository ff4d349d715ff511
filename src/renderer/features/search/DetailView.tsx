/**
 * One result in full: the image, its facts, and what a merchandiser does next (reveal the file, copy its
 * path, search for lookalikes of it). Left/Right step through the results without closing.
 */
import { useState, type KeyboardEvent } from 'react';
import { imagePath } from '../../../shared/web';
import type { ErrorPayload } from '../../../shared/errors';
import { Modal } from '../../components/Modal';
import { useI18n } from '../../i18n';
import { useClient } from '../../lib/client-context';
import { toPayload, unwrap } from '../../lib/errors';
import { baseName, formatBytes, formatDate, formatScore } from '../../lib/format';
import { SearchIcon, XIcon } from '../../components/Icons';
import { ErrorNotice } from '../../components/ErrorNotice';
import type { SearchHit } from './use-search';

interface Props {
  hits: SearchHit[];
  index: number;
  onIndexChange: (index: number) => void;
  onClose: () => void;
  onSearchSimilar: (hit: SearchHit) => void;
}

export function DetailView({ hits, index, onIndexChange, onClose, onSearchSimilar }: Props) {
  const { t, lang } = useI18n();
  const client = useClient();
  const [copied, setCopied] = useState(false);
  const [error, setError] = useState<ErrorPayload | null>(null);
  const hit = hits[index];
  if (!hit) return null;
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
          <img src={client.mediaUrl(imagePath(hit.id))} alt={name} />
        </div>
        <div className="detail-side">
          <header className="detail-head">
            <h2 title={name}>{name}</h2>
            <span className="score score-inline">{formatScore(hit.score)}</span>
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
            <dt>{t.detail.dimensions}</dt>
            <dd>{hit.width && hit.height ? `${hit.width} × ${hit.height}` : t.detail.unknown}</dd>
            <dt>{t.detail.fileSize}</dt>
            <dd>{formatBytes(hit.size, lang)}</dd>
            <dt>{t.detail.format}</dt>
            <dd>{hit.format?.toUpperCase() ?? t.detail.unknown}</dd>
            <dt>{t.detail.modified}</dt>
            <dd>{formatDate(hit.mtimeMs, lang)}</dd>
          </dl>
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
