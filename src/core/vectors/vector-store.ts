/**
 * The vector indexes: one usearch index per collection, persisted next to catalog.sqlite as
 * `vectors-c<collection id>-<stamp>.usearch`. The stamp hashes everything that decides the stored vectors (the
 * embedder's identity, the transform, the dimension and the index parameters), so a file made under other
 * settings is never loaded: it is simply not found and the index is rebuilt from the catalog's embeddings.
 *
 * Why one index per collection rather than one global index with filtering: every question the app asks is
 * collection-scoped (search in a collection, duplicates within one, match one against another), usearch's
 * JavaScript API has no filtered search, and over-fetching from a global index degrades badly when the
 * wanted collection is a small part of the catalog. Per-collection files also mean indexing a competitor never
 * rewrites our own catalog's index. Searching several collections queries each and merges by score (cosine
 * scores are comparable across indexes).
 */
import { createHash } from 'node:crypto';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isAppError } from '../../shared/errors.js';
import type { CollectionId } from '../../shared/types.js';
import type { Logger } from '../base/logger.js';
import { sameIds, type IdDigest } from '../base/id-digest.js';
import { AnnIndex, IdsMismatchError, type AnnHit, type AnnParams } from './ann-index.js';
import type { VectorTransform } from './transform.js';

/** Where rebuilds read from: the catalog's stored raw embeddings. */
export interface EmbeddingSource {
  /** Ids of the collection's items that have an embedding. */
  ids(collectionId: CollectionId): readonly number[];
  /** The collection's raw embeddings, in id order. */
  vectors(collectionId: CollectionId): Iterable<{ id: number; vector: Float32Array }>;
  /**
   * The same ids as ids(), summarised (see IdDigest): what a file's trailer is compared with on open instead of
   * every id. Without it each open compares the ids one by one.
   */
  digest?(collectionId: CollectionId): IdDigest;
  /**
   * Up to `limit` of the collection's raw embeddings with ids above `afterId`, in id order: lets a rebuild read in
   * pages between awaits (an open SQLite iterator would hold the connection busy across them).
   */
  page?(collectionId: CollectionId, afterId: number, limit: number): { id: number; vector: Float32Array }[];
  /** The raw embeddings of these items (those that have one), for catching up with what another process added. */
  byIds?(collectionId: CollectionId, ids: readonly number[]): { id: number; vector: Float32Array }[];
}

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

export interface VectorHit extends AnnHit {
  collectionId: CollectionId;
}

interface Loaded {
  index: AnnIndex;
  dirty: boolean;
  /** Set when the background verification found the file damaged: the next open() rebuilds. */
  damaged?: string;
  /** Set by refresh() when the catalog no longer holds this index's ids: the next open() catches up. */
  stale?: boolean;
}

/**
 * The graph every collection's index is built with. usearch's defaults (connectivity 16, expansion_add 128) make a
 * graph that no search breadth lifts to recall@10 0.98 at 1M of the default model's vectors: 0.942 at breadth 1,024
 * (3.3 ms CPU p99), 0.962 at 2,048 (5.8 ms). Twice the degree and twice the insert breadth find 0.989 at 1,024 in
 * 3.7 ms, for 9% more RAM per vector (1,346 against 1,237 bytes with f16) and inserts 2.2–2.6× slower (1M: 430 s
 * against 196 s on two cores, still far below the hours of embedding behind them). Connectivity 16 with
 * expansion_add 512 also gets there (0.987) but walks slower (5.1 ms) and builds in 998 s. Measured with
 * `npm run bench -- search --sizes 1000000 --quant f16 --expansion-search 512,1024,2048 --tune 16:512,32:256` (README).
 */
export const GRAPH = { connectivity: 32, expansionAdd: 256 } as const;

/**
 * Candidates a search keeps while it walks an index of `size` vectors (usearch's expansion_search, applied per
 * query, so not part of the file stamp): 256 up to 100k vectors, ×4 per tenfold growth beyond, at most 1,024.
 * Measured on the GRAPH with the default model's vectors (`npm run bench -- search`, README), recall@10 against
 * exact search / CPU p99 per query on one thread: at 100k usearch's default of 64 finds 0.971, 256 finds 0.998
 * (1.3 ms); at 1M 256 finds 0.917 (1.3 ms), 512 0.966 (2.3 ms) and 1,024 0.989 (3.2–3.8 ms).
 */
export function searchBreadth(size: number): number {
  if (size <= 100_000) return 256;
  return Math.min(1024, Math.round(256 * 4 ** Math.log10(size / 100_000)));
}

const FILE_RE = /^vectors-c(\d+)-([0-9a-f]+)\.usearch$/;
const REBUILD_CHUNK = 1024;
/** Embeddings transformed per matrix product in a bulk rebuild (rebuildAll). */
const BULK_REBUILD_PAGE = 2048;

export class VectorStore {
  private readonly loaded = new Map<CollectionId, Loaded>();
  /** The parameters of every index this store makes and opens. */
  readonly params: Readonly<AnnParams>;
  private readonly verifications = new Set<Promise<void>>();
  private abort = new AbortController();
  readonly stamp: string;

  constructor(private readonly options: VectorStoreOptions) {
    this.params = {
      dimensions: options.transform.outputDim,
      quantization: options.quantization ?? 'f16',
      connectivity: options.connectivity ?? GRAPH.connectivity,
      expansionAdd: options.expansionAdd ?? GRAPH.expansionAdd,
    };
    this.stamp = createHash('sha256')
      .update(JSON.stringify({ format: 1, embedder: options.embedderId, transform: options.transform.id, ...this.params }))
      .digest('hex')
      .slice(0, 12);
  }

  /** The file that holds (or will hold) a collection's index. */
  fileOf(collectionId: CollectionId): string {
    return join(this.options.dir, `vectors-c${collectionId}-${this.stamp}.usearch`);
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
    return this.keepRebuilt(collectionId, found.problem, found.count, () => this.rebuild(collectionId));
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
        this.keepRebuilt(cid, found.problem, found.count, () => this.rebuild(cid));
        continue;
      }
      const started = Date.now();
      const index = AnnIndex.create(this.params);
      // Searches meanwhile get the part rebuilt so far (as while an index job adds items) instead of starting a
      // second, blocking rebuild of their own; not dirty, so no save() writes it half-built.
      const entry: Loaded = { index, dirty: false };
      this.loaded.set(cid, entry);
      const rawDim = this.options.transform.inputDim;
      let after = 0;
      for (;;) {
        if (stopped()) {
          if (this.loaded.get(cid) === entry) this.loaded.delete(cid);
          return;
        }
        const rows = page.call(this.options.source, cid, after, BULK_REBUILD_PAGE);
        if (rows.length === 0) break;
        const raws = new Float32Array(rows.length * rawDim);
        rows.forEach((r, i) => raws.set(r.vector, i * rawDim));
        const prepared = await this.prepareMany(raws, rows.length);
        if (stopped()) continue;
        const ids = rows.map((r) => r.id);
        // A concurrent add() may already have put some in (they are in the catalog, so in this page too).
        this.addMissing(index, ids, prepared);
        after = ids[ids.length - 1]!;
        options.onProgress?.(cid, index.size, found.count);
      }
      if (this.loaded.get(cid) !== entry) continue;
      this.loaded.delete(cid);
      // The catalog may have changed while we awaited (items removed): keep the result only if it holds exactly its
      // ids now.
      const current = this.options.source.ids(cid);
      if (current.length !== index.size || !index.containsAll(current)) {
        this.keepRebuilt(cid, found.problem, current.length, () => this.rebuild(cid));
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
      const caught = this.catchUp(collectionId, have);
      if (caught) return { index: caught };
      problem = 'is behind the catalog, which another process changed';
    } else if (have && problem === undefined) return { index: have.index };
    if (problem === undefined) {
      const checked = this.loadChecked(collectionId, 'fast');
      if (checked.index) {
        const entry: Loaded = { index: checked.index, dirty: false };
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

  /**
   * Brings a loaded index in step with a catalog another process changed: the file it saved, when that holds exactly
   * the catalog's ids (mapped, nothing to add), else the index plus the embeddings it lacks. Neither is saved: the
   * writer saves its own. @returns undefined when items were also removed (the caller rebuilds).
   */
  private catchUp(collectionId: CollectionId, entry: Loaded): AnnIndex | undefined {
    entry.stale = false;
    const { source } = this.options;
    const want = source.digest?.call(source, collectionId);
    if (want) {
      try {
        const saved = AnnIndex.open(this.fileOf(collectionId), this.params, { expectIds: want });
        if (saved.ids && sameIds(saved.ids, want) && saved.size === want.count) {
          entry.index = saved;
          entry.dirty = false;
          if (!saved.verified) this.verifyLater(collectionId, entry);
          return saved;
        }
      } catch {
        // Missing, or behind the catalog too (the writer saves every half minute): catch up in memory.
      }
    }
    if (!source.byIds) return undefined;
    let index = entry.index;
    if (index.readOnly) {
      try {
        index.makeWritable();
      } catch {
        // Replaced by the writer's newer save since it was mapped: start from that one.
        try {
          index = AnnIndex.load(this.fileOf(collectionId), this.params);
        } catch {
          return undefined;
        }
      }
    }
    const ids = source.ids(collectionId);
    const missing = index.missing(ids);
    // Holding every catalog id and no more of them: the same set. Otherwise items went (the caller rebuilds).
    if (index.size + missing.length !== ids.length) return undefined;
    const rows = source.byIds.call(source, collectionId, missing);
    if (rows.length !== missing.length) return undefined;
    const dim = this.params.dimensions;
    const flat = new Float32Array(rows.length * dim);
    rows.forEach((r, i) => flat.set(this.options.transform.apply(r.vector), i * dim));
    index.add(
      rows.map((r) => r.id),
      flat,
    );
    entry.index = index;
    this.options.logger.debug(`vector index for collection ${collectionId} caught up with the catalog`, { added: rows.length, vectors: index.size });
    return index;
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
    const { problem } = this.loadChecked(collectionId, 'thorough');
    // A collection with nothing embedded needs no file.
    return problem === 'is missing' && this.options.source.ids(collectionId).length === 0 ? undefined : problem;
  }

  /** Rebuilds the collection's index from the catalog's embeddings and saves it. @returns its vector count. */
  rebuildAndSave(collectionId: CollectionId): number {
    const rebuilt = this.rebuild(collectionId);
    this.loaded.set(collectionId, { index: rebuilt, dirty: true });
    this.save(collectionId);
    return rebuilt.size;
  }

  /** Resolves once every background verification started so far has finished (tests, benchmarks). */
  async verified(): Promise<void> {
    while (this.verifications.size > 0) await Promise.all([...this.verifications]);
  }

  /**
   * `fast`: the file's cheap checks and its trailer's id summary against the catalog's (one id at a time only
   * when either summary is missing). `thorough`: the whole file and every id.
   */
  private loadChecked(collectionId: CollectionId, mode: 'fast' | 'thorough'): { index?: AnnIndex; problem?: string } {
    const file = this.fileOf(collectionId);
    let summaryDisagrees = false;
    try {
      let index: AnnIndex;
      if (mode === 'thorough') {
        // Loaded rather than mapped: doctor may rebuild the file right after, and a mapped file cannot be replaced
        // on Windows.
        index = AnnIndex.load(file, this.params);
      } else {
        const expectIds = this.options.source.digest?.(collectionId);
        try {
          index = AnnIndex.open(file, this.params, expectIds ? { expectIds } : {});
        } catch (err) {
          if (!(err instanceof IdsMismatchError)) throw err;
          // Usually the file lags behind the catalog (a crash before its save) and is rebuilt below; comparing the
          // ids one by one first means a wrong summary could never make every open rebuild.
          summaryDisagrees = true;
          index = AnnIndex.load(file, this.params);
        }
        const held = index.ids;
        if (held && expectIds && !summaryDisagrees) {
          // The trailer's ids were compared before mapping; its count must also be what usearch read.
          return index.size === held.count ? { index } : { problem: mismatch(index.size, expectIds.count) };
        }
      }
      if (index.dimensions !== this.params.dimensions) {
        return { problem: `has dimension ${index.dimensions}, expected ${this.params.dimensions}` };
      }
      const ids = this.options.source.ids(collectionId);
      if (index.size !== ids.length || !index.containsAll(ids)) return { problem: mismatch(index.size, ids.length) };
      if (summaryDisagrees) {
        this.options.logger.warn(`vector index for collection ${collectionId} holds exactly the catalog's ids, but its summary of them differs`, { file });
      }
      return { index };
    } catch (err) {
      return { problem: isMissing(err, file) ? 'is missing' : `is unreadable (${err instanceof Error ? err.message : String(err)})` };
    }
  }

  /** Verifies a mapped file's whole payload in the background; a damaged one is rebuilt on the next open(). */
  private verifyLater(collectionId: CollectionId, entry: Loaded): void {
    const { signal } = this.abort;
    const delay = this.options.verifyDelayMs ?? 1000;
    const run = (async () => {
      if (delay > 0) {
        // unref: a short CLI command need not wait for it (close() cancels it anyway).
        await new Promise<void>((resolve) => setTimeout(resolve, delay).unref());
      }
      if (signal.aborted || this.loaded.get(collectionId) !== entry || !entry.index.readOnly) return;
      const problem = await entry.index.verify(signal);
      if (problem === undefined || this.loaded.get(collectionId) !== entry) return;
      entry.damaged = problem;
      this.options.logger.warn(`vector index for collection ${collectionId} ${problem}; it is rebuilt on next use`, {
        file: this.fileOf(collectionId),
      });
    })();
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
    else this.addMissing(index, ids, flat);
    this.markDirty(collectionId);
  }

  /** Adds the vectors (row-major in `flat`) whose ids the index does not hold yet. */
  private addMissing(index: AnnIndex, ids: readonly number[], flat: Float32Array): void {
    const dim = this.params.dimensions;
    const keep = ids.flatMap((id, i) => (index.containsAll([id]) ? [] : [i]));
    if (keep.length === ids.length) {
      index.add(ids, flat);
      return;
    }
    const kept = new Float32Array(keep.length * dim);
    keep.forEach((i, k) => kept.set(flat.subarray(i * dim, (i + 1) * dim), k * dim));
    index.add(
      keep.map((i) => ids[i]!),
      kept,
    );
  }

  private rebuild(collectionId: CollectionId): AnnIndex {
    const index = AnnIndex.create(this.params);
    const dim = this.params.dimensions;
    let ids: number[] = [];
    let flat = new Float32Array(REBUILD_CHUNK * dim);
    for (const { id, vector } of this.options.source.vectors(collectionId)) {
      flat.set(this.options.transform.apply(vector), ids.length * dim);
      ids.push(id);
      if (ids.length === REBUILD_CHUNK) {
        index.add(ids, flat);
        ids = [];
        flat = new Float32Array(REBUILD_CHUNK * dim);
      }
    }
    index.add(ids, flat.subarray(0, ids.length * dim));
    return index;
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
    const { transform } = this.options;
    if (transform.applyMany) return transform.applyMany(raws, count);
    const dim = transform.inputDim;
    const out = new Float32Array(count * this.params.dimensions);
    for (let r = 0; r < count; r++) out.set(transform.apply(raws.subarray(r * dim, (r + 1) * dim)), r * this.params.dimensions);
    return out;
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
    const hits: VectorHit[] = [];
    for (const cid of collectionIds) {
      const index = this.open(cid);
      for (const h of index.search(q, k, this.breadthOf(index))) hits.push({ ...h, collectionId: cid });
    }
    return hits.sort((a, b) => b.score - a.score).slice(0, k);
  }

  /**
   * searchPrepared() for `count` queries at once (row-major in `flat`), each searched on every core. `breadth`
   * overrides the store's search breadth (0: usearch's default) for bulk jobs that verify their candidates anyway.
   */
  searchPreparedMany(collectionIds: readonly CollectionId[], flat: Float32Array, count: number, k: number, breadth?: number): VectorHit[][] {
    const out: VectorHit[][] = Array.from({ length: count }, () => []);
    for (const cid of collectionIds) {
      const index = this.open(cid);
      index
        .searchMany(flat, count, k, breadth ?? this.breadthOf(index))
        .forEach((hits, q) => {
          for (const h of hits) out[q]!.push({ ...h, collectionId: cid });
        });
    }
    return out.map((hits) => hits.sort((a, b) => b.score - a.score).slice(0, k));
  }

  /** How wide a search of `index` walks: the fixed option, else what the index's size calls for. */
  private breadthOf(index: AnnIndex): number {
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
      this.removeStaleFiles(cid);
    }
  }

  /** Forgets a collection's index and deletes its files. */
  drop(collectionId: CollectionId): void {
    this.loaded.delete(collectionId);
    for (const f of this.files()) if (f.collectionId === collectionId) rmSync(f.path, { force: true });
  }

  /** Index files on disk that no current collection can use: other stamps, or collections not in `live`. */
  strayFiles(live: ReadonlySet<CollectionId>): string[] {
    return this.files()
      .filter((f) => f.stamp !== this.stamp || !live.has(f.collectionId))
      .map((f) => f.path);
  }

  /** Total bytes of the index files on disk. */
  diskBytes(): number {
    return this.files().reduce((sum, f) => sum + (f.stamp === this.stamp ? safeSize(f.path) : 0), 0);
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

  private removeStaleFiles(collectionId: CollectionId): void {
    for (const f of this.files()) {
      if (f.collectionId === collectionId && f.stamp !== this.stamp) rmSync(f.path, { force: true });
    }
  }

  private files(): { path: string; collectionId: CollectionId; stamp: string }[] {
    let names: string[];
    try {
      names = readdirSync(this.options.dir);
    } catch {
      return [];
    }
    const out: { path: string; collectionId: CollectionId; stamp: string }[] = [];
    for (const name of names) {
      const m = FILE_RE.exec(name);
      if (m) out.push({ path: join(this.options.dir, name), collectionId: Number(m[1]) as CollectionId, stamp: m[2]! });
    }
    return out;
  }
}

function mismatch(held: number, expected: number): string {
  return `holds ${held} vectors but the catalog has ${expected} (or other ids)`;
}

function isMissing(err: unknown, file: string): boolean {
  if (err instanceof Error && /no such file/i.test(err.message)) return true;
  try {
    statSync(file);
    return false;
  } catch {
    return true;
  }
}

function safeSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
