/**
 * A thin, checked wrapper over one usearch HNSW index with cosine metric. Keys are catalog item ids.
 * Saving is atomic: write a temp file, fsync it, rename it over the old one, fsync the folder.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import usearch from 'usearch';

export interface AnnParams {
  dimensions: number;
  /** How vectors are held in memory and on disk; f16 halves both at ~1e-3 score precision. */
  quantization: 'f32' | 'f16';
  /** HNSW graph degree (usearch's default is 16). */
  connectivity: number;
}

export interface AnnHit {
  id: number;
  /** Cosine similarity in [-1, 1]. */
  score: number;
}

export class AnnIndex {
  private constructor(private readonly index: InstanceType<typeof usearch.Index>) {}

  static create(params: AnnParams): AnnIndex {
    return new AnnIndex(
      new usearch.Index({
        dimensions: params.dimensions,
        metric: usearch.MetricKind.Cos,
        quantization: params.quantization === 'f16' ? usearch.ScalarKind.F16 : usearch.ScalarKind.F32,
        connectivity: params.connectivity,
        expansion_add: 0,
        expansion_search: 0,
        multi: false,
      }),
    );
  }

  /**
   * Loads a saved index into memory.
   * @throws Error when the file is missing or unreadable (the caller rebuilds it).
   */
  static load(file: string, params: AnnParams): AnnIndex {
    const ann = AnnIndex.create(params);
    ann.index.load(file);
    return ann;
  }

  get size(): number {
    return Number(this.index.size());
  }

  get dimensions(): number {
    return Number(this.index.dimensions());
  }

  /** Adds vectors given as one flat array of `ids.length × dimensions`. */
  add(ids: readonly number[], flat: Float32Array): void {
    if (ids.length === 0) return;
    if (flat.length !== ids.length * this.dimensions) {
      throw new Error(`Expected ${ids.length} vectors of ${this.dimensions} floats, got ${flat.length} floats.`);
    }
    this.index.add(BigUint64Array.from(ids, (id) => BigInt(id)), flat, 0);
  }

  remove(ids: readonly number[]): void {
    if (ids.length === 0) return;
    this.index.remove(BigUint64Array.from(ids, (id) => BigInt(id)));
  }

  /** Whether every id is present (the consistency check against the catalog). */
  containsAll(ids: readonly number[]): boolean {
    if (ids.length === 0) return true;
    const found = this.index.contains(BigUint64Array.from(ids, (id) => BigInt(id)));
    return Array.isArray(found) ? found.every(Boolean) : found;
  }

  /** The `k` nearest vectors by cosine, best first. */
  search(query: Float32Array, k: number): AnnHit[] {
    if (this.size === 0 || k <= 0) return [];
    const m = this.index.search(query, Math.min(k, this.size), 0);
    const hits: AnnHit[] = [];
    for (let i = 0; i < m.keys.length; i++) hits.push({ id: Number(m.keys[i]), score: 1 - m.distances[i]! });
    return hits;
  }

  /** Writes the index to `file` atomically: a crash leaves either the old file or the new one. */
  saveAtomic(file: string): void {
    const tmp = `${file}.tmp-${process.pid}`;
    try {
      this.index.save(tmp);
      const fd = openSync(tmp, 'r+');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, file);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
    fsyncDir(dirname(file));
  }
}

/** Makes a rename durable; folders cannot be opened for fsync on Windows, where NTFS journals renames anyway. */
function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Best effort (see above).
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
