/**
 * Duplicates state: the groups for a scope and threshold, the files selected for removal (the engine's
 * suggestion to start with), and the journal of past actions with undo.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { ErrorPayload } from '../../../shared/errors';
import type { Output } from '../../lib/api';
import { useClient } from '../../lib/client-context';
import { toPayload, unwrap } from '../../lib/errors';

export type DupesList = Output<'dupesList'>;
export type DupeGroup = DupesList['groups'][number];
export type DupeItem = DupeGroup['items'][number];
export type DupeAction = Output<'dupesActions'>[number];
export type ApplyResult = Output<'dupesApply'>;
export type UndoResult = Output<'dupesUndo'>;

export const DEFAULT_THRESHOLD = 0.5;

/** Only files suggested for removal can be selected; keepers and reference files never can. */
export const selectable = (item: DupeItem): boolean => item.role === 'remove';

export function useDuplicates() {
  const client = useClient();
  const [list, setList] = useState<DupesList | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<ErrorPayload | null>(null);
  const [selected, setSelected] = useState<ReadonlySet<number>>(new Set());
  const [actions, setActions] = useState<DupeAction[]>([]);
  const [scope, setScope] = useState<{ collection: string | null; threshold: number } | null>(null);

  const loadActions = useCallback(async () => {
    try {
      setActions(await unwrap(client.api.dupesActions({ limit: 20 })));
    } catch (err) {
      setError(toPayload(err));
    }
  }, [client]);

  useEffect(() => {
    void loadActions();
  }, [loadActions]);

  const find = useCallback(
    async (collection: string | null, threshold: number) => {
      setScope({ collection, threshold });
      setLoading(true);
      setError(null);
      try {
        const next = await unwrap(
          client.api.dupesList({ threshold, ...(collection ? { collections: [collection] } : {}) }),
        );
        setList(next);
        setSelected(new Set(next.groups.flatMap((g) => g.items.filter(selectable).map((i) => i.id))));
      } catch (err) {
        setError(toPayload(err));
      } finally {
        setLoading(false);
      }
    },
    [client],
  );

  const refresh = useCallback(async () => {
    await loadActions();
    if (scope) await find(scope.collection, scope.threshold);
  }, [find, loadActions, scope]);

  const toggle = useCallback((item: DupeItem) => {
    if (!selectable(item)) return;
    setSelected((prev) => {
      const next = new Set(prev);
      if (next.has(item.id)) next.delete(item.id);
      else next.add(item.id);
      return next;
    });
  }, []);

  const setGroupSelected = useCallback((group: DupeGroup, on: boolean) => {
    setSelected((prev) => {
      const next = new Set(prev);
      for (const item of group.items.filter(selectable)) {
        if (on) next.add(item.id);
        else next.delete(item.id);
      }
      return next;
    });
  }, []);

  const selectedItems = useMemo(
    () => (list ? list.groups.flatMap((g) => g.items.filter((i) => selected.has(i.id))) : []),
    [list, selected],
  );

  /** Runs a journal operation, then reloads groups and actions; errors land in `error`. */
  const run = useCallback(
    async <T,>(op: () => Promise<T>): Promise<T | undefined> => {
      setError(null);
      try {
        const value = await op();
        await refresh();
        return value;
      } catch (err) {
        setError(toPayload(err));
        return undefined;
      }
    },
    [refresh],
  );

  const apply = (destination: string | null) =>
    run(() => {
      const itemIds = selectedItems.map((i) => i.id);
      return unwrap(
        client.api.dupesApply(destination === null ? { action: 'trash', itemIds } : { action: 'move', destination, itemIds }),
      );
    });
  const undo = (actionId?: number) => run(() => unwrap(client.api.dupesUndo(actionId === undefined ? {} : { actionId })));
  const markNotDuplicate = (itemIds: number[]) => run(() => unwrap(client.api.dupesMarkNotDuplicate({ itemIds })));

  return {
    list,
    loading,
    error,
    clearError: () => setError(null),
    selected,
    selectedItems,
    actions,
    find,
    toggle,
    setGroupSelected,
    apply,
    undo,
    markNotDuplicate,
  };
}
