/**
 * The file actions on duplicates: move to the OS trash or into a folder, each journalled before any file is
 * touched and updated after each file, so it can be undone (undo-action.ts), also after a crash or a restart.
 * Nothing is deleted.
 */
import { mkdir, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { AppError, isAppError } from '../../shared/errors.js';
import type { CollectionId } from '../../shared/types.js';
import type { Catalog } from '../catalog/catalog.js';
import type { ActionKind } from '../catalog/dedupe-journal.repo.js';
import { isInside } from '../base/confine.js';
import { expandHome } from '../base/home-path.js';
import type { Logger } from '../base/logger.js';
import { refuseSystemFolder } from '../base/system-folders.js';
import type { ModelState } from '../models/model-state.js';
import { requireScopeItems, type CataloguedScopeItem } from './catalog-view.js';
import { exclusiveFileAction, openIndexes, type FileActionDeps } from './exclusive-file-action.js';
import { moveIntoFolder, pathExists } from './file-ops.js';
import { snapshot } from './item-snapshot.js';
import { checkTrashUsable, moveToTrash } from './trash.js';

export type ApplyAction = { kind: 'trash' } | { kind: 'move'; destination: string };

export interface ActionIssue {
  path: string;
  code: string;
  reason: string;
}

export interface ApplySummary {
  actionId: number;
  kind: ActionKind;
  /** Files moved (to the trash or the folder). */
  done: number;
  bytes: number;
  skipped: ActionIssue[];
}

export interface ApplyActionDeps extends FileActionDeps {
  catalog: Catalog;
  model: ModelState;
  logger: Logger;
}

/**
 * Moves files to the OS trash or into a folder, journalled first. A file under a reference folder is refused;
 * a file that changed since it was indexed is skipped (reported), never touched.
 * @throws AppError ITEM_NOT_FOUND, FORBIDDEN (reference file), INVALID_INPUT (relative folder), INDEX_BUSY,
 *   DATA_DIR_LOCKED, PERMISSION_DENIED (the destination cannot be created)
 */
export async function applyAction(deps: ApplyActionDeps, given: ApplyAction, itemIds: readonly number[]): Promise<ApplySummary> {
  const action: ApplyAction = given.kind === 'move' ? { ...given, destination: expandHome(given.destination) } : given;
  // Before anything is touched: Node's recursive mkdir loops for ever on procfs (`move:/proc/x`, ~90% CPU).
  if (action.kind === 'move') await checkDestination(action.destination);
  else await checkTrashUsable();
  const items = requireScopeItems(deps.catalog, itemIds, { pending: true });
  const refused = items.find((i) => i.reference);
  if (refused) throw new AppError('FORBIDDEN', `${refused.path} lies under a reference folder; reference files are never removed.`);
  let destination: string | null = null;
  if (action.kind === 'move') {
    if (!isAbsolute(action.destination)) throw new AppError('INVALID_INPUT', `The destination must be an absolute path: ${action.destination}`);
    destination = resolve(action.destination);
    await mkdir(destination, { recursive: true }).catch((err: unknown) => {
      throw new AppError('PERMISSION_DENIED', `Cannot create the folder ${destination}.`, { cause: err });
    });
    if (!(await stat(destination)).isDirectory()) throw new AppError('NOT_A_FOLDER', `Not a folder: ${destination}`);
  }
  return exclusiveFileAction(deps, async () => {
    const { catalog } = deps;
    const journal = catalog.dedupeJournal;
    openIndexes(
      deps.model,
      items.map((i) => i.collectionId),
    );
    const actionId = catalog.transaction(() => journal.create(action.kind, destination, items.map(snapshot)));
    const summary: ApplySummary = { actionId, kind: action.kind, done: 0, bytes: 0, skipped: [] };
    const touched = new Set<CollectionId>();
    for (const [seq, item] of items.entries()) {
      const skip = (code: string, reason: string) => {
        summary.skipped.push({ path: item.path, code, reason });
        journal.setItem(actionId, seq, { status: 'skipped', message: `${code}: ${reason}` });
      };
      const current = await stat(item.path).catch(() => undefined);
      if (!current) {
        skip('NOT_FOUND', 'The file is gone.');
        continue;
      }
      if (current.size !== item.size || current.mtimeMs !== item.mtimeMs) {
        skip('FILE_CHANGED', 'The file changed since it was indexed; index again first.');
        continue;
      }
      journal.started(actionId, seq);
      try {
        if (action.kind === 'trash') {
          await moveToTrash([item.path]);
          if (await pathExists(item.path)) throw new AppError('PERMISSION_DENIED', 'The trash did not take the file.');
          catalog.transaction(() => {
            catalog.items.delete(item.id);
            journal.setItem(actionId, seq, { status: 'done' });
          });
          deps.model.vectors()?.remove(item.collectionId, [item.id]);
        } else {
          const dest = await moveIntoFolder(item.path, destination!);
          const follows = followsMove(catalog, item, dest);
          catalog.transaction(() => {
            if (follows) catalog.items.move(item.id, dest, item.size, item.mtimeMs);
            else catalog.items.delete(item.id);
            journal.setItem(actionId, seq, { status: 'done', destination: dest });
          });
          if (!follows) deps.model.vectors()?.remove(item.collectionId, [item.id]);
        }
        touched.add(item.collectionId);
        summary.done++;
        summary.bytes += item.size;
      } catch (err) {
        const e = isAppError(err) ? err : new AppError('INTERNAL', err instanceof Error ? err.message : String(err), { cause: err });
        deps.logger.warn('dedupe action failed for one file', { path: item.path, error: e.message });
        summary.skipped.push({ path: item.path, code: e.code, reason: e.message });
        journal.setItem(actionId, seq, { status: 'failed', message: `${e.code}: ${e.message}` });
      }
    }
    for (const cid of touched) deps.model.vectors()?.save(cid);
    journal.finish(actionId);
    return summary;
  });
}

/** Whether a file moved to `dest` stays in its collection (inside one of its roots): then its row follows it. */
function followsMove(catalog: Catalog, item: CataloguedScopeItem, dest: string): boolean {
  return catalog.collections.roots(item.collectionId).some((r) => isInside(dest, r.path));
}

/**
 * A move destination must be an absolute folder path (existing, or to be created) outside system folders and pseudo
 * file systems, and whatever already exists at it or above it must be a folder.
 * @throws AppError INVALID_INPUT, SYSTEM_FOLDER, NOT_A_FOLDER
 */
async function checkDestination(destination: string): Promise<void> {
  if (!isAbsolute(destination)) throw new AppError('INVALID_INPUT', `The destination must be an absolute path: ${destination}`);
  if (destination.includes('\0')) throw new AppError('INVALID_INPUT', 'The destination contains a NUL character.');
  refuseSystemFolder(destination, 'a destination for the moved files');
  for (let dir = resolve(destination); ; dir = resolve(dir, '..')) {
    const s = await stat(dir).catch(() => undefined);
    if (s) {
      if (!s.isDirectory()) throw new AppError('NOT_A_FOLDER', `Not a folder: ${dir} (the destination must be a folder).`);
      return;
    }
    if (resolve(dir, '..') === dir) return;
  }
}
