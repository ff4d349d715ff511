/**
 * The vector index files of a data folder: `vectors-c<collection id>-<stamp>.usearch`. The stamp hashes everything
 * that decides the stored vectors (the embedder's identity, the transform, the dimension and the index parameters),
 * so a file made under other settings is never loaded: it is simply not found and the index is rebuilt.
 */
import { createHash } from 'node:crypto';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CollectionId } from '../../shared/types.js';
import type { AnnParams } from './ann-index.js';

const FILE_RE = /^vectors-c(\d+)-([0-9a-f]+)\.usearch$/;

/** The stamp of the files made with these settings (12 hex digits). */
export function indexStamp(embedderId: string, transformId: string, params: Readonly<AnnParams>): string {
  return createHash('sha256')
    .update(JSON.stringify({ format: 1, embedder: embedderId, transform: transformId, ...params }))
    .digest('hex')
    .slice(0, 12);
}

interface IndexFile {
  path: string;
  collectionId: CollectionId;
  stamp: string;
}

/** The index files in `dir`; those of `stamp` are the current ones. */
export class IndexFiles {
  constructor(
    private readonly dir: string,
    readonly stamp: string,
  ) {}

  /** The file that holds (or will hold) a collection's current index. */
  fileOf(collectionId: CollectionId): string {
    return join(this.dir, `vectors-c${collectionId}-${this.stamp}.usearch`);
  }

  /** Deletes the collection's files of other stamps (after its current one was saved). */
  removeOtherStamps(collectionId: CollectionId): void {
    for (const f of this.list()) if (f.collectionId === collectionId && f.stamp !== this.stamp) rmSync(f.path, { force: true });
  }

  /** Deletes every file of the collection. */
  removeAll(collectionId: CollectionId): void {
    for (const f of this.list()) if (f.collectionId === collectionId) rmSync(f.path, { force: true });
  }

  /** Files no current collection can use: other stamps, or collections not in `live`. */
  stray(live: ReadonlySet<CollectionId>): string[] {
    return this.list()
      .filter((f) => f.stamp !== this.stamp || !live.has(f.collectionId))
      .map((f) => f.path);
  }

  /** Total bytes of the current files. */
  diskBytes(): number {
    return this.list().reduce((sum, f) => sum + (f.stamp === this.stamp ? safeSize(f.path) : 0), 0);
  }

  private list(): IndexFile[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    const out: IndexFile[] = [];
    for (const name of names) {
      const m = FILE_RE.exec(name);
      if (m) out.push({ path: join(this.dir, name), collectionId: Number(m[1]) as CollectionId, stamp: m[2]! });
    }
    return out;
  }
}

function safeSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
