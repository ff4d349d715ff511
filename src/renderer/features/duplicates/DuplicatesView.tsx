/**
 * The duplicates workspace: pick a scope and threshold, walk the groups (keyboard: arrows, Home/End), compare
 * two files, choose what goes, apply with a confirmation, undo, and see past actions.
 */
import { useCallback, useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { thumbPath } from '../../../shared/web';
import { EmptyState } from '../../components/EmptyState';
import { ErrorNotice } from '../../components/ErrorNotice';
import { ImageIcon, LibraryIcon } from '../../components/Icons';
import { useI18n } from '../../i18n';
import type { Messages } from '../../i18n/en';
import { useClient } from '../../lib/client-context';
import { baseName, formatBytes, formatDate, formatMs } from '../../lib/format';
import { ApplyDialog } from './ApplyDialog';
import { ComparePane } from './ComparePane';
import { folderOf } from './item-facts';
import { dupesCsv } from './dupes-csv';
import {
  DEFAULT_THRESHOLD,
  SELECTION_RULES,
  selectable,
  useDuplicates,
  type ApplyResult,
  type DupeGroup,
  type DupeItem,
  type SelectionRule,
  type UndoResult,
} from './use-duplicates';

type Outcome = { kind: 'applied'; value: ApplyResult } | { kind: 'undone'; value: UndoResult };

const COLLECTION_KEY = 'lookalike.dupes.collection';
const ALL = '';

interface Props {
  collectionNames: string[];
  /** Every collection's root folders (reference ones are never removed). */
  roots: readonly { path: string; reference: boolean }[];
  /** The library's files changed (an apply or undo moved some). */
  onLibraryChanged: () => void;
}

const isInside = (path: string, dir: string) => path === dir || path.startsWith(dir.endsWith('/') || dir.endsWith('\\') ? dir : `${dir}/`) || path.startsWith(`${dir}\\`);

/** Why a file is a duplicate of its keeper, in the user's language ("rotated 90° · recompressed"). */
function reasonWords(item: DupeItem, t: Messages): string {
  return item.reason ? item.reason.codes.map((c) => t.dupes.reason[c](item.reason?.angle ?? 0)).join(' · ') : '';
}

export function DuplicatesView({ collectionNames, roots, onLibraryChanged }: Props) {
  const { t, lang } = useI18n();
  const client = useClient();
  const referenceRoots = useMemo(() => roots.filter((r) => r.reference).map((r) => r.path), [roots]);
  const isReference = useCallback((path: string) => referenceRoots.some((r) => isInside(path, r)), [referenceRoots]);
  const dupes = useDuplicates(isReference);
  const ids = useId();
  // One collection by default (the last one looked at, else the first): "All" would put up a competitor's
  // photos for removal beside ours; it stays available as an explicit choice.
  const [collectionPick, setCollectionPick] = useState<string | null>(() => localStorage.getItem(COLLECTION_KEY));
  const collection =
    collectionPick === ALL || (collectionPick !== null && collectionNames.includes(collectionPick)) ? collectionPick : (collectionNames[0] ?? ALL);
  const setCollection = (c: string) => {
    localStorage.setItem(COLLECTION_KEY, c);
    setCollectionPick(c);
  };
  const [threshold, setThreshold] = useState(DEFAULT_THRESHOLD);
  const [rule, setRule] = useState<SelectionRule>('suggested');
  const [folderPick, setFolder] = useState<string | null>(null);
  // The group by id: an apply can remove groups before it, and the same index would then show another group.
  const [active, setActiveState] = useState<{ index: number; id: string | null }>({ index: 0, id: null });
  const [compareId, setCompareId] = useState<number | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const listRef = useRef<HTMLUListElement>(null);

  const groups = dupes.list?.groups ?? [];
  // A group that is gone (all but its keeper removed) gives way to the one now at its place, never past the end.
  const byId = active.id === null ? -1 : groups.findIndex((g) => g.id === active.id);
  const activeIndex = byId >= 0 ? byId : Math.max(0, Math.min(active.index, groups.length - 1));
  const setActive = (index: number) => setActiveState({ index, id: groups[index]?.id ?? null });
  const group: DupeGroup | undefined = groups[activeIndex];

  // Priority folders: the library's roots and every folder a listed file lies in.
  const folders = useMemo(() => {
    const set = new Set(roots.map((r) => r.path));
    for (const g of dupes.list?.groups ?? []) for (const i of g.items) set.add(folderOf(i.path));
    return [...set].sort();
  }, [roots, dupes.list]);
  const folder = folderPick !== null && folders.includes(folderPick) ? folderPick : (folders[0] ?? null);
  const keeper = group?.items[0];
  // null: the first other file; -1: the comparison is closed.
  const compared = compareId === -1 ? undefined : (group?.items.find((i) => i.id === compareId) ?? group?.items[1]);

  useEffect(() => {
    setCompareId(null);
  }, [group?.id]);

  useEffect(() => {
    listRef.current?.querySelector<HTMLElement>('[aria-selected=true]')?.scrollIntoView({ block: 'nearest' });
  }, [activeIndex]);

  const find = (next: { rule?: SelectionRule; folder?: string | null } = {}) => {
    // A new search starts at its first group, even when the group shown now is in the new list too.
    setActiveState({ index: 0, id: null });
    setOutcome(null);
    void dupes.find({ collection: collection || null, threshold, rule: next.rule ?? rule, folder: next.folder !== undefined ? next.folder : folder });
  };
  // A rule re-selects the current list at once (it is a selection tool, not a new search).
  const chooseRule = (next: SelectionRule, nextFolder: string | null = folder) => {
    setRule(next);
    setFolder(nextFolder);
    if (dupes.list) find({ rule: next, folder: nextFolder });
  };

  const onListKey = (e: KeyboardEvent) => {
    const last = groups.length - 1;
    const moves: Record<string, number> = { ArrowDown: activeIndex + 1, ArrowUp: activeIndex - 1, Home: 0, End: last };
    if (e.key in moves) {
      e.preventDefault();
      setActive(Math.max(0, Math.min(last, moves[e.key]!)));
    } else if (e.key === ' ' && group) {
      e.preventDefault();
      const removable = group.items.filter(selectable);
      dupes.setGroupSelected(group, !removable.every((i) => dupes.selected.has(i.id)));
    }
  };

  const apply = async (destination: string | null) => {
    setBusy(true);
    const value = await dupes.apply(destination);
    setBusy(false);
    if (!value) return;
    setConfirming(false);
    setOutcome({ kind: 'applied', value });
    onLibraryChanged();
  };

  const undo = async (actionId?: number) => {
    const value = await dupes.undo(actionId);
    if (!value) return;
    setOutcome({ kind: 'undone', value });
    onLibraryChanged();
  };

  const selectedBytes = dupes.selectedItems.reduce((s, i) => s + i.size, 0);
  const totals = dupes.list?.totals;

  let body;
  if (collectionNames.length === 0) {
    body = <EmptyState icon={<LibraryIcon size={36} />}>{t.results.noLibrary}</EmptyState>;
  } else if (!dupes.list) {
    body = <EmptyState icon={<ImageIcon size={36} />}>{dupes.loading ? t.dupes.finding : t.dupes.intro}</EmptyState>;
  } else if (groups.length === 0) {
    body = <EmptyState icon={<ImageIcon size={36} />}>{t.dupes.none(dupes.list.scanned)}</EmptyState>;
  } else {
    body = (
      <div className="dupes-body">
        <ul
          ref={listRef}
          className="group-list"
          role="listbox"
          tabIndex={0}
          aria-label={t.dupes.groupsLabel}
          aria-activedescendant={group ? `${ids}-g-${group.id}` : undefined}
          onKeyDown={onListKey}
          data-testid="group-list"
        >
          {groups.map((g, i) => {
            const removing = g.items.filter((it) => dupes.selected.has(it.id)).length;
            return (
              <li
                key={g.id}
                id={`${ids}-g-${g.id}`}
                role="option"
                aria-selected={i === activeIndex}
                className={`group-row ${i === activeIndex ? 'is-active' : ''}`}
                onClick={() => setActive(i)}
                data-testid="group"
              >
                <img src={client.mediaUrl(thumbPath(g.keeperId, 128))} alt="" loading="lazy" />
                <div className="group-row-text">
                  <span className="group-row-name">{baseName(g.items[0]!.path)}</span>
                  <span className="muted small">
                    {t.dupes.groupCounts(g.items.length, removing)} · {formatBytes(g.reclaimableBytes, lang)}
                  </span>
                </div>
              </li>
            );
          })}
        </ul>
        {group && keeper && (
          <div className="group-detail" data-testid="group-detail">
            <div className="group-detail-head">
              <h3 className="section-title" data-testid="group-title">
                {t.dupes.groupTitle(activeIndex + 1, groups.length)}
              </h3>
              <span className="muted small">{t.dupes.reclaim(formatBytes(group.reclaimableBytes, lang))}</span>
              <button
                type="button"
                className="button button-small"
                onClick={() => {
                  setOutcome(null);
                  void dupes.markNotDuplicate(group.items.map((i) => i.id));
                }}
              >
                {t.dupes.notDuplicateGroup}
              </button>
            </div>
            <ul className="member-grid">
              {group.items.map((item) => (
                <Member
                  key={item.id}
                  item={item}
                  reference={isReference(item.path)}
                  chosen={dupes.chosenKeeper(item.id)}
                  checked={dupes.selected.has(item.id)}
                  comparing={compared?.id === item.id && item.id !== keeper.id}
                  onToggle={() => dupes.toggle(item)}
                  onCompare={() => setCompareId(item.id)}
                  onKeep={() => dupes.keepInstead(group, item)}
                />
              ))}
            </ul>
            {compared && compared.id !== keeper.id && (
              <ComparePane
                key={`${keeper.id}-${compared.id}`}
                title={t.dupes.compareTitle}
                left={{ item: keeper, chip: t.dupes.role[keeper.role], chipClass: `role-${keeper.role}` }}
                right={{ item: compared, chip: t.dupes.role[compared.role], chipClass: `role-${compared.role}` }}
                relation={{ label: t.dupes.agreement, value: compared.identical ? t.dupes.identical : compared.score.toFixed(3) }}
                reason={compared.reason ? { label: t.dupes.why, value: reasonWords(compared, t) } : undefined}
                onClose={() => setCompareId(-1)}
                actions={
                  <button
                    type="button"
                    className="button button-small"
                    onClick={() => {
                      setOutcome(null);
                      void dupes.markNotDuplicate([keeper.id, compared.id]);
                    }}
                  >
                    {t.dupes.notDuplicatePair}
                  </button>
                }
              />
            )}
          </div>
        )}
      </div>
    );
  }

  const exportCsv = () => {
    const url = URL.createObjectURL(new Blob([dupesCsv(groups, dupes.selected)], { type: 'text/csv;charset=utf-8' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = 'duplicates.csv';
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  };

  return (
    <div className="dupes" data-testid="dupes-view" data-loading={dupes.loading}>
      <div className="dupes-toolbar">
        {/* Labelled by its caption alone: wrapped in the label, its options' text ("All collections") would join the
            label and collide with the library's Collection field. */}
        <div className="control">
          <label htmlFor={`${ids}-col`} className="control-caption">
            {t.dupes.collection}
          </label>
          <select id={`${ids}-col`} value={collection} onChange={(e) => setCollection(e.target.value)} data-testid="dupes-collection">
            <option value={ALL}>{t.dupes.allCollections}</option>
            {collectionNames.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </div>
        <label className="control control-slider" title={t.scores.thresholdHint}>
          <span>
            {t.dupes.threshold} <output htmlFor={`${ids}-th`}>{threshold.toFixed(2)}</output>
          </span>
          <input
            id={`${ids}-th`}
            type="range"
            min={0.05}
            max={1}
            step={0.05}
            value={threshold}
            onChange={(e) => setThreshold(Number(e.target.value))}
            data-testid="dupes-threshold"
          />
        </label>
        <label className="control">
          <span>{t.dupes.rule}</span>
          <select value={rule} onChange={(e) => chooseRule(e.target.value as SelectionRule)} data-testid="dupes-rule">
            {(Object.keys(SELECTION_RULES) as SelectionRule[]).map((r) => (
              <option key={r} value={r}>
                {t.dupes.rules[r]}
              </option>
            ))}
          </select>
        </label>
        {rule === 'folder' && (
          <label className="control control-folder">
            <span>{t.dupes.priorityFolder}</span>
            <select value={folder ?? ''} onChange={(e) => chooseRule('folder', e.target.value)} data-testid="dupes-folder" title={folder ?? undefined}>
              {folders.map((f) => (
                <option key={f} value={f}>
                  {f}
                </option>
              ))}
            </select>
          </label>
        )}
        <button type="button" className="button button-primary" onClick={() => find()} disabled={dupes.loading || collectionNames.length === 0}>
          {dupes.loading ? t.dupes.finding : t.dupes.find}
        </button>
        <div className="dupes-totals" aria-live="polite" data-testid="dupes-totals">
          {totals && (
            <>
              <strong>{t.dupes.totals(totals.groups, totals.removable)}</strong>
              <span>{t.dupes.reclaim(formatBytes(totals.reclaimableBytes, lang))}</span>
              <span className="muted small">{t.dupes.scanned(dupes.list!.scanned, formatMs(dupes.list!.seconds * 1000))}</span>
            </>
          )}
        </div>
      </div>

      {dupes.error && !confirming && <ErrorNotice error={dupes.error} onDismiss={dupes.clearError} />}
      {outcome && (
        <div className="notice notice-ok" role="status" data-testid="dupes-outcome">
          <span>
            {outcome.kind === 'applied'
              ? t.dupes.applied(outcome.value.kind, outcome.value.done, formatBytes(outcome.value.bytes, lang), outcome.value.skipped.length)
              : t.dupes.undone(outcome.value.restored, outcome.value.failed.length + outcome.value.manual.length)}
          </span>
          {outcome.kind === 'applied' && (
            <button type="button" className="button button-small" onClick={() => void undo(outcome.value.actionId)}>
              {t.dupes.undo}
            </button>
          )}
          <button type="button" className="icon-button" onClick={() => setOutcome(null)} aria-label={t.dismiss} title={t.dismiss}>
            ×
          </button>
        </div>
      )}

      <div className="dupes-main">{body}</div>

      <div className="dupes-footer">
        <details className="dupes-history" data-testid="dupes-history">
          <summary>{t.dupes.history(dupes.actions.length)}</summary>
          {dupes.actions.length === 0 ? (
            <p className="muted small">{t.dupes.noHistory}</p>
          ) : (
            <table className="failures">
              <tbody>
                {dupes.actions.map((a) => (
                  <tr key={a.id} data-testid="dupes-action" data-undone={a.undoneAt !== null}>
                    <td className="nowrap">{formatDate(a.createdAt, lang)}</td>
                    <td>{t.dupes.actionKind[a.kind]}</td>
                    <td>{t.dupes.actionCount(a.undoneAt === null ? a.done : a.items)}</td>
                    <td className="mono">{a.destination ?? ''}</td>
                    <td>
                      {a.undoneAt !== null ? (
                        <span className="muted">{t.dupes.undoneAt(formatDate(a.undoneAt, lang))}</span>
                      ) : (
                        <button type="button" className="link-button" onClick={() => void undo(a.id)}>
                          {t.dupes.undo}
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </details>
        {groups.length > 0 && (
          <span className="dupes-select-all">
            <button type="button" className="link-button" onClick={() => dupes.selectAll(true)} data-testid="select-all">
              {t.dupes.selectAll}
            </button>
            <button type="button" className="link-button" onClick={() => dupes.selectAll(false)} data-testid="select-none">
              {t.dupes.selectNone}
            </button>
          </span>
        )}
        {groups.length > 0 && (
          <button type="button" className="link-button" onClick={exportCsv} data-testid="dupes-export">
            {t.dupes.exportCsv}
          </button>
        )}
        <span className="dupes-selected" data-testid="dupes-selected">
          {t.dupes.selected(dupes.selectedItems.length, formatBytes(selectedBytes, lang))}
        </span>
        <button
          type="button"
          className="button button-primary"
          disabled={dupes.selectedItems.length === 0}
          onClick={() => setConfirming(true)}
        >
          {t.dupes.applyButton}
        </button>
      </div>

      {confirming && (
        <ApplyDialog
          items={dupes.selectedItems}
          busy={busy}
          error={dupes.error}
          onDismissError={dupes.clearError}
          onConfirm={(d) => void apply(d)}
          onClose={() => {
            dupes.clearError();
            setConfirming(false);
          }}
        />
      )}
    </div>
  );
}

interface MemberProps {
  item: DupeItem;
  /** Under a reference folder: the engine ranks such a file first, so it is often the keeper itself. */
  reference: boolean;
  /** The keeper the user picked ("keep this one instead"), not the suggestion. */
  chosen: boolean;
  checked: boolean;
  comparing: boolean;
  onToggle: () => void;
  onCompare: () => void;
  onKeep: () => void;
}

function Member({ item, reference, chosen, checked, comparing, onToggle, onCompare, onKeep }: MemberProps) {
  const { t, lang } = useI18n();
  const client = useClient();
  const canSelect = selectable(item);
  // The reference reason first: it holds whoever is keeper, so it is what the user must know about such a file.
  const why = reference || item.role === 'reference' ? t.dupes.whyReference : item.role === 'keeper' ? (chosen ? t.dupes.whyChosen : t.dupes.whyKeeper) : null;
  return (
    <li
      className={`member ${checked ? 'is-removing' : ''} ${comparing ? 'is-comparing' : ''}`}
      data-testid="member"
      data-role={item.role}
      data-reference={reference}
      data-item-id={item.id}
    >
      <button type="button" className="member-thumb" onClick={onCompare} aria-label={t.dupes.compareWith(baseName(item.path))}>
        <img src={client.mediaUrl(thumbPath(item.id, 256))} alt="" loading="lazy" />
      </button>
      <div className="member-text">
        <span className="member-chips">
          <span className={`role-chip role-${item.role}`}>{t.dupes.role[item.role]}</span>
          {reference && item.role === 'keeper' && <span className="role-chip role-reference">{t.dupes.role.reference}</span>}
        </span>
        <span className="member-name" title={item.path}>
          {baseName(item.path)}
        </span>
        <span className="member-collection small" data-testid="member-collection" title={item.path}>
          {t.dupes.inCollection(item.collection)}
        </span>
        <span className="muted small">
          {item.width && item.height ? `${item.width}×${item.height}` : t.detail.unknown} · {formatBytes(item.size, lang)} ·{' '}
          {item.format?.toUpperCase() ?? '?'}
        </span>
        <span className="muted small">{item.role === 'keeper' ? '' : item.identical ? t.dupes.identical : `${t.dupes.agreement} ${item.score.toFixed(3)}`}</span>
        {item.role !== 'keeper' && item.reason && (
          <span className="muted small" data-testid="member-reason">
            {reasonWords(item, t)}
          </span>
        )}
        <label className={`member-check ${canSelect ? '' : 'is-locked'}`} title={why ?? undefined}>
          <input type="checkbox" checked={checked} disabled={!canSelect} onChange={onToggle} data-testid="member-check" />
          {canSelect ? t.dupes.remove : why}
        </label>
        {item.role !== 'keeper' && (
          <button type="button" className="link-button small member-keep" onClick={onKeep} data-testid="keep-instead">
            {t.dupes.keepInstead}
          </button>
        )}
      </div>
    </li>
  );
}
