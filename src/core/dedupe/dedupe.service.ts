/**
 * "Which photos are copies of each other, and which copies can go?" Groups of exact duplicates (same content
 * hash) and near-duplicates (resized, recompressed, cropped, watermarked, recoloured, mirrored, padded,
 * EXIF-rotated copies), each with a suggested keeper; and the actions on them — move to the OS trash, move to a
 * folder, mark "not duplicates" — each journalled and undoable, also after a restart. Nothing is deleted.
 *
 * This class is the feature's one entry point; the work is in duplicate-groups.ts (grouping), apply-action.ts
 * (file actions), mark-not-duplicate.ts, undo-action.ts and item-snapshot.ts (the journalled rows put back).
 */
import type { Catalog } from '../catalog/catalog.js';
import type { ActionListRow } from '../catalog/dedupe-journal.repo.js';
import type { VerificationThreads } from './near-duplicates.js';
import type { Logger } from '../base/logger.js';
import type { ModelState } from '../models/model-state.js';
import { applyAction, type ApplyAction, type ApplySummary } from './apply-action.js';
import { findDuplicateGroups, type DupesOptions, type DupesResult } from './duplicate-groups.js';
import { markNotDuplicate } from './mark-not-duplicate.js';
import { SignatureStore } from './signature-store.js';
import { undoAction, type UndoSummary } from './undo-action.js';

export type { ActionIssue, ApplyAction, ApplySummary } from './apply-action.js';
export {
  DEFAULT_DUPES_THRESHOLD,
  type DupeGroup,
  type DupeItem,
  type DupeRole,
  type DupesOptions,
  type DupesResult,
  type DupesStages,
} from './duplicate-groups.js';
export type { UndoSummary } from './undo-action.js';

/** One journalled action as `dupes:actions` lists it. */
export type ActionInfo = ActionListRow;

export interface DedupeServiceDeps {
  catalog: Catalog;
  model: ModelState;
  logger: Logger;
  dataDir: string;
  /** True while this engine runs an index job (file actions wait for it). */
  indexRunning: () => boolean;
  verification?: VerificationThreads;
}

/** Duplicate groups, the actions on them and their undo, over one catalog. */
export class DedupeService {
  readonly signatures: SignatureStore;

  constructor(private readonly deps: DedupeServiceDeps) {
    this.signatures = new SignatureStore(deps.catalog.signatures, deps.logger);
  }

  /**
   * Duplicate groups with suggested keepers.
   * @throws AppError COLLECTION_NOT_FOUND, INVALID_INPUT (threshold), CANCELLED
   */
  list(options: DupesOptions = {}): Promise<DupesResult> {
    return findDuplicateGroups(
      {
        catalog: this.deps.catalog,
        model: this.deps.model,
        signatures: this.signatures,
        logger: this.deps.logger,
        ...(this.deps.verification ? { verification: this.deps.verification } : {}),
      },
      options,
    );
  }

  /**
   * Moves files to the OS trash or into a folder, journalled first. A file under a reference folder is refused;
   * a file that changed since it was indexed is skipped (reported), never touched.
   * @throws AppError ITEM_NOT_FOUND, FORBIDDEN (reference file), INVALID_INPUT (relative folder), INDEX_BUSY,
   *   DATA_DIR_LOCKED, PERMISSION_DENIED (the destination cannot be created)
   */
  apply(action: ApplyAction, itemIds: readonly number[]): Promise<ApplySummary> {
    return applyAction(this.deps, action, itemIds);
  }

  /**
   * Remembers that these items are not duplicates of each other (by content, so across rescans and moves).
   * @throws AppError ITEM_NOT_FOUND, INVALID_INPUT (fewer than two items)
   */
  markNotDuplicate(itemIds: readonly number[]): { actionId: number; pairs: number } {
    return markNotDuplicate(this.deps.catalog, itemIds);
  }

  /**
   * Reverts an action (the latest one not undone when `actionId` is absent): files come back from the trash or
   * the folder (never overwriting), their catalog rows and vectors return, "not duplicates" marks are forgotten.
   * On macOS and Windows, files in the OS trash must be restored by the user (listed under `manual`).
   * @throws AppError NOT_FOUND (nothing to undo / no such action), INVALID_INPUT (already undone), INDEX_BUSY,
   *   DATA_DIR_LOCKED
   */
  undo(actionId?: number): Promise<UndoSummary> {
    return undoAction(this.deps, actionId);
  }

  /** The journal, newest first. */
  actions(limit = 100): ActionInfo[] {
    return this.deps.catalog.dedupeJournal.list(limit);
  }
}
