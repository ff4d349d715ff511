/**
 * The browser host's folder picker: the server lists the sub-folders of one folder at a time (folders only; system
 * folders are never offered). The desktop host uses the native dialog instead.
 */
import { useCallback, useEffect, useState } from 'react';
import type { ErrorPayload } from '../../../shared/errors';
import { ErrorNotice } from '../../components/ErrorNotice';
import { FolderIcon } from '../../components/Icons';
import { Modal } from '../../components/Modal';
import { useI18n } from '../../i18n';
import type { Output } from '../../lib/api';
import { useClient } from '../../lib/client-context';
import { toPayload, unwrap } from '../../lib/errors';
import { latestGate } from '../../lib/latest';

type Listing = Output<'libraryBrowseFolders'>;

interface Props {
  /** Where to open: the path typed so far, when it names a folder; else the home folder. */
  start: string;
  onPick: (path: string) => void;
  onClose: () => void;
}

export function FolderBrowserDialog({ start, onPick, onClose }: Props) {
  const { t } = useI18n();
  const client = useClient();
  const [listing, setListing] = useState<Listing | null>(null);
  const [error, setError] = useState<ErrorPayload | null>(null);

  // Clicking through folders faster than they list: only the folder clicked last is shown.
  const [gate] = useState(latestGate);
  const open = useCallback(
    async (path: string | undefined, fallBackHome: boolean): Promise<void> => {
      const current = gate.begin();
      try {
        const listed = await unwrap(client.api.libraryBrowseFolders(path === undefined ? {} : { path }));
        if (!current()) return;
        setListing(listed);
        setError(null);
      } catch (err) {
        if (!current()) return;
        // A half-typed path is no reason to show an error before the user did anything: start at home.
        if (fallBackHome) return open(undefined, false);
        setError(toPayload(err));
      }
    },
    [client, gate],
  );

  useEffect(() => {
    const typed = start.trim();
    void open(typed === '' ? undefined : typed, true);
  }, [open, start]);

  return (
    <Modal label={t.picker.title} onClose={onClose} className="picker-dialog">
      <header className="modal-head">
        <h2>{t.picker.title}</h2>
        <button type="button" className="icon-button" onClick={onClose} aria-label={t.picker.cancel} title={t.picker.cancel}>
          ×
        </button>
      </header>
      <div className="picker-body" data-testid="folder-picker">
        <div className="picker-nav">
          <button
            type="button"
            className="button button-small"
            disabled={!listing?.parent}
            onClick={() => listing?.parent && void open(listing.parent, false)}
            data-testid="picker-up"
          >
            ↑ {t.picker.up}
          </button>
          <button type="button" className="button button-small" onClick={() => void open(undefined, false)}>
            {t.picker.home}
          </button>
          <span className="picker-path mono small" data-testid="picker-path" title={listing?.path}>
            <bdi>{listing?.path ?? ''}</bdi>
          </span>
        </div>
        {error && <ErrorNotice error={error} onDismiss={() => setError(null)} />}
        {listing && (
          <ul className="picker-list" aria-label={t.picker.folders}>
            {listing.folders.map((f) => (
              <li key={f.path}>
                <button type="button" className="picker-entry" onClick={() => void open(f.path, false)} title={t.picker.open(f.name)}>
                  <FolderIcon /> <bdi>{f.name}</bdi>
                </button>
              </li>
            ))}
            {listing.folders.length === 0 && <li className="muted small picker-empty">{t.picker.empty}</li>}
            {listing.truncated && <li className="muted small picker-empty">{t.picker.truncated(listing.folders.length)}</li>}
          </ul>
        )}
      </div>
      <div className="modal-foot">
        <button type="button" className="button" onClick={onClose}>
          {t.picker.cancel}
        </button>
        <button
          type="button"
          className="button button-primary"
          disabled={!listing}
          onClick={() => listing && onPick(listing.path)}
          data-testid="picker-choose"
        >
          {t.picker.choose}
        </button>
      </div>
    </Modal>
  );
}
