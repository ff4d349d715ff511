/** The files of a collection that could not be indexed, each with its code's plain reason. */
import { useEffect, useState } from 'react';
import type { ErrorPayload } from '../../../shared/errors';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Modal } from '../../components/Modal';
import { useI18n } from '../../i18n';
import { en } from '../../i18n/en';
import type { Output } from '../../lib/api';
import { useClient } from '../../lib/client-context';
import { toPayload, unwrap } from '../../lib/errors';

type Failed = Output<'libraryErrors'>;

interface Props {
  collection: string;
  /** An index job is running: "Index downscaled" waits for it. */
  busy: boolean;
  act: <T>(op: () => Promise<T>) => Promise<T | undefined>;
  onClose: () => void;
}

export function FailedFilesDialog({ collection, busy, act, onClose }: Props) {
  const { t } = useI18n();
  const client = useClient();
  const [failed, setFailed] = useState<Failed | null>(null);
  const [error, setError] = useState<ErrorPayload | null>(null);

  useEffect(() => {
    unwrap(client.api.libraryErrors({ collection })).then(setFailed, (err: unknown) => setError(toPayload(err)));
  }, [client, collection]);

  const downscalable = failed?.filter((f) => f.downscalable).length ?? 0;

  return (
    <Modal label={t.failures.title} onClose={onClose} className="failures-dialog">
      <header className="modal-head">
        <h2>
          {t.failures.title} · {collection}
        </h2>
        <button type="button" className="button" onClick={onClose} autoFocus>
          {t.failures.close}
        </button>
      </header>
      {error && <ErrorNotice error={error} />}
      {downscalable > 0 && (
        <div className="failures-offer" data-testid="downscale-offer">
          <p>{t.failures.downscaleOffer(downscalable)}</p>
          <button
            type="button"
            className="button button-primary"
            disabled={busy}
            onClick={() => {
              // Kept as the collection's setting, so a rescan takes the next oversized photo too.
              void act(() => unwrap(client.api.indexStart({ collection, downscale: true })));
              onClose();
            }}
          >
            {t.failures.downscale}
          </button>
        </div>
      )}
      {failed && failed.length === 0 && <p className="muted">{t.failures.empty}</p>}
      {failed && failed.length > 0 && (
        <div className="table-scroll">
          <table className="failures" data-testid="failures">
            <thead>
              <tr>
                <th scope="col">{t.failures.file}</th>
                <th scope="col">{t.failures.reason}</th>
              </tr>
            </thead>
            <tbody>
              {failed.map((f) => (
                <tr key={f.path}>
                  <td className="mono">{f.path}</td>
                  <td>
                    <span>{t.errors[f.code]}</span> <code className="notice-code">{f.code}</code>
                    {f.downscalable && <span className="tag-note">{t.failures.downscalable}</span>}
                    {/* The engine's reason is English; when it only repeats the plain message, once is enough. */}
                    {f.reason && f.reason !== t.errors[f.code] && f.reason !== en.errors[f.code] && (
                      <div className="muted small" data-testid="failure-reason">
                        {f.reason}
                      </div>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Modal>
  );
}
