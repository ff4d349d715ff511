/**
 * Perceptual signatures by content hash (table image_signatures): read in bulk, computed for what is missing
 * (files decoded at 256 px with bounded concurrency; sharp runs them on libuv's thread pool) and stored, so a
 * second `dupes` run on an unchanged catalog decodes nothing.
 */
import type { Db } from '../catalog/database.js';
import { readImageFile } from '../base/read-file.js';
import { computeSignature, decodeSignature, encodeSignature, SIGNATURE_VERSION, type ImageSignature } from '../images/phash.js';
import type { Logger } from '../base/logger.js';

export interface SignatureSource {
  hash: Buffer;
  path: string;
}

/** Signatures by content hash, loaded in bulk and computed when missing. */
export class SignatureStore {
  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
  ) {}

  /**
   * Computes the signatures a collection's indexed items lack (run after indexing, so `dupes` and `match` find
   * them ready). @returns how many were computed.
   */
  async fillCollection(collectionId: number, signal?: AbortSignal): Promise<number> {
    const rows = this.db
      .prepare(
        `SELECT i.hash, MIN(i.path) AS path FROM items i
         LEFT JOIN image_signatures s ON s.hash = i.hash AND s.version = ?
         WHERE i.collection_id = ? AND i.model_id IS NOT NULL AND i.hash IS NOT NULL AND s.hash IS NULL
         GROUP BY i.hash`,
      )
      .all(SIGNATURE_VERSION, collectionId) as SignatureSource[];
    if (rows.length === 0) return 0;
    const before = Date.now();
    const { computed } = await this.ensure(rows, signal ? { signal } : {});
    this.logger.debug('perceptual signatures computed', { collectionId, count: computed, ms: Date.now() - before });
    return computed;
  }

  /** Stores signatures computed elsewhere (replacing any of another version), in one transaction. */
  put(entries: readonly { hash: Buffer; signature: ImageSignature }[]): void {
    if (entries.length === 0) return;
    const insert = this.db.prepare(
      `INSERT INTO image_signatures (hash, version, signature) VALUES (?, ?, ?)
       ON CONFLICT (hash) DO UPDATE SET version = excluded.version, signature = excluded.signature`,
    );
    this.db.transaction(() => {
      for (const e of entries) insert.run(e.hash, SIGNATURE_VERSION, encodeSignature(e.signature));
    })();
  }

  /** Stored signatures of the current version for these hashes (others are absent from the map). */
  load(hashes: readonly Buffer[]): Map<string, ImageSignature> {
    const out = new Map<string, ImageSignature>();
    const stmt = this.db.prepare('SELECT signature FROM image_signatures WHERE hash = ? AND version = ?').pluck();
    for (const h of hashes) {
      const key = h.toString('hex');
      if (out.has(key)) continue;
      const bytes = stmt.get(h, SIGNATURE_VERSION) as Buffer | undefined;
      const sig = bytes ? decodeSignature(bytes) : null;
      if (sig) out.set(key, sig);
    }
    return out;
  }

  /**
   * Signatures for every source, computing and storing the missing ones. A file that cannot be read or decoded
   * any more is left out (logged): it simply takes no part in near-duplicate matching.
   * @returns the signatures by hash (hex) and how many had to be computed.
   */
  async ensure(
    sources: readonly SignatureSource[],
    options: { concurrency?: number; signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {},
  ): Promise<{ signatures: Map<string, ImageSignature>; computed: number }> {
    const have = this.load(sources.map((s) => s.hash));
    const missing = new Map<string, SignatureSource>();
    for (const s of sources) {
      const key = s.hash.toString('hex');
      if (!have.has(key) && !missing.has(key)) missing.set(key, s);
    }
    if (missing.size === 0) return { signatures: have, computed: 0 };
    const todo = [...missing.entries()];
    const pending: { hash: Buffer; signature: ImageSignature }[] = [];
    const flush = () => {
      this.put(pending);
      pending.length = 0;
    };
    let next = 0;
    let done = 0;
    let computed = 0;
    const worker = async () => {
      while (next < todo.length) {
        if (options.signal?.aborted) return;
        const [key, source] = todo[next++]!;
        try {
          const bytes = await readImageFile(source.path);
          const sig = await computeSignature(bytes);
          have.set(key, sig);
          computed++;
          pending.push({ hash: source.hash, signature: sig });
          if (pending.length >= 256) flush();
        } catch (err) {
          this.logger.warn('no signature for a file (it takes no part in near-duplicate matching)', {
            path: source.path,
            error: err instanceof Error ? err.message.split('\n')[0] : String(err),
          });
        }
        options.onProgress?.(++done, todo.length);
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 4, todo.length) }, worker));
    } finally {
      flush();
    }
    return { signatures: have, computed };
  }
}
