/** The sidebar: add a folder, watch indexing, and manage collections and their folders. */
import { useState } from 'react';
import type { ErrorPayload } from '../../../shared/errors';
import { EmptyState } from '../../components/EmptyState';
import { ErrorNotice } from '../../components/ErrorNotice';
import { LibraryIcon } from '../../components/Icons';
import { useI18n } from '../../i18n';
import { AddFolderForm } from './AddFolderForm';
import { CollectionCard } from './CollectionCard';
import { FailedFilesDialog } from './FailedFilesDialog';
import { IndexProgressCard } from './IndexProgressCard';
import type { Collection, IndexSummary, Progress } from './use-library';

interface Props {
  collections: Collection[] | null;
  progress: Progress | null;
  last: IndexSummary | null;
  error: ErrorPayload | null;
  clearError: () => void;
  act: <T>(op: () => Promise<T>) => Promise<T | undefined>;
}

export function LibraryPanel({ collections, progress, last, error, clearError, act }: Props) {
  const { t } = useI18n();
  const [failuresOf, setFailuresOf] = useState<string | null>(null);
  const running = progress !== null && !['done', 'cancelled', 'failed'].includes(progress.phase);

  return (
    <aside className="sidebar" aria-labelledby="library-title">
      <h2 id="library-title" className="panel-title">
        {t.library.title}
      </h2>
      <AddFolderForm collections={collections ?? []} act={act} />
      {error && <ErrorNotice error={error} onDismiss={clearError} />}
      <IndexProgressCard progress={progress} last={last} act={act} />
      {collections && collections.length === 0 && (
        <EmptyState icon={<LibraryIcon size={28} />}>{t.library.empty}</EmptyState>
      )}
      {collections && collections.length > 0 && (
        <ul className="collections" aria-label={t.library.title}>
          {collections.map((c) => (
            <CollectionCard
              key={c.id}
              collection={c}
              busy={running}
              indexing={running && progress.collection === c.name ? progress : null}
              partial={!running && last?.collection === c.name && last.cancelled}
              act={act}
              onShowFailures={setFailuresOf}
            />
          ))}
        </ul>
      )}
      {failuresOf && <FailedFilesDialog collection={failuresOf} busy={running} act={act} onClose={() => setFailuresOf(null)} />}
    </aside>
  );
}
