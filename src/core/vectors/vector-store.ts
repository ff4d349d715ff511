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
import type { CollectionId } from '../../shared/types.js';
import type { Logger } from '../logger.js';
import { AnnIndex, type AnnHit, type AnnParams } from './ann-index.js';
import type { VectorTransform } from './transform.js';

/** Where rebuilds read from: the catalog's stored raw embeddings. */
export interface EmbeddingSource {
  /** Ids of the collection's items that have an embedding. */
  ids(collectionId: CollectionId): readonly number[];
  /** The collection's raw embeddings, in id order. */
  vectors(collectionId: CollectionId): Iterable<{ id: number; vector: Float32Array }>;
}

export interface VectorStoreOptions {
  dir: string;
  /** The embedder's identity; part of the file stamp. */
  embedderId: string;
  transform: VectorTransform;
  source: EmbeddingSource;
  logger: Logger;
  quantization?: AnnParams['quantization'];
  connectivity?: number;
}

export interface VectorHit extends AnnHit {
  collectionId: CollectionId;
}

interface Loaded {
  index: AnnIndex;
  dirty: boolean;
}

const FILE_RE = /^vectors-c(\d+)-([0-9a-f]+)\.usearch$/;
const REBUILD_CHUNK = 1024;

export class VectorStore {
  private readonly loaded = new Map<CollectionId, Loaded>();
  private readonly params: AnnParams;
  readonly stamp: string;

  constructor(private readonly options: VectorStoreOptions) {
    this.params = {
      dimensions: options.transform.outputDim,
      quantization: options.quantization ?? 'f16',
      connectivity: options.connectivity ?? 16,
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
   * Returns the collection's index, loading it on first use. When the file is missing, unreadable or does not
   * hold exactly the catalog's embedded ids, it is rebuilt from the stored embeddings (and a log line says why).
   */
  open(collectionId: CollectionId): AnnIndex {
    const have = this.loaded.get(collectionId);
    if (have) return have.index;
    const ids = this.options.source.ids(collectionId);
    const { index, problem } = this.loadChecked(collectionId, ids);
    if (problem === undefined && index) {
      this.loaded.set(collectionId, { index, dirty: false });
      return index;
    }
    const file = this.fileOf(collectionId);
    if (ids.length === 0) {
      // Nothing to rebuild: a new collection simply starts with an empty index.
      const empty = AnnIndex.create(this.params);
      this.loaded.set(collectionId, { index: empty, dirty: true });
      return empty;
    }
    this.options.logger.info(`vector index for collection ${collectionId} ${problem}: rebuilding it from ${ids.length} stored embeddings`, {
      file,
    });
    const started = Date.now();
    const rebuilt = this.rebuild(collectionId);
    this.loaded.set(collectionId, { index: rebuilt, dirty: true });
    this.save(collectionId);
    this.options.logger.info(`vector index for collection ${collectionId} rebuilt`, {
      vectors: rebuilt.size,
      ms: Date.now() - started,
    });
    return rebuilt;
  }

  /**
   * Checks the collection's index file against the catalog without loading it for use or repairing it (doctor).
   * @returns what is wrong, or undefined when the file holds exactly the catalog's embedded ids.
   */
  check(collectionId: CollectionId): string | undefined {
    const ids = this.options.source.ids(collectionId);
    const { problem } = this.loadChecked(collectionId, ids);
    // A collection with nothing embedded needs no file.
    return problem === 'is missing' && ids.length === 0 ? undefined : problem;
  }

  /** Rebuilds the collection's index from the catalog's embeddings and saves it. @returns its vector count. */
  rebuildAndSave(collectionId: CollectionId): number {
    const rebuilt = this.rebuild(collectionId);
    this.loaded.set(collectionId, { index: rebuilt, dirty: true });
    this.save(collectionId);
    return rebuilt.size;
  }

  private loadChecked(collectionId: CollectionId, ids: readonly number[]): { index?: AnnIndex; problem?: string } {
    const file = this.fileOf(collectionId);
    try {
      const index = AnnIndex.load(file, this.params);
      if (index.dimensions !== this.params.dimensions) {
        return { problem: `has dimension ${index.dimensions}, expected ${this.params.dimensions}` };
      }
      if (index.size !== ids.length || !index.containsAll(ids)) {
        return { problem: `holds ${index.size} vectors but the catalog has ${ids.length} (or other ids)` };
      }
      return { index };
    } catch (err) {
      return { problem: isMissing(err, file) ? 'is missing' : `is unreadable (${err instanceof Error ? err.message : String(err)})` };
    }
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
    const index = this.open(collectionId);
    const dim = this.params.dimensions;
    const flat = new Float32Array(entries.length * dim);
    entries.forEach((e, i) => flat.set(this.options.transform.apply(e.vector), i * dim));
    index.add(
      entries.map((e) => e.id),
      flat,
    );
    this.markDirty(collectionId);
  }

  remove(collectionId: CollectionId, ids: readonly number[]): void {
    if (ids.length === 0) return;
    this.open(collectionId).remove(ids);
    this.markDirty(collectionId);
  }

  /** A raw embedding as the index holds it (through the folder's transform: unit length, `dimensions` values). */
  prepare(raw: Float32Array): Float32Array {
    return this.options.transform.apply(raw);
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
      for (const h of this.open(cid).search(q, k)) hits.push({ ...h, collectionId: cid });
    }
    return hits.sort((a, b) => b.score - a.score).slice(0, k);
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

  /** Saves every changed index. */
  close(): void {
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
