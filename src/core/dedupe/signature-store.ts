/**
 * Perceptual signatures by content hash (table image_signatures): read in bulk, computed for what is missing
 * (files decoded at 256 px with bounded concurrency; sharp runs them on libuv's thread pool) and stored, so a
 * second `dupes` run on an unchanged catalog decodes nothing.
 */
import type { SignaturesRepo, UnsignedContent } from '../catalog/signatures.repo.js';
import { readImageFile } from '../base/read-file.js';
import { computeSignature, decodeSignature, encodeSignature, SIGNATURE_VERSION, type ImageSignature } from '../images/phash.js';
import type { Logger } from '../base/logger.js';

export type SignatureSource = UnsignedContent;

/** Signatures by content hash, loaded in bulk and computed when missing. */
export class SignatureStore {
  constructor(
    private readonly repo: SignaturesRepo,
    private readonly logger: Logger,
  ) {}

  /**
   * Computes the signatures a collection's indexed items lack (run after indexing, so `dupes` and `match` find
   * them ready). @returns how many were computed.
   */
  async fillCollection(collectionId: number, signal?: AbortSignal): Promise<number> {
    const rows = this.repo.unsigned(collectionId, SIGNATURE_VERSION);
    if (rows.length === 0) return 0;
    const before = Date.now();
    const { computed } = await this.ensure(rows, signal ? { signal } : {});
    this.logger.debug('perceptual signatures computed', { collectionId, count: computed, ms: Date.now() - before });
    return computed;
  }

  /** Stores signatures computed elsewhere (replacing any of another version), in one transaction. */
  put(entries: readonly { hash: Buffer; signature: ImageSignature }[]): void {
    this.repo.put(
      entries.map((e) => ({ hash: e.hash, signature: encodeSignature(e.signature) })),
      SIGNATURE_VERSION,
    );
  }

  /** Stored signatures of the current version for these hashes (others are absent from the map). */
  load(hashes: readonly Buffer[]): Map<string, ImageSignature> {
    const out = new Map<string, ImageSignature>();
    const stored = this.repo.lookup(SIGNATURE_VERSION);
    for (const h of hashes) {
      const key = h.toString('hex');
      if (out.has(key)) continue;
      const bytes = stored(h);
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
