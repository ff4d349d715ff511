/** What the VectorStore's parts share: its settings, where rebuilds read from, and a loaded index's state. */
import type { CollectionId } from '../../shared/types.js';
import type { Logger } from '../base/logger.js';
import type { IdDigest } from '../base/id-digest.js';
import type { AnnIndex, AnnParams } from './ann-index.js';
import type { IndexFiles } from './index-files.js';
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

export interface StoreContext {
  readonly params: Readonly<AnnParams>;
  readonly transform: VectorTransform;
  readonly source: EmbeddingSource;
  readonly files: IndexFiles;
  readonly logger: Logger;
}

/** A collection's index in memory. */
export interface LoadedIndex {
  index: AnnIndex;
  dirty: boolean;
  /** Set when the background verification found the file damaged: the next open() rebuilds. */
  damaged?: string;
  /** Set by refresh() when the catalog no longer holds this index's ids: the next open() catches up. */
  stale?: boolean;
}
