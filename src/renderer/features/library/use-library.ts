/**
 * Library state: collections, catalog stats and the live indexing progress. Lists are reloaded when a job
 * ends, so counts and failures follow what the engine actually stored.
 */
import { useCallback, useEffect, useState } from 'react';
import type { EventOf, Output } from '../../lib/api';
import type { ErrorPayload } from '../../../shared/errors';
import { useClient } from '../../lib/client-context';
import { toPayload, unwrap } from '../../lib/errors';
import { latestGate } from '../../lib/latest';

export type Collection = Output<'libraryListCollections'>[number];
export type Stats = Output<'libraryStats'>;
export type Progress = EventOf<'indexOnProgress'>;
export type IndexSummary = NonNullable<Output<'indexStatus'>['last']>;

const FINAL_PHASES: ReadonlySet<Progress['phase']> = new Set(['done', 'cancelled', 'failed']);

/** @param onChanged called whenever the library's content may have changed (a job ended, a folder went). */
export function useLibrary(onChanged: () => void) {
  const client = useClient();
  const [collections, setCollections] = useState<Collection[] | null>(null);
  const [stats, setStats] = useState<Stats | null>(null);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [last, setLast] = useState<IndexSummary | null>(null);
  const [error, setError] = useState<ErrorPayload | null>(null);

  // Refreshes overlap (one after an action, one when a job ends): an older answer can hold a "running" status
  // taken before the job's final event, and applied after it would leave the card saying "indexing" for good.
  const [gate] = useState(latestGate);
  const refresh = useCallback(async () => {
    const current = gate.begin();
    try {
      const [list, s, status] = await Promise.all([
        unwrap(client.api.libraryListCollections({})),
        unwrap(client.api.libraryStats({})),
        unwrap(client.api.indexStatus({})),
      ]);
      if (!current()) return;
      setCollections(list);
      setStats(s);
      setLast(status.last);
      if (status.running) setProgress(status.running);
    } catch (err) {
      if (current()) setError(toPayload(err));
    }
  }, [client, gate]);

  useEffect(() => {
    void refresh();
    return client.events.indexOnProgress((p) => {
      setProgress(p);
      if (FINAL_PHASES.has(p.phase)) {
        void refresh();
        onChanged();
      }
    });
  }, [client, refresh, onChanged]);

  /** Runs an operation, reports its error in the library panel, and reloads the lists. */
  const act = useCallback(
    async <T,>(op: () => Promise<T>): Promise<T | undefined> => {
      try {
        const value = await op();
        setError(null);
        onChanged();
        return value;
      } catch (err) {
        setError(toPayload(err));
        return undefined;
      } finally {
        void refresh();
      }
    },
    [refresh, onChanged],
  );

  /** Something outside this panel changed the library's files (a duplicates action): reload counts and results. */
  const changed = useCallback(() => {
    void refresh();
    onChanged();
  }, [refresh, onChanged]);

  return { collections, stats, progress, last, error, clearError: () => setError(null), act, refresh, changed };
}
