/**
 * Confirms a removal: exactly which files go where (the OS trash, or a folder), with counts and bytes. The
 * browser host takes the folder as a typed absolute path; the desktop app can also pick it natively.
 */
import { useId, useState } from 'react';
import type { ErrorPayload } from '../../../shared/errors';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Modal } from '../../components/Modal';
import { useI18n } from '../../i18n';
import { useClient } from '../../lib/client-context';
import { baseName, formatBytes } from '../../lib/format';
import type { DupeItem } from './use-duplicates';

type Mode = 'trash' | 'move';

interface Props {
  items: DupeItem[];
  busy: boolean;
  /** The last attempt's error, shown here so the destination can be corrected without losing the list. */
  error: ErrorPayload | null;
  onDismissError: () => void;
  onConfirm: (destination: string | null) => void;
  onClose: () => void;
}

const isAbsolute = (p: string) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\');

export function ApplyDialog({ items, busy, error, onDismissError, onConfirm, onClose }: Props) {
  const { t, lang } = useI18n();
  const client = useClient();
  const ids = useId();
  const [mode, setMode] = useState<Mode>('trash');
  const [folder, setFolder] = useState('');
  const bytes = items.reduce((sum, i) => sum + i.size, 0);
  const folderOk = mode === 'trash' || isAbsolute(folder.trim());
  const sep = folder.includes('\\') && !folder.includes('/') ? '\\' : '/';
  const target = (item: DupeItem) =>
    mode === 'trash' ? t.dupes.apply.toTrash : `${folder.trim().replace(/[\\/]+$/, '')}${sep}${baseName(item.path)}`;

  const pick = async () => {
    if (!client.pickFolder) return;
    const res = await client.pickFolder({});
    if (res.ok && res.value.path) setFolder(res.value.path);
  };

  return (
    <Modal label={t.dupes.apply.title} onClose={onClose} className="apply-dialog">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (folderOk) onConfirm(mode === 'trash' ? null : folder.trim());
        }}
      >
        <div className="modal-head">
          <h2>{t.dupes.apply.title}</h2>
          <button type="button" className="icon-button" onClick={onClose} aria-label={t.failures.close} title={t.failures.close}>
            ×
          </button>
        </div>
        <div className="apply-body">
          <fieldset className="apply-modes">
            <legend className="section-title">{t.dupes.apply.where}</legend>
            <label>
              <input type="radio" name={`${ids}-mode`} checked={mode === 'trash'} onChange={() => setMode('trash')} />
              {t.dupes.apply.trash}
            </label>
            <label>
              <input type="radio" name={`${ids}-mode`} checked={mode === 'move'} onChange={() => setMode('move')} />
              {t.dupes.apply.move}
            </label>
          </fieldset>
          {mode === 'move' && (
            <label className="field">
              <span>{t.dupes.apply.folder}</span>
              <div className="field-row">
                <input
                  value={folder}
                  onChange={(e) => setFolder(e.target.value)}
                  placeholder={t.library.folderPathPlaceholder}
                  spellCheck={false}
                  aria-invalid={folder !== '' && !folderOk}
                  data-testid="apply-folder"
                  autoFocus
                />
                {client.pickFolder && (
                  <button type="button" className="button" onClick={() => void pick()}>
                    {t.library.browse}
                  </button>
                )}
              </div>
              {folder !== '' && !folderOk && <span className="text-warn small">{t.dupes.apply.absolute}</span>}
            </label>
          )}
          <p className="apply-summary" data-testid="apply-summary">
            {mode === 'trash'
              ? t.dupes.apply.summaryTrash(items.length, formatBytes(bytes, lang))
              : t.dupes.apply.summaryMove(items.length, formatBytes(bytes, lang))}
          </p>
          {error && <ErrorNotice error={error} onDismiss={onDismissError} />}
          <div className="table-scroll apply-list">
            <table className="failures">
              <thead>
                <tr>
                  <th>{t.dupes.apply.file}</th>
                  <th>{t.detail.fileSize}</th>
                  <th>{t.dupes.apply.goesTo}</th>
                </tr>
              </thead>
              <tbody>
                {items.map((item) => (
                  <tr key={item.id} data-testid="apply-row">
                    <td className="mono">{item.path}</td>
                    <td className="nowrap">{formatBytes(item.size, lang)}</td>
                    <td className="mono">{mode === 'move' && !folderOk ? '—' : target(item)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
        <div className="modal-foot">
          <button type="button" className="button" onClick={onClose}>
            {t.dupes.apply.cancel}
          </button>
          <button type="submit" className="button button-primary button-danger-fill" disabled={busy || !folderOk || items.length === 0}>
            {mode === 'trash' ? t.dupes.apply.confirmTrash(items.length) : t.dupes.apply.confirmMove(items.length)}
          </button>
        </div>
      </form>
    </Modal>
  );
}
