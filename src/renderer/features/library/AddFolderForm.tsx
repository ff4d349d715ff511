/**
 * Adds a folder to a collection and starts indexing it: a path field everywhere (`~/x` works), the native picker on
 * desktop and the server's folder browser in a browser.
 */
import { useId, useState, type FormEvent } from 'react';
import { useI18n } from '../../i18n';
import { useClient } from '../../lib/client-context';
import { unwrap } from '../../lib/errors';
import { FolderIcon } from '../../components/Icons';
import { FolderBrowserDialog } from './FolderBrowserDialog';
import type { Collection } from './use-library';

interface Props {
  collections: Collection[];
  act: <T>(op: () => Promise<T>) => Promise<T | undefined>;
}

export function AddFolderForm({ collections, act }: Props) {
  const { t } = useI18n();
  const client = useClient();
  const ids = useId();
  const [collection, setCollection] = useState('');
  const [path, setPath] = useState('');
  const [busy, setBusy] = useState(false);
  const [browsing, setBrowsing] = useState(false);
  const pickFolder = client.pickFolder;

  const browse = async () => {
    if (!pickFolder) return setBrowsing(true);
    const picked = await act(() => unwrap(pickFolder({})));
    if (picked?.path) setPath(picked.path);
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    const name = collection.trim();
    const added = await act(() => unwrap(client.api.libraryAddFolder({ collection: name, path: path.trim() })));
    if (added) {
      await act(() => unwrap(client.api.indexStart({ collection: name })));
      // The next folder is as likely to belong elsewhere: a name left in the field sent folders to the wrong one.
      setPath('');
      setCollection('');
    }
    setBusy(false);
  };

  return (
    <form className="add-folder" onSubmit={(e) => void submit(e)} aria-labelledby={`${ids}-title`}>
      <h3 id={`${ids}-title`} className="section-title">
        {t.library.addFolder}
      </h3>
      <label className="field">
        <span>{t.library.collection}</span>
        <input
          name="collection"
          required
          maxLength={64}
          list={`${ids}-collections`}
          placeholder={t.library.collectionPlaceholder}
          value={collection}
          onChange={(e) => setCollection(e.target.value)}
        />
        <datalist id={`${ids}-collections`}>
          {collections.map((c) => (
            <option key={c.id} value={c.name} />
          ))}
        </datalist>
      </label>
      <label className="field">
        <span>{t.library.folderPath}</span>
        <div className="field-row">
          <input
            name="path"
            required
            spellCheck={false}
            autoComplete="off"
            placeholder={t.library.folderPathPlaceholder}
            value={path}
            onChange={(e) => setPath(e.target.value)}
          />
          <button type="button" className="button" onClick={() => void browse()} data-testid="browse-folders">
            <FolderIcon /> {t.library.browse}
          </button>
        </div>
      </label>
      {browsing && (
        <FolderBrowserDialog
          start={path}
          onClose={() => setBrowsing(false)}
          onPick={(picked) => {
            setPath(picked);
            setBrowsing(false);
          }}
        />
      )}
      <button type="submit" className="button button-primary" disabled={busy}>
        {busy ? t.library.adding : t.library.add}
      </button>
    </form>
  );
}
