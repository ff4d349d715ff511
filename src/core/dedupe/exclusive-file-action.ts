/** What every dedupe action that moves files (apply, undo) runs under: the data folder to itself, indexes loaded. */
import { AppError } from '../../shared/errors.js';
import type { CollectionId } from '../../shared/types.js';
import { acquireDataDirLock } from '../base/data-dir-lock.js';
import type { ModelState } from '../models/model-state.js';

export interface FileActionDeps {
  dataDir: string;
  /** True while this engine runs an index job (file actions wait for it). */
  indexRunning: () => boolean;
}

/**
 * Runs a file action while no index job can start on this data folder.
 * @throws AppError INDEX_BUSY (this engine indexes), DATA_DIR_LOCKED (another process does)
 */
export async function exclusiveFileAction<T>(deps: FileActionDeps, fn: () => Promise<T>): Promise<T> {
  if (deps.indexRunning()) throw new AppError('INDEX_BUSY', 'An index job is running; wait for it to finish, then try again.');
  const release = acquireDataDirLock(deps.dataDir, 'dedupe');
  try {
    return await fn();
  } finally {
    release();
  }
}

/**
 * Loads the collections' vector indexes before their rows change: an index is checked against the catalog when
 * it is opened, and one opened after a row changed would be rebuilt needlessly (and then get that row twice).
 */
export function openIndexes(model: ModelState, collectionIds: readonly CollectionId[]): void {
  const vectors = model.vectors();
  for (const cid of new Set(collectionIds)) vectors?.open(cid);
}
