/**
 * Undoing a dedupe action from its journal: files come back from the trash or the folder (never overwriting),
 * their catalog rows and vectors return, "not duplicates" marks are forgotten. An undo that could not put every
 * file back can be run again once the reason is fixed.
 */
import { AppError, isAppError } from '../../shared/errors.js';
import { asCollectionId } from '../../shared/types.js';
import type { Catalog } from '../catalog/catalog.js';
import type { ActionKind } from '../catalog/dedupe-journal.repo.js';
import type { ModelState } from '../models/model-state.js';
import type { ActionIssue } from './apply-action.js';
import { exclusiveFileAction, openIndexes, type FileActionDeps } from './exclusive-file-action.js';
import { moveNoOverwrite, pathExists } from './file-ops.js';
import { restoreRow } from './item-snapshot.js';
import { canRestoreFromTrash, findTrashed, restoreTrashed } from './trash.js';

export interface UndoSummary {
  actionId: number;
  kind: ActionKind;
  restored: number;
  failed: ActionIssue[];
  /** Files this platform's trash cannot give back to a program: restore them from the OS trash yourself. */
  manual: ActionIssue[];
  /** False while some files could not be put back (fix the reason and undo again). */
  complete: boolean;
}

export interface UndoActionDeps extends FileActionDeps {
  catalog: Catalog;
  model: ModelState;
}

/**
 * Reverts an action (the latest one not undone when `actionId` is absent). On macOS and Windows, files in the OS
 * trash must be restored by the user (listed under `manual`).
 * @throws AppError NOT_FOUND (nothing to undo / no such action), INVALID_INPUT (already undone), INDEX_BUSY,
 *   DATA_DIR_LOCKED
 */
export async function undoAction(deps: UndoActionDeps, actionId?: number): Promise<UndoSummary> {
  const { catalog } = deps;
  const journal = catalog.dedupeJournal;
  const action = actionId === undefined ? journal.lastUndoable() : journal.get(actionId);
  if (!action) throw new AppError('NOT_FOUND', actionId === undefined ? 'There is nothing to undo.' : `No dedupe action ${actionId}.`);
  if (action.undoneAt !== null) throw new AppError('INVALID_INPUT', `Action ${action.id} was already undone.`);
  const summary: UndoSummary = { actionId: action.id, kind: action.kind, restored: 0, failed: [], manual: [], complete: true };
  if (action.kind === 'not-duplicate') {
    catalog.transaction(() => {
      summary.restored = journal.removeNotDuplicates(action.id);
      journal.markUndone(action.id);
    });
    return summary;
  }
  return exclusiveFileAction(deps, async () => {
    const touched = new Set<number>();
    const journalled = journal.items(action.id);
    openIndexes(
      deps.model,
      journalled.map((i) => asCollectionId(i.collectionId)).filter((cid) => catalog.collections.findById(cid)),
    );
    for (const item of journalled) {
      if (item.status === 'restored' || item.status === 'skipped' || item.status === 'failed') continue;
      // 'pending' means the run stopped around this file: it may or may not have moved.
      if (item.status === 'pending' && (await pathExists(item.path))) {
        journal.setItem(action.id, item.seq, { status: 'skipped', message: 'never moved' });
        continue;
      }
      try {
        if (action.kind === 'trash') {
          if (!canRestoreFromTrash) {
            summary.manual.push({ path: item.path, code: 'NOT_FOUND', reason: 'Restore it from the OS trash (Finder Trash / Recycle Bin).' });
            continue;
          }
          const window = { fromMs: item.startedAt ?? action.createdAt, toMs: item.endedAt ?? (item.startedAt ?? action.createdAt) + 120_000 };
          const found = await findTrashed(item.path, window, item.size);
          if (!found) throw new AppError('NOT_FOUND', 'Not in the trash any more (emptied or restored by hand?).');
          await restoreTrashed(found, item.path);
        } else {
          const from = item.destination;
          if (!from || !(await pathExists(from))) throw new AppError('NOT_FOUND', `The moved file is not at ${from ?? '(unknown)'} any more.`);
          await moveNoOverwrite(from, item.path);
        }
        const itemId = restoreRow(deps, item);
        if (itemId !== undefined) touched.add(item.collectionId);
        journal.setItem(action.id, item.seq, { status: 'restored', ...(itemId !== undefined ? { itemId } : {}) });
        summary.restored++;
      } catch (err) {
        const e = isAppError(err) ? err : new AppError('INTERNAL', err instanceof Error ? err.message : String(err), { cause: err });
        summary.failed.push({ path: item.path, code: e.code, reason: e.message });
      }
    }
    for (const cid of touched) deps.model.vectors()?.save(asCollectionId(cid));
    summary.complete = summary.failed.length === 0;
    if (summary.complete) journal.markUndone(action.id);
    return summary;
  });
}
