/**
 * "Which photos are copies of each other, and which copies can go?" Groups of exact duplicates (same content
 * hash) and near-duplicates (resized, recompressed, cropped, watermarked, recoloured, mirrored, padded,
 * EXIF-rotated copies), each with a suggested keeper; and the actions on them — move to the OS trash, move to a
 * folder, mark "not duplicates" — each journalled and undoable, also after a restart. Nothing is deleted.
 */
import { mkdir, stat } from 'node:fs/promises';
import { isAbsolute, resolve, sep } from 'node:path';
import { AppError, isAppError } from '../../shared/errors.js';
import { asCollectionId, asItemId, type CollectionId, type ItemId } from '../../shared/types.js';
import type { Catalog } from '../catalog/catalog.js';
import { pairKey, type ActionItemRow, type ActionKind, type DedupeJournalRepo, type NewActionItem } from '../catalog/dedupe-journal.repo.js';
import { matchPictures, prepareSignature } from '../images/phash.js';
import { acquireDataDirLock } from '../base/data-dir-lock.js';
import { isInside } from '../base/confine.js';
import { refuseSystemFolder } from '../base/system-folders.js';
import type { Logger } from '../base/logger.js';
import type { ModelState } from '../models/model-state.js';
import { decodeF16 } from '../base/f16.js';
import { loadScope, requireScopeItems, resolveCollections, toContents, type ScopeItem } from './catalog-view.js';
import { moveIntoFolder, moveNoOverwrite, pathExists } from './file-ops.js';
import { groupWithoutChaining, type VerifiedEdge } from './grouping.js';
import { chooseKeeper, DEFAULT_KEEPER_RULES, type KeeperRule } from './keeper.js';
import { embeddingNeighboursIn, findNearDuplicates, type CandidateStats } from './near-duplicates.js';
import { SignatureStore } from './signature-store.js';
import { canRestoreFromTrash, checkTrashUsable, findTrashed, moveToTrash, restoreTrashed } from './trash.js';

/**
 * Default detail agreement for a near-duplicate: half of the informative 8×8 detail blocks line up. Measured on
 * 3,068 clothing photos with one generated copy each (bench/dedupe-match): true copies score 0.70–1.0 (5th
 * percentile per alteration kind), the hardest non-duplicate candidates 0.36 at the 99.9th percentile.
 */
export const DEFAULT_DUPES_THRESHOLD = 0.5;

export type DupeRole = 'keeper' | 'remove' | 'reference';

export interface DupeItem extends Omit<ScopeItem, 'hash' | 'vector' | 'dim' | 'modelId'> {
  /** Detail agreement with the keeper (0..1; 1 for an identical file). */
  score: number;
  role: DupeRole;
  /** Byte-identical to the keeper. */
  identical: boolean;
}

export interface DupeGroup {
  /** Stable while the group's keeper stays the same. */
  id: string;
  keeperId: ItemId;
  /** The keeper first, then the others by score. */
  items: DupeItem[];
  /** Bytes the suggested removals would free. */
  reclaimableBytes: number;
}

export interface DupesOptions {
  /** Collection names; all collections when empty or absent (groups may then span collections). */
  collections?: readonly string[];
  /** Detail agreement (0..1) a near-duplicate must reach with its group's representative. */
  threshold?: number;
  keeperRules?: readonly KeeperRule[];
  preferredFolders?: readonly string[];
  signal?: AbortSignal;
  onProgress?: (phase: 'signatures' | 'comparing', done: number, total: number) => void;
}

/** Wall time (seconds) of each step of a `list`, for benchmarks and logs. */
export interface DupesStages {
  /** Reading the scope's items and embeddings from the catalog. */
  load: number;
  /** Reading (or computing) the signatures and deriving their per-run vectors. */
  signatures: number;
  /** Proposing candidate pairs through the embedding and layout indexes. */
  candidates: number;
  /** Verifying the candidates on the signatures. */
  verification: number;
  /** Groups, keepers and scores. */
  grouping: number;
}

export interface DupesResult {
  groups: DupeGroup[];
  totals: { groups: number; items: number; removable: number; reclaimableBytes: number };
  threshold: number;
  /** Items looked at. */
  scanned: number;
  seconds: number;
  stats: Omit<CandidateStats, 'seconds'> & { signaturesComputed: number; stages: DupesStages };
}

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

export interface ActionInfo {
  id: number;
  kind: ActionKind;
  destination: string | null;
  createdAt: number;
  finishedAt: number | null;
  undoneAt: number | null;
  items: number;
  done: number;
}

export interface DedupeServiceDeps {
  catalog: Catalog;
  model: ModelState;
  logger: Logger;
  dataDir: string;
  /** True while this engine runs an index job (file actions wait for it). */
  indexRunning: () => boolean;
}

/** Duplicate groups, the actions on them and their undo, over one catalog. */
export class DedupeService {
  readonly signatures: SignatureStore;
  private readonly journal: DedupeJournalRepo;

  constructor(private readonly deps: DedupeServiceDeps) {
    this.signatures = new SignatureStore(deps.catalog.signatures, deps.logger);
    this.journal = deps.catalog.dedupeJournal;
  }

  /**
   * Duplicate groups with suggested keepers.
   * @throws AppError COLLECTION_NOT_FOUND, INVALID_INPUT (threshold), CANCELLED
   */
  async list(options: DupesOptions = {}): Promise<DupesResult> {
    const started = performance.now();
    const threshold = options.threshold ?? DEFAULT_DUPES_THRESHOLD;
    if (!(threshold > 0 && threshold <= 1)) throw new AppError('INVALID_INPUT', `The threshold must be in (0, 1], not ${threshold}.`);
    const rules = options.keeperRules && options.keeperRules.length > 0 ? options.keeperRules : DEFAULT_KEEPER_RULES;
    const { catalog } = this.deps;
    const scope = resolveCollections(catalog, options.collections);
    const items = loadScope(
      catalog,
      scope.map((c) => c.id),
    );
    const notDuplicates = this.journal.notDuplicateKeys();
    const hex = (b: Buffer) => b.toString('hex');
    const contents = toContents(items, (h) => notDuplicates.has(`${h}:${h}`));
    const loaded = performance.now();

    // Signatures (computed once per content, then stored).
    const sources = contents.items.map((list) => ({ hash: list[0]!.hash, path: list[0]!.path }));
    const { signatures: sigs, computed } = await this.signatures.ensure(sources, {
      ...(options.signal ? { signal: options.signal } : {}),
      onProgress: (done, total) => options.onProgress?.('signatures', done, total),
    });
    throwIfAborted(options.signal);
    contents.pictures.forEach((p, i) => {
      const sig = sigs.get(hex(contents.items[i]![0]!.hash));
      p.signature = sig ? prepareSignature(sig) : undefined;
    });
    const signed = performance.now();

    // Candidates through the embedding index and the signature index, verified on the signatures.
    const { pairs, stats: found } = await findNearDuplicates(
      contents.pictures,
      contents.pictures,
      embeddingNeighboursIn(
        this.deps.model.vectors(),
        scope.map((c) => c.id),
      ),
      {
        same: true,
        accept: threshold,
        ...(options.signal ? { signal: options.signal } : {}),
        onProgress: (done, total) => options.onProgress?.('comparing', done, total),
      },
    );
    const compared = performance.now();
    const edges: VerifiedEdge[] = [];
    for (const p of pairs) {
      const a = contents.items[p.query]![0]!.hash;
      const b = contents.items[p.target]![0]!.hash;
      if (!notDuplicates.has(pairKey(a, b))) edges.push({ a: p.query, b: p.target, similarity: p.agreement });
    }

    const keeperOptions = { rules, preferredFolders: options.preferredFolders ?? [], sep };
    const groups: DupeGroup[] = [];
    const grouped = new Set<number>();
    for (const g of groupWithoutChaining(edges)) {
      const nodes = [{ node: g.representative, similarity: 1 }, ...g.members];
      nodes.forEach((n) => grouped.add(n.node));
      groups.push(this.buildGroup(contents, nodes, keeperOptions));
    }
    // Exact duplicates with no near-duplicate of their own.
    contents.items.forEach((list, node) => {
      if (list.length > 1 && !grouped.has(node)) groups.push(this.buildGroup(contents, [{ node, similarity: 1 }], keeperOptions));
    });
    groups.sort((x, y) => y.reclaimableBytes - x.reclaimableBytes || x.items[0]!.path.localeCompare(y.items[0]!.path));

    const totals = { groups: groups.length, items: 0, removable: 0, reclaimableBytes: 0 };
    for (const g of groups) {
      totals.items += g.items.length;
      totals.removable += g.items.filter((i) => i.role === 'remove').length;
      totals.reclaimableBytes += g.reclaimableBytes;
    }
    const finished = performance.now();
    const { seconds: searched, ...stats } = found;
    return {
      groups,
      totals,
      threshold,
      scanned: items.length,
      seconds: (finished - started) / 1000,
      stats: {
        ...stats,
        signaturesComputed: computed,
        stages: {
          load: (loaded - started) / 1000,
          signatures: (signed - loaded) / 1000,
          candidates: searched.candidates,
          verification: searched.verification,
          grouping: (finished - compared) / 1000,
        },
      },
    };
  }

  private buildGroup(
    contents: ReturnType<typeof toContents>,
    nodes: readonly { node: number; similarity: number }[],
    keeperOptions: Parameters<typeof chooseKeeper>[1],
  ): DupeGroup {
    const members = nodes.flatMap((n) => contents.items[n.node]!.map((item) => ({ item, node: n.node, similarity: n.similarity })));
    const decision = chooseKeeper(
      members.map((m) => ({ ...m.item, id: m.item.id as number, content: contents.pictures[m.node]!.signature?.sig.content ?? 1 })),
      keeperOptions,
    );
    const keeper = members.find((m) => m.item.id === decision.keeper.id)!;
    const removable = new Set(decision.remove.map((r) => r.id));
    // Scores are agreement with the keeper: known for the representative's edges, measured for the others.
    const representative = nodes[0]!.node;
    const scoreOf = (m: (typeof members)[number]): number => {
      if (m.node === keeper.node) return 1;
      if (keeper.node === representative) return m.similarity;
      if (m.node === representative) return keeper.similarity;
      const a = contents.pictures[keeper.node]!.signature;
      const b = contents.pictures[m.node]!.signature;
      return a && b ? matchPictures(a, b, { accept: 1 }).agreement : 0;
    };
    const items: DupeItem[] = members.map((m) => {
      const { hash: _h, vector: _v, dim: _d, modelId: _m, ...record } = m.item;
      return {
        ...record,
        score: m.item.id === keeper.item.id ? 1 : scoreOf(m),
        role: m.item.id === keeper.item.id ? 'keeper' : removable.has(m.item.id) ? 'remove' : 'reference',
        identical: m.node === keeper.node,
      };
    });
    items.sort((x, y) => (x.role === 'keeper' ? -1 : y.role === 'keeper' ? 1 : y.score - x.score || x.path.localeCompare(y.path)));
    return {
      id: `${keeper.item.hash.toString('hex').slice(0, 16)}-${keeper.item.id}`,
      keeperId: keeper.item.id,
      items,
      reclaimableBytes: items.filter((i) => i.role === 'remove').reduce((s, i) => s + i.size, 0),
    };
  }

  /**
   * Moves files to the OS trash or into a folder, journalled first. A file under a reference folder is refused;
   * a file that changed since it was indexed is skipped (reported), never touched.
   * @throws AppError ITEM_NOT_FOUND, FORBIDDEN (reference file), INVALID_INPUT (relative folder), INDEX_BUSY,
   *   DATA_DIR_LOCKED, PERMISSION_DENIED (the destination cannot be created)
   */
  async apply(action: ApplyAction, itemIds: readonly number[]): Promise<ApplySummary> {
    // Before anything is touched: Node's recursive mkdir loops for ever on procfs (`move:/proc/x`, ~90% CPU).
    if (action.kind === 'move') await checkDestination(action.destination);
    else await checkTrashUsable();
    const items = requireScopeItems(this.deps.catalog, itemIds);
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
    return this.exclusive(async () => {
      const { catalog } = this.deps;
      this.openIndexes(items.map((i) => i.collectionId));
      const actionId = catalog.transaction(() => this.journal.create(action.kind, destination, items.map(snapshot)));
      const summary: ApplySummary = { actionId, kind: action.kind, done: 0, bytes: 0, skipped: [] };
      const touched = new Set<CollectionId>();
      for (const [seq, item] of items.entries()) {
        const skip = (code: string, reason: string) => {
          summary.skipped.push({ path: item.path, code, reason });
          this.journal.setItem(actionId, seq, { status: 'skipped', message: `${code}: ${reason}` });
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
        this.journal.started(actionId, seq);
        try {
          if (action.kind === 'trash') {
            await moveToTrash([item.path]);
            if (await pathExists(item.path)) throw new AppError('PERMISSION_DENIED', 'The trash did not take the file.');
            catalog.transaction(() => {
              catalog.items.delete(item.id);
              this.journal.setItem(actionId, seq, { status: 'done' });
            });
            this.deps.model.vectors()?.remove(item.collectionId, [item.id]);
          } else {
            const dest = await moveIntoFolder(item.path, destination!);
            const follows = this.followMove(item, dest);
            catalog.transaction(() => {
              if (follows) catalog.items.move(item.id, dest, item.size, item.mtimeMs);
              else catalog.items.delete(item.id);
              this.journal.setItem(actionId, seq, { status: 'done', destination: dest });
            });
            if (!follows) this.deps.model.vectors()?.remove(item.collectionId, [item.id]);
          }
          touched.add(item.collectionId);
          summary.done++;
          summary.bytes += item.size;
        } catch (err) {
          const e = isAppError(err) ? err : new AppError('INTERNAL', err instanceof Error ? err.message : String(err), { cause: err });
          this.deps.logger.warn('dedupe action failed for one file', { path: item.path, error: e.message });
          summary.skipped.push({ path: item.path, code: e.code, reason: e.message });
          this.journal.setItem(actionId, seq, { status: 'failed', message: `${e.code}: ${e.message}` });
        }
      }
      for (const cid of touched) this.deps.model.vectors()?.save(cid);
      this.journal.finish(actionId);
      return summary;
    });
  }

  /** Whether a file moved to `dest` stays in its collection (inside one of its roots): then its row follows it. */
  private followMove(item: ScopeItem, dest: string): boolean {
    return this.deps.catalog.collections.roots(item.collectionId).some((r) => isInside(dest, r.path));
  }

  /**
   * Remembers that these items are not duplicates of each other (by content, so across rescans and moves).
   * @throws AppError ITEM_NOT_FOUND, INVALID_INPUT (fewer than two items)
   */
  markNotDuplicate(itemIds: readonly number[]): { actionId: number; pairs: number } {
    const items = requireScopeItems(this.deps.catalog, itemIds);
    if (items.length < 2) throw new AppError('INVALID_INPUT', 'Mark at least two items as not duplicates.');
    const { catalog } = this.deps;
    return catalog.transaction(() => {
      const actionId = this.journal.create(
        'not-duplicate',
        null,
        items.map((i) => ({ ...snapshot(i), vector: null, dim: null, modelId: null })),
      );
      const pairs = this.journal.addNotDuplicates(
        actionId,
        items.map((i) => i.hash),
      );
      items.forEach((_, seq) => this.journal.setItem(actionId, seq, { status: 'done' }));
      this.journal.finish(actionId);
      return { actionId, pairs };
    });
  }

  /**
   * Reverts an action (the latest one not undone when `actionId` is absent): files come back from the trash or
   * the folder (never overwriting), their catalog rows and vectors return, "not duplicates" marks are forgotten.
   * On macOS and Windows, files in the OS trash must be restored by the user (listed under `manual`).
   * @throws AppError NOT_FOUND (nothing to undo / no such action), INVALID_INPUT (already undone), INDEX_BUSY,
   *   DATA_DIR_LOCKED
   */
  async undo(actionId?: number): Promise<UndoSummary> {
    const action = actionId === undefined ? this.journal.lastUndoable() : this.journal.get(actionId);
    if (!action) throw new AppError('NOT_FOUND', actionId === undefined ? 'There is nothing to undo.' : `No dedupe action ${actionId}.`);
    if (action.undoneAt !== null) throw new AppError('INVALID_INPUT', `Action ${action.id} was already undone.`);
    const summary: UndoSummary = { actionId: action.id, kind: action.kind, restored: 0, failed: [], manual: [], complete: true };
    if (action.kind === 'not-duplicate') {
      this.deps.catalog.transaction(() => {
        summary.restored = this.journal.removeNotDuplicates(action.id);
        this.journal.markUndone(action.id);
      });
      return summary;
    }
    return this.exclusive(async () => {
      const touched = new Set<number>();
      const journalled = this.journal.items(action.id);
      this.openIndexes(journalled.map((i) => asCollectionId(i.collectionId)).filter((cid) => this.deps.catalog.collections.findById(cid)));
      for (const item of journalled) {
        if (item.status === 'restored' || item.status === 'skipped' || item.status === 'failed') continue;
        // 'pending' means the run stopped around this file: it may or may not have moved.
        if (item.status === 'pending' && (await pathExists(item.path))) {
          this.journal.setItem(action.id, item.seq, { status: 'skipped', message: 'never moved' });
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
          const itemId = this.restoreRow(item);
          if (itemId !== undefined) touched.add(item.collectionId);
          this.journal.setItem(action.id, item.seq, { status: 'restored', ...(itemId !== undefined ? { itemId } : {}) });
          summary.restored++;
        } catch (err) {
          const e = isAppError(err) ? err : new AppError('INTERNAL', err instanceof Error ? err.message : String(err), { cause: err });
          summary.failed.push({ path: item.path, code: e.code, reason: e.message });
        }
      }
      for (const cid of touched) this.deps.model.vectors()?.save(asCollectionId(cid));
      summary.complete = summary.failed.length === 0;
      if (summary.complete) this.journal.markUndone(action.id);
      return summary;
    });
  }

  /** The journal, newest first. */
  actions(limit = 100): ActionInfo[] {
    return this.journal.list(limit);
  }

  /**
   * Puts a restored file's catalog row back: the row that followed a move moves back; a deleted row is inserted
   * again from the journal's snapshot (a new id; the stored embedding, so no re-embedding).
   * @returns the row's id, or undefined when the catalog cannot take it (collection gone, other model, the path
   *   catalogued again meanwhile): the next index run picks the file up.
   */
  private restoreRow(item: ActionItemRow): number | undefined {
    const { catalog } = this.deps;
    const vectors = this.deps.model.vectors();
    const existing = catalog.items.get(asItemId(item.itemId));
    if (existing && item.destination && existing.path === item.destination) {
      catalog.items.move(existing.id, item.path, item.size, item.mtimeMs);
      return existing.id;
    }
    if (!catalog.collections.findById(asCollectionId(item.collectionId))) return undefined;
    if (!item.vector || !item.modelId || item.dim === null || item.modelId !== catalog.meta.get('embedder_id')) return undefined;
    const id = catalog.transaction(() =>
      catalog.items.insertIndexedUnlessTaken({
        collectionId: asCollectionId(item.collectionId),
        path: item.path,
        size: item.size,
        mtimeMs: item.mtimeMs,
        hash: item.hash,
        width: item.width ?? 0,
        height: item.height ?? 0,
        format: item.format ?? 'unknown',
        modelId: item.modelId!,
        dim: item.dim!,
        vector: item.vector!,
      }),
    );
    if (id === undefined) return undefined;
    vectors?.add(asCollectionId(item.collectionId), [{ id, vector: decodeF16(item.vector) }]);
    return id;
  }

  /**
   * Loads the collections' vector indexes before their rows change: an index is checked against the catalog when
   * it is opened, and one opened after a row changed would be rebuilt needlessly (and then get that row twice).
   */
  private openIndexes(collectionIds: readonly CollectionId[]): void {
    const vectors = this.deps.model.vectors();
    for (const cid of new Set(collectionIds)) vectors?.open(cid);
  }

  /** Runs a file action while no index job can start on this data folder. */
  private async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.deps.indexRunning()) throw new AppError('INDEX_BUSY', 'An index job is running; wait for it to finish, then try again.');
    const release = acquireDataDirLock(this.deps.dataDir, 'dedupe');
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

function snapshot(item: ScopeItem): NewActionItem {
  return {
    itemId: item.id,
    collectionId: item.collectionId,
    path: item.path,
    hash: item.hash,
    size: item.size,
    mtimeMs: item.mtimeMs,
    width: item.width,
    height: item.height,
    format: item.format,
    modelId: item.modelId,
    dim: item.dim,
    vector: item.vector,
  };
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AppError('CANCELLED', 'Cancelled.');
}

/**
 * A move destination must be an absolute folder path (existing, or to be created) outside system folders and pseudo
 * file systems, and whatever already exists at it or above it must be a folder.
 * @throws AppError INVALID_INPUT, NOT_A_FOLDER
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
