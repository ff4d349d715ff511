/**
 * Duplicates state: the groups for a scope, threshold and keeper rule, the files selected for removal (the engine's
 * suggestion to start with, then the user's own ticks and keeper choices, which survive a reload of the list), and
 * the journal of past actions with undo.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { KEEPER_RULES } from '../../../shared/api';
import type { ErrorPayload } from '../../../shared/errors';
import type { Output } from '../../lib/api';
import { useClient } from '../../lib/client-context';
import { toPayload, unwrap } from '../../lib/errors';
import { latestGate } from '../../lib/latest';

export type DupesList = Output<'dupesList'>;
export type DupeGroup = DupesList['groups'][number];
export type DupeItem = DupeGroup['items'][number];
export type DupeAction = Output<'dupesActions'>[number];
export type ApplyResult = Output<'dupesApply'>;
export type UndoResult = Output<'dupesUndo'>;

export const DEFAULT_THRESHOLD = 0.5;

/** The selection rules offered in the toolbar, each a list of the engine's keeper rules (first decisive). */
export const SELECTION_RULES = {
  suggested: undefined,
  largest: ['largest-pixels', 'largest-file', 'oldest'],
  oldest: ['oldest', 'largest-pixels'],
  newest: ['newest', 'largest-pixels'],
  folder: ['preferred-folder', 'largest-pixels', 'oldest'],
} as const satisfies Record<string, readonly (typeof KEEPER_RULES)[number][] | undefined>;
export type SelectionRule = keyof typeof SELECTION_RULES;

export interface DupesScope {
  collection: string | null;
  threshold: number;
  rule: SelectionRule;
  /** The priority folder of the `folder` rule. */
  folder: string | null;
}

/** Only files that are neither the keeper nor under a reference folder can be selected. */
export const selectable = (item: DupeItem): boolean => item.role === 'remove';

/**
 * A group as the user sees it: the keeper the user chose (when any), first. The engine's keeper then becomes a
 * removable file, unless it lies under a reference folder.
 */
export function withKeeper(group: DupeGroup, keepers: ReadonlySet<number>, isReference: (path: string) => boolean): DupeGroup {
  const chosen = group.items.find((i) => keepers.has(i.id) && i.id !== group.keeperId);
  if (!chosen) return group;
  const items = group.items.map((i): DupeItem => {
    if (i.id === chosen.id) return { ...i, role: 'keeper', score: 1 };
    if (i.id === group.keeperId) return { ...i, role: isReference(i.path) ? 'reference' : 'remove', score: chosen.score, identical: chosen.identical, reason: chosen.reason };
    return i;
  });
  items.sort((a, b) => (a.id === chosen.id ? -1 : b.id === chosen.id ? 1 : 0));
  const reclaimableBytes = items.filter(selectable).reduce((s, i) => s + i.size, 0);
  return { ...group, keeperId: chosen.id, items, reclaimableBytes };
}

/**
 * Ticked by default: a suggested removal in the keeper's own collection. A file of another collection (a
 * competitor's photo that looks like ours) is never put up for removal unless the user ticks it.
 */
export const defaultSelected = (group: DupeGroup, item: DupeItem): boolean =>
  selectable(item) && item.collection === group.items[0]?.collection;

export function useDuplicates(isReference: (path: string) => boolean) {
  const client = useClient();
  const [raw, setRaw] = useState<DupesList | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<ErrorPayload | null>(null);
  // The user's own choices, by item id: they outlive a reload of the same scope (after an apply or undo).
  const [ticks, setTicks] = useState<ReadonlyMap<number, boolean>>(new Map());
  const [keepers, setKeepers] = useState<ReadonlySet<number>>(new Set());
  const [actions, setActions] = useState<DupeAction[]>([]);
  const [scope, setScope] = useState<DupesScope | null>(null);

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

  // Loads overlap (a rule, then its folder, chosen in quick succession): only the latest one's answer is shown.
  const [gate] = useState(latestGate);
  const load = useCallback(
    async (next: DupesScope, fresh: boolean) => {
      const current = gate.begin();
      setScope(next);
      setLoading(true);
      setError(null);
      const rules = SELECTION_RULES[next.rule];
      try {
        const list = await unwrap(
          client.api.dupesList({
            threshold: next.threshold,
            ...(next.collection ? { collections: [next.collection] } : {}),
            ...(rules ? { keeperRules: [...rules] } : {}),
            ...(next.rule === 'folder' && next.folder ? { preferredFolders: [next.folder] } : {}),
          }),
        );
        if (!current()) return;
        if (fresh) {
          setTicks(new Map());
          setKeepers(new Set());
        }
        setRaw(list);
      } catch (err) {
        if (current()) setError(toPayload(err));
      } finally {
        if (current()) setLoading(false);
      }
    },
    [client, gate],
  );

  /** A new search: the engine's suggestion (and the chosen rule) decide again. */
  const find = useCallback((next: DupesScope) => load(next, true), [load]);

  const list = useMemo<DupesList | null>(
    () => raw && { ...raw, groups: raw.groups.map((g) => withKeeper(g, keepers, isReference)) },
    [raw, keepers, isReference],
  );

  const selected = useMemo(() => {
    const out = new Set<number>();
    for (const g of list?.groups ?? [])
      for (const i of g.items) if (selectable(i) && (ticks.get(i.id) ?? defaultSelected(g, i))) out.add(i.id);
    return out;
  }, [list, ticks]);

  const setTicked = useCallback((items: readonly DupeItem[], on: boolean) => {
    setTicks((prev) => {
      const next = new Map(prev);
      for (const i of items) if (selectable(i)) next.set(i.id, on);
      return next;
    });
  }, []);

  const toggle = useCallback((item: DupeItem) => setTicked([item], !selected.has(item.id)), [selected, setTicked]);
  const setGroupSelected = useCallback((group: DupeGroup, on: boolean) => setTicked(group.items, on), [setTicked]);
  const selectAll = useCallback((on: boolean) => setTicked(list?.groups.flatMap((g) => g.items) ?? [], on), [list, setTicked]);

  /** Keeps `item` instead of its group's current keeper; the old keeper is then ticked for removal like any copy. */
  const keepInstead = useCallback(
    (group: DupeGroup, item: DupeItem) => {
      setKeepers((prev) => {
        const next = new Set(prev);
        for (const i of group.items) next.delete(i.id);
        next.add(item.id);
        return next;
      });
      setTicks((prev) => {
        const next = new Map(prev);
        next.delete(item.id);
        const old = group.items[0];
        if (old && old.collection === item.collection) next.set(old.id, true);
        return next;
      });
    },
    [],
  );

  const selectedItems = useMemo(
    () => (list ? list.groups.flatMap((g) => g.items.filter((i) => selected.has(i.id))) : []),
    [list, selected],
  );

  /** Runs a journal operation, then reloads groups (keeping the user's choices) and actions; errors land in `error`. */
  const run = useCallback(
    async <T,>(op: () => Promise<T>): Promise<T | undefined> => {
      setError(null);
      try {
        const value = await op();
        await loadActions();
        if (scope) await load(scope, false);
        return value;
      } catch (err) {
        setError(toPayload(err));
        return undefined;
      }
    },
    [load, loadActions, scope],
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
    scope,
    loading,
    error,
    clearError: () => setError(null),
    selected,
    selectedItems,
    actions,
    find,
    toggle,
    setGroupSelected,
    selectAll,
    keepInstead,
    /** Whether the user chose this file as its group's keeper (rather than the engine's suggestion). */
    chosenKeeper: (id: number) => keepers.has(id),
    apply,
    undo,
    markNotDuplicate,
  };
}
