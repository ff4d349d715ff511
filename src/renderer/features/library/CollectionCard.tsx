/** One collection: its folders (each removable), counts, rescan, and the way to its failed files. */
import { useState } from 'react';
import { useI18n } from '../../i18n';
import { useClient } from '../../lib/client-context';
import { unwrap } from '../../lib/errors';
import { FolderIcon, RefreshIcon, XIcon } from '../../components/Icons';
import { ImportCsvDialog } from './ImportCsvDialog';
import type { Collection, Progress } from './use-library';

interface Props {
  collection: Collection;
  busy: boolean;
  /** The running index job's progress, when it is indexing this collection. */
  indexing: Progress | null;
  /** Its last index run was cancelled: not every file is in. */
  partial: boolean;
  act: <T>(op: () => Promise<T>) => Promise<T | undefined>;
  onShowFailures: (collection: string) => void;
}

export function CollectionCard({ collection, busy, indexing, partial, act, onShowFailures }: Props) {
  const { t } = useI18n();
  const client = useClient();
  const [confirming, setConfirming] = useState<string | null>(null);
  const [importing, setImporting] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const name = collection.name;

  return (
    <li className="collection" data-testid="collection" data-collection={name}>
      <div className="collection-head">
        <div className="collection-title">
          <strong>{name}</strong>
          {/* While indexing, the count of what is already in says less than the progress ("0 images" read as empty). */}
          {!indexing && (
            <span className="muted small" data-testid="collection-count">
              {/* Catalogued photos count: duplicates already see the pending ones (the tag says they are not searchable yet). */}
              {t.library.images(collection.itemCount + (collection.pendingCount ?? 0))}
            </span>
          )}
          {indexing ? (
            // A progressive run's first pass, then the model's: which stage the collection is at, and what it can do.
            indexing.phase === 'fingerprinting' ? (
              <span className="tag tag-busy" data-testid="collection-state" data-state="cataloguing" title={t.library.cataloguingHint}>
                {t.library.cataloguing(indexing.done, indexing.total)}
              </span>
            ) : (
              <span className="tag tag-busy" data-testid="collection-state" data-state="indexing" title={collection.pendingCount ? t.library.pendingHint : undefined}>
                {t.library.indexing(indexing.done, indexing.total)}
              </span>
            )
          ) : collection.pendingCount ? (
            <span className="tag tag-warn" data-testid="collection-state" data-state="pending" title={t.library.pendingHint}>
              {t.library.pending(collection.pendingCount)}
            </span>
          ) : partial ? (
            <span className="tag tag-warn" data-testid="collection-state" data-state="partial" title={t.library.partialHint}>
              {t.library.partial}
            </span>
          ) : null}
        </div>
        <button
          type="button"
          className="button button-small"
          disabled={busy}
          onClick={() => void act(() => unwrap(client.api.indexStart({ collection: name })))}
        >
          <RefreshIcon /> {t.library.rescan}
        </button>
      </div>
      <ul className="roots">
        {collection.roots.map((root) => (
          <li key={root.path} className="root">
            <FolderIcon />
            <span className="root-path" title={root.path}>
              <bdi>{root.path}</bdi>
            </span>
            {/* A reference folder's files are never selected for removal (the engine refuses to move them). */}
            <button
              type="button"
              className={`tag tag-toggle ${root.reference ? 'is-on' : ''}`}
              aria-pressed={root.reference}
              title={t.library.referenceHint}
              data-testid="root-reference"
              onClick={() => void act(() => unwrap(client.api.libraryAddFolder({ collection: name, path: root.path, reference: !root.reference })))}
            >
              {root.reference ? `✓ ${t.library.reference}` : t.library.markReference}
            </button>
            {confirming === root.path ? (
              <span className="confirm" role="group" aria-label={t.library.confirmRemove}>
                <span className="small">{t.library.confirmRemove}</span>
                <button
                  type="button"
                  className="button button-small button-danger"
                  onClick={() => {
                    setConfirming(null);
                    void act(() => unwrap(client.api.libraryRemoveFolder({ collection: name, path: root.path })));
                  }}
                >
                  {t.library.confirmYes}
                </button>
                <button type="button" className="button button-small" onClick={() => setConfirming(null)}>
                  {t.library.confirmNo}
                </button>
              </span>
            ) : (
              <button
                type="button"
                className="icon-button"
                aria-label={t.library.removeFolder(root.path)}
                title={t.library.remove}
                onClick={() => setConfirming(root.path)}
              >
                <XIcon />
              </button>
            )}
          </li>
        ))}
      </ul>
      <div className="collection-foot">
        <button type="button" className="link-button small" onClick={() => setImporting(true)} data-testid="import-csv">
          {t.importCsv.open}
        </button>
        {collection.failedCount > 0 && (
          <button type="button" className="link-button text-warn small" onClick={() => onShowFailures(name)}>
            {t.library.failed(collection.failedCount)}
          </button>
        )}
        <button
          type="button"
          className="link-button small text-danger collection-delete"
          disabled={busy}
          onClick={() => setDeleting(true)}
          data-testid="delete-collection"
        >
          {t.library.deleteCollection}
        </button>
      </div>
      {deleting && (
        <div className="confirm confirm-block" role="alertdialog" aria-label={t.library.deleteCollection} data-testid="confirm-delete">
          <span className="small">{t.library.confirmDelete(name)}</span>
          <span className="confirm-buttons">
            <button
              type="button"
              className="button button-small button-danger"
              onClick={() => {
                setDeleting(false);
                void act(() => unwrap(client.api.libraryForget({ collection: name })));
              }}
            >
              {t.library.deleteYes}
            </button>
            <button type="button" className="button button-small" onClick={() => setDeleting(false)} autoFocus>
              {t.library.deleteNo}
            </button>
          </span>
        </div>
      )}
      {importing && (
        <ImportCsvDialog collection={name} onClose={() => setImporting(false)} onImported={() => void act(async () => undefined)} />
      )}
    </li>
  );
}
