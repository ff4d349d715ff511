/**
 * The vector indexes: one usearch index per collection, persisted next to catalog.sqlite (index-files.ts names the
 * files by a stamp of the settings, so a file made under other settings is never loaded). This class keeps the
 * loaded indexes and decides when one is opened, checked (index-check.ts), caught up (index-catch-up.ts), rebuilt
 * (index-rebuild.ts), changed, searched and saved.
 *
 * Why one index per collection rather than one global index with filtering: every question the app asks is
 * collection-scoped (search in a collection, duplicates within one, match one against another), usearch's
 * JavaScript API has no filtered search, and over-fetching from a global index degrades badly when the
 * wanted collection is a small part of the catalog. Per-collection files also mean indexing a competitor never
 * rewrites our own catalog's index. Searching several collections queries each and merges by score (cosine
 * scores are comparable across indexes).
 */
import { isAppError } from '../../shared/errors.js';
import type { CollectionId } from '../../shared/types.js';
import type { Logger } from '../base/logger.js';
import { sameIds } from '../base/id-digest.js';
import { AnnIndex, type AnnParams } from './ann-index.js';
import { GRAPH, searchBreadth } from './graph.js';
import { catchUp } from './index-catch-up.js';
import { loadChecked, verifyLater } from './index-check.js';
import { IndexFiles, indexStamp } from './index-files.js';
import { addMissing, prepareMany, rebuildInPages, rebuildIndex } from './index-rebuild.js';
import { searchMany, searchOne, type VectorHit } from './index-search.js';
import type { EmbeddingSource, LoadedIndex, StoreContext } from './store-context.js';
import type { VectorTransform } from './transform.js';

export { GRAPH, searchBreadth } from './graph.js';
export type { VectorHit } from './index-search.js';
export type { EmbeddingSource } from './store-context.js';

export interface VectorStoreOptions {
  dir: string;
  /** The embedder's identity; part of the file stamp. */
  embedderId: string;
  transform: VectorTransform;
  source: EmbeddingSource;
  logger: Logger;
  quantization?: AnnParams['quantization'];
  /** Graph degree (default GRAPH.connectivity). */
  connectivity?: number;
  /** Candidates kept while inserting (default GRAPH.expansionAdd). */
  expansionAdd?: number;
  /** How wide a search walks the graph, fixed (default: searchBreadth() of the index's size). */
  searchBreadth?: number;
  /**
   * Milliseconds after an index file is opened before its whole payload is verified in the background (default
   * 1000: the first query after a start does not share the disk and the cores with it).
   */
  verifyDelayMs?: number;
}

export class VectorStore {
  private readonly loaded = new Map<CollectionId, LoadedIndex>();
  /** The parameters of every index this store makes and opens. */
  readonly params: Readonly<AnnParams>;
  private readonly verifications = new Set<Promise<void>>();
  private abort = new AbortController();
  readonly stamp: string;
  private readonly files: IndexFiles;
  private readonly ctx: StoreContext;

  constructor(private readonly options: VectorStoreOptions) {
    this.params = {
      dimensions: options.transform.outputDim,
      quantization: options.quantization ?? 'f16',
      connectivity: options.connectivity ?? GRAPH.connectivity,
      expansionAdd: options.expansionAdd ?? GRAPH.expansionAdd,
    };
    this.stamp = indexStamp(options.embedderId, options.transform.id, this.params);
    this.files = new IndexFiles(options.dir, this.stamp);
    this.ctx = { params: this.params, transform: options.transform, source: options.source, files: this.files, logger: options.logger };
  }

  /** The file that holds (or will hold) a collection's index. */
  fileOf(collectionId: CollectionId): string {
    return this.files.fileOf(collectionId);
  }

  /**
   * Returns the collection's index, opening it on first use. When the file is missing, unreadable or does not
   * hold exactly the catalog's embedded ids, it is rebuilt from the stored embeddings (and a log line says why).
   * A file that passes the cheap checks is memory-mapped and its whole payload verified in the background; if that
   * finds it damaged, the next call rebuilds it.
   */
  open(collectionId: CollectionId): AnnIndex {
    const found = this.openExisting(collectionId);
    if ('index' in found) return found.index;
    return this.keepRebuilt(collectionId, found.problem, found.count, () => rebuildIndex(this.ctx, collectionId));
  }

  /**
   * open() for every collection, rebuilding the ones whose file is missing or wrong with one matrix product per
   * 2,048 embeddings instead of one transform per vector (a PCA-whitening costs ~1 ms per vector one at a time:
   * minutes at 10^5), and awaiting between pages, so the event loop is not held for the whole rebuild. For the job
   * that has just changed the folder's transform. Stops between pages when `signal` aborts (what is left rebuilds
   * on its next open()).
   */
  async openAll(
    collectionIds: readonly CollectionId[],
    options: { signal?: AbortSignal; onProgress?: (collectionId: CollectionId, done: number, total: number) => void } = {},
  ): Promise<void> {
    const { page } = this.options.source;
    // close() aborts this too: a store closed meanwhile must not save or keep anything.
    const closed = this.abort.signal;
    const stopped = () => options.signal?.aborted === true || closed.aborted;
    for (const cid of collectionIds) {
      if (stopped()) return;
      const found = this.openExisting(cid);
      if ('index' in found) continue;
      if (!page) {
        this.keepRebuilt(cid, found.problem, found.count, () => rebuildIndex(this.ctx, cid));
        continue;
      }
      const started = Date.now();
      const index = AnnIndex.create(this.params);
      // Searches meanwhile get the part rebuilt so far (as while an index job adds items) instead of starting a
      // second, blocking rebuild of their own; not dirty, so no save() writes it half-built.
      const entry: LoadedIndex = { index, dirty: false };
      this.loaded.set(cid, entry);
      const complete = await rebuildInPages(this.ctx, cid, index, {
        page,
        stopped,
        onPage: (held) => options.onProgress?.(cid, held, found.count),
      });
      if (!complete) {
        if (this.loaded.get(cid) === entry) this.loaded.delete(cid);
        return;
      }
      if (this.loaded.get(cid) !== entry) continue;
      this.loaded.delete(cid);
      // The catalog may have changed while we awaited (items removed): keep the result only if it holds exactly its
      // ids now.
      const current = this.options.source.ids(cid);
      if (current.length !== index.size || !index.containsAll(current)) {
        this.keepRebuilt(cid, found.problem, current.length, () => rebuildIndex(this.ctx, cid));
        continue;
      }
      this.keepRebuilt(cid, found.problem, found.count, () => index, started);
    }
  }
  /**
   * Marks every loaded index whose ids are no longer the catalog's (another process or engine committed to it): its
   * next open() catches up. For a caller that knows the catalog changed (Catalog.dataVersion); one summary row per
   * loaded collection.
   */
  refresh(): void {
    const { digest } = this.options.source;
    for (const [cid, entry] of this.loaded) {
      const want = digest?.call(this.options.source, cid);
      const held = entry.index.ids;
      if (!want || !held || !sameIds(held, want)) entry.stale = true;
    }
  }

  /** The collection's loaded or valid saved index, else why it needs a rebuild and how many embeddings it will hold. */
  private openExisting(collectionId: CollectionId): { index: AnnIndex } | { problem: string; count: number } {
    const have = this.loaded.get(collectionId);
    let problem = have?.damaged;
    if (have?.stale && problem === undefined) {
      const caught = catchUp(this.ctx, collectionId, have, () => this.verifyLater(collectionId, have));
      if (caught) return { index: caught };
      problem = 'is behind the catalog, which another process changed';
    } else if (have && problem === undefined) return { index: have.index };
    if (problem === undefined) {
      const checked = loadChecked(this.ctx, collectionId, 'fast');
      if (checked.index) {
        const entry: LoadedIndex = { index: checked.index, dirty: false };
        this.loaded.set(collectionId, entry);
        if (!checked.index.verified) this.verifyLater(collectionId, entry);
        return { index: checked.index };
      }
      problem = checked.problem;
    }
    const count = this.options.source.ids(collectionId).length;
    if (count === 0) {
      // Nothing to rebuild: a new collection simply starts with an empty index. Not dirty: no file is needed for it
      // (check() agrees), and a reader (`stats`) saving one was a write from a read-only command.
      const empty = AnnIndex.create(this.params);
      this.loaded.set(collectionId, { index: empty, dirty: false });
      return { index: empty };
    }
    return { problem: problem ?? 'cannot be used', count };
  }

  /** Logs, builds (by `build`), keeps and saves a rebuilt index. */
  private keepRebuilt(collectionId: CollectionId, problem: string, count: number, build: () => AnnIndex, started = Date.now()): AnnIndex {
    this.options.logger.info(`vector index for collection ${collectionId} ${problem}: rebuilding it from ${count} stored embeddings`, {
      file: this.fileOf(collectionId),
    });
    const rebuilt = build();
    this.loaded.set(collectionId, { index: rebuilt, dirty: true });
    try {
      this.save(collectionId);
    } catch (err) {
      // Saving only spares the next process the rebuild: a reader on a full disk still answers from memory.
      if (!isAppError(err) || err.code !== 'DISK_FULL') throw err;
      this.loaded.get(collectionId)!.dirty = false;
      this.options.logger.warn(`vector index for collection ${collectionId} rebuilt but not saved: ${err.message}`);
    }
    this.options.logger.info(`vector index for collection ${collectionId} rebuilt`, {
      vectors: rebuilt.size,
      ms: Date.now() - started,
    });
    return rebuilt;
  }

  /**
   * Checks the collection's index file against the catalog without keeping it or repairing it (doctor): the whole
   * file, and the ids one by one.
   * @returns what is wrong, or undefined when the file holds exactly the catalog's embedded ids.
   */
  check(collectionId: CollectionId): string | undefined {
    const { problem } = loadChecked(this.ctx, collectionId, 'thorough');
    // A collection with nothing embedded needs no file.
    return problem === 'is missing' && this.options.source.ids(collectionId).length === 0 ? undefined : problem;
  }

  /** Rebuilds the collection's index from the catalog's embeddings and saves it. @returns its vector count. */
  rebuildAndSave(collectionId: CollectionId): number {
    const rebuilt = rebuildIndex(this.ctx, collectionId);
    this.loaded.set(collectionId, { index: rebuilt, dirty: true });
    this.save(collectionId);
    return rebuilt.size;
  }

  /** Resolves once every background verification started so far has finished (tests, benchmarks). */
  async verified(): Promise<void> {
    while (this.verifications.size > 0) await Promise.all([...this.verifications]);
  }

  /** Verifies a mapped file's whole payload in the background; a damaged one is rebuilt on the next open(). */
  private verifyLater(collectionId: CollectionId, entry: LoadedIndex): void {
    const run = verifyLater(this.ctx, collectionId, entry, {
      delayMs: this.options.verifyDelayMs ?? 1000,
      signal: this.abort.signal,
      isCurrent: () => this.loaded.get(collectionId) === entry,
    });
    this.verifications.add(run);
    void run.finally(() => this.verifications.delete(run));
  }

  /**
   * The collection's index, ready to change: a memory-mapped one is verified and loaded, or rebuilt from the
   * catalog when that fails (`rebuilt`: it may then already hold what the caller is about to add).
   */
  private writable(collectionId: CollectionId): { index: AnnIndex; rebuilt: boolean } {
    // A catch-up in open() may already bring in what the caller (which committed it) is about to add.
    const caughtUp = this.loaded.get(collectionId)?.stale === true;
    const index = this.open(collectionId);
    if (!index.readOnly) return { index, rebuilt: caughtUp };
    try {
      index.makeWritable();
      return { index, rebuilt: false };
    } catch (err) {
      this.loaded.get(collectionId)!.damaged = `is unreadable (${err instanceof Error ? err.message : String(err)})`;
      return { index: this.open(collectionId), rebuilt: true };
    }
  }

  /** Adds to a writable index, skipping ids a rebuild from the (already committed) catalog brought in. */
  private addTo(collectionId: CollectionId, ids: readonly number[], flat: Float32Array): void {
    const { index, rebuilt } = this.writable(collectionId);
    if (!rebuilt) index.add(ids, flat);
    else addMissing(index, ids, flat, this.params.dimensions);
    this.markDirty(collectionId);
  }

  /** Adds raw embeddings (the transform is applied here). */
  add(collectionId: CollectionId, entries: readonly { id: number; vector: Float32Array }[]): void {
    if (entries.length === 0) return;
    const dim = this.params.dimensions;
    const flat = new Float32Array(entries.length * dim);
    entries.forEach((e, i) => flat.set(this.options.transform.apply(e.vector), i * dim));
    this.addTo(
      collectionId,
      entries.map((e) => e.id),
      flat,
    );
  }

  /**
   * Adds vectors already in the index's space (see prepare()), as one flat array of `ids.length × dimensions`:
   * for callers that transform many embeddings at once (a batched matrix product instead of one per vector).
   */
  addPrepared(collectionId: CollectionId, ids: readonly number[], flat: Float32Array): void {
    if (ids.length === 0) return;
    this.addTo(collectionId, ids, flat);
  }

  remove(collectionId: CollectionId, ids: readonly number[]): void {
    if (ids.length === 0) return;
    this.writable(collectionId).index.remove(ids);
    this.markDirty(collectionId);
  }

  /** A raw embedding as the index holds it (through the folder's transform: unit length, `dimensions` values). */
  prepare(raw: Float32Array): Float32Array {
    return this.options.transform.apply(raw);
  }

  /** prepare() for `count` row-major raw embeddings, in bulk where the transform can (see VectorTransform.applyMany). */
  async prepareMany(raws: Float32Array, count: number): Promise<Float32Array> {
    return prepareMany(this.ctx, raws, count);
  }

  /** The index's vector dimension (the transform's output). */
  get dimensions(): number {
    return this.params.dimensions;
  }

  /** The `k` nearest items to a raw query embedding across `collectionIds`, best first. */
  search(collectionIds: readonly CollectionId[], query: Float32Array, k: number): VectorHit[] {
    return this.searchPrepared(collectionIds, this.options.transform.apply(query), k);
  }

  /** search() for a query already in the index's space (see prepare()). */
  searchPrepared(collectionIds: readonly CollectionId[], q: Float32Array, k: number): VectorHit[] {
    return searchOne(this, collectionIds, q, k);
  }

  /**
   * searchPrepared() for `count` queries at once (row-major in `flat`), each searched on every core. `breadth`
   * overrides the store's search breadth (0: usearch's default) for bulk jobs that verify their candidates anyway.
   */
  searchPreparedMany(collectionIds: readonly CollectionId[], flat: Float32Array, count: number, k: number, breadth?: number): VectorHit[][] {
    return searchMany(this, collectionIds, flat, count, k, breadth);
  }

  /** How wide a search of `index` walks: the fixed option, else what the index's size calls for. */
  breadthOf(index: AnnIndex): number {
    return this.options.searchBreadth ?? searchBreadth(index.size);
  }

  /** Number of vectors in a collection's index. */
  size(collectionId: CollectionId): number {
    return this.open(collectionId).size;
  }

  /** Saves one collection's index (or every changed one) atomically, then removes files of other stamps. */
  save(collectionId?: CollectionId): void {
    const targets = collectionId === undefined ? [...this.loaded.keys()] : [collectionId];
    for (const cid of targets) {
      const entry = this.loaded.get(cid);
      if (!entry?.dirty) continue;
      entry.index.saveAtomic(this.fileOf(cid));
      entry.dirty = false;
      this.files.removeOtherStamps(cid);
    }
  }

  /** Forgets a collection's index and deletes its files. */
  drop(collectionId: CollectionId): void {
    this.loaded.delete(collectionId);
    this.files.removeAll(collectionId);
  }

  /** Index files on disk that no current collection can use: other stamps, or collections not in `live`. */
  strayFiles(live: ReadonlySet<CollectionId>): string[] {
    return this.files.stray(live);
  }

  /** Total bytes of the index files on disk. */
  diskBytes(): number {
    return this.files.diskBytes();
  }

  /** Saves every changed index and cancels background verifications. */
  close(): void {
    this.abort.abort();
    this.abort = new AbortController();
    this.save();
    this.loaded.clear();
  }

  private markDirty(collectionId: CollectionId): void {
    const entry = this.loaded.get(collectionId);
    if (entry) entry.dirty = true;
  }
}
