/**
 * Switching a data folder to another model: every indexed item is embedded again with the new model into a
 * staging database next to the catalog (`reembed.sqlite`), and only when all are done are the catalog's vectors
 * replaced in one transaction. Until then the folder keeps searching with its old vectors. Cancelling keeps what was
 * staged, so running the switch again resumes; staging made for another model is discarded.
 *
 * Identical contents (same SHA-256) are embedded once. A file that cannot be read or decoded any more, or whose
 * content changed since it was indexed, cannot get a vector of the new model: it is recorded as failed (the next
 * `index` picks up a changed file by its new size and mtime).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AppError, isAppError } from '../../shared/errors.js';
import type { ItemId, JobId, Progress } from '../../shared/types.js';
import type { Catalog } from '../catalog/catalog.js';
import { contentHash, decodeForModel, readFileSnapshot, type DecodedImage } from '../images/decode.js';
import type { Logger } from '../base/logger.js';
import type { Embedder } from '../models/embedder.js';
import { encodeF16 } from '../base/f16.js';
import { RateMeter } from '../base/rate.js';

export const STAGING_FILE = 'reembed.sqlite';

export interface ReembedSummary {
  /** The registry id switched to. */
  modelId: string;
  /** The new embedder's identity. */
  embedderId: string;
  /** Items that had a vector when the job started. */
  total: number;
  /** Embedded in this run (decoded and run through the model). */
  embedded: number;
  /** Staged by an earlier, cancelled run. */
  resumed: number;
  /** Same content as an item already staged: the vector was copied. */
  copied: number;
  /** Could not be re-embedded; now recorded as failed. */
  failed: number;
  /** True when cancelled before the switch: the folder still uses its old model. */
  cancelled: boolean;
  seconds: number;
}

export interface ReembedDeps {
  catalog: Catalog;
  dataDir: string;
  /** The new model's embedder. */
  embedder: Embedder;
  logger: Logger;
  maxPixels?: number;
  maxFileBytes?: number;
}

export interface ReembedOptions {
  jobId: JobId;
  /** The registry id being switched to. */
  modelId: string;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Images per inference call and per staging transaction (default 16). */
  batchSize?: number;
  /** Files read and decoded at once (default 3). */
  concurrency?: number;
  progressEveryMs?: number;
}

interface StagedRow {
  item_id: number;
  hash: Buffer | null;
  vector: Buffer | null;
  error_code: string | null;
  error_reason: string | null;
}

/** The staging database; opened per job, deleted after a successful switch. */
class Staging {
  readonly db: Database.Database;

  constructor(file: string, embedderId: string, dim: number) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
      CREATE TABLE IF NOT EXISTS staged (
        item_id      INTEGER PRIMARY KEY,
        hash         BLOB,
        vector       BLOB,
        error_code   TEXT,
        error_reason TEXT
      ) STRICT;
      CREATE INDEX IF NOT EXISTS staged_hash ON staged (hash) WHERE vector IS NOT NULL;
    `);
    const key = `${embedderId}/${dim}`;
    const have = this.db.prepare("SELECT value FROM meta WHERE key = 'target'").pluck().get() as string | undefined;
    if (have !== key) {
      this.db.transaction(() => {
        this.db.exec('DELETE FROM staged');
        this.db.prepare("INSERT INTO meta (key, value) VALUES ('target', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(key);
      })();
    }
  }

  ids(): Set<number> {
    return new Set(this.db.prepare('SELECT item_id FROM staged').pluck().all() as number[]);
  }

  vectorByHash(hash: Buffer): Buffer | undefined {
    return this.db.prepare('SELECT vector FROM staged WHERE hash = ? AND vector IS NOT NULL LIMIT 1').pluck().get(hash) as Buffer | undefined;
  }

  put(rows: readonly StagedRow[]): void {
    const insert = this.db.prepare(
      'INSERT OR REPLACE INTO staged (item_id, hash, vector, error_code, error_reason) VALUES (@item_id, @hash, @vector, @error_code, @error_reason)',
    );
    this.db.transaction(() => {
      for (const r of rows) insert.run(r);
    })();
  }

  *all(): IterableIterator<StagedRow> {
    yield* this.db.prepare('SELECT item_id, hash, vector, error_code, error_reason FROM staged ORDER BY item_id').iterate() as IterableIterator<StagedRow>;
  }

  close(): void {
    this.db.close();
  }
}

type Prepared = { id: ItemId; hash: Buffer | null } & (
  | { kind: 'embed'; decoded: DecodedImage }
  | { kind: 'copy'; vector: Buffer }
  /** Same content as an item embedded in this run whose vector is not committed yet. */
  | { kind: 'twin' }
  | { kind: 'failed'; error: AppError }
);

/**
 * Re-embeds every indexed item with `deps.embedder` and, unless cancelled, switches the catalog to it in one
 * transaction (vectors, items' model and the catalog's model facts). The caller then adopts the model
 * (ModelState.adopt) and learns the new whitening.
 * @throws AppError from the embedder or SQLite; per-file failures never throw.
 */
export async function reembedFolder(deps: ReembedDeps, options: ReembedOptions): Promise<ReembedSummary> {
  const { catalog, embedder, logger } = deps;
  const started = Date.now();
  const batchSize = options.batchSize ?? 16;
  const concurrency = options.concurrency ?? 3;
  const progressEveryMs = options.progressEveryMs ?? 200;
  const stagingFile = join(deps.dataDir, STAGING_FILE);
  const staging = new Staging(stagingFile, embedder.modelId, embedder.dim);
  const counts = { embedded: 0, resumed: 0, copied: 0, failed: 0 };
  const meter = new RateMeter();
  let lastEmit = 0;
  let done = 0;
  let total = 0;
  const emit = (phase: Progress['phase'], force: boolean, message?: string) => {
    const now = Date.now();
    if (!force && now - lastEmit < progressEveryMs) return;
    lastEmit = now;
    options.onProgress?.({
      jobId: options.jobId,
      kind: 'reembed',
      phase,
      done,
      total,
      failed: counts.failed,
      rate: meter.rate(),
      etaSeconds: phase === 'embedding' ? meter.eta(done, total) : null,
      ...(message === undefined ? {} : { message }),
    });
  };
  const summary = (cancelled: boolean, items: number): ReembedSummary => ({
    modelId: options.modelId,
    embedderId: embedder.modelId,
    total: items,
    ...counts,
    cancelled,
    seconds: (Date.now() - started) / 1000,
  });

  try {
    emit('scanning', true, `re-embedding with ${options.modelId}`);
    const items = catalog.items.embeddedItems();
    const staged = staging.ids();
    counts.resumed = items.filter((i) => staged.has(i.id)).length;
    const work = items.filter((i) => !staged.has(i.id));
    total = work.length;
    meter.mark(0);
    emit('embedding', true);
    // Contents embedded in this run, for copies among the remaining items.
    const byHash = new Map<string, Buffer>();

    // Contents being decoded or embedded (their vectors arrive with their batch).
    const pending = new Set<string>();
    const prepare = async (item: (typeof work)[number]): Promise<Prepared> => {
      const key = item.hash?.toString('hex');
      const known = key === undefined ? undefined : (byHash.get(key) ?? staging.vectorByHash(item.hash!));
      if (known) return { id: item.id, hash: item.hash, kind: 'copy', vector: known };
      if (key !== undefined && pending.has(key)) return { id: item.id, hash: item.hash, kind: 'twin' };
      if (key !== undefined) pending.add(key);
      try {
        const snapshot = await readFileSnapshot(item.path, { ...(deps.maxFileBytes === undefined ? {} : { maxBytes: deps.maxFileBytes }) });
        if (item.hash && !contentHash(snapshot.bytes).equals(item.hash)) {
          throw new AppError('FILE_CHANGED', 'The file changed since it was indexed; index again to pick it up.');
        }
        const decoded = await decodeForModel(snapshot.bytes, embedder.input, { ...(deps.maxPixels === undefined ? {} : { maxPixels: deps.maxPixels }) });
        return { id: item.id, hash: item.hash, kind: 'embed', decoded };
      } catch (err) {
        if (!isAppError(err)) throw err;
        return { id: item.id, hash: item.hash, kind: 'failed', error: err };
      }
    };

    const chunks: (typeof work)[] = [];
    for (let i = 0; i < work.length; i += batchSize) chunks.push(work.slice(i, i + batchSize));
    const prepareChunk = (chunk: typeof work) => {
      const p = mapBounded(chunk, concurrency, prepare);
      p.catch(() => undefined);
      return p;
    };
    let next = chunks.length > 0 ? prepareChunk(chunks[0]!) : undefined;
    let cancelled = false;
    try {
      for (let i = 0; i < chunks.length; i++) {
        if (options.signal?.aborted) {
          cancelled = true;
          break;
        }
        const batch = await next!;
        next = i + 1 < chunks.length ? prepareChunk(chunks[i + 1]!) : undefined;
        const toEmbed = batch.filter((p): p is Prepared & { kind: 'embed' } => p.kind === 'embed');
        const vectors = toEmbed.length > 0 ? await embedder.embed(toEmbed.map((p) => p.decoded.pixels)) : [];
        if (vectors.length !== toEmbed.length || vectors.some((v) => v.length !== embedder.dim)) {
          throw new Error(`The embedder returned ${vectors.length} vectors for ${toEmbed.length} images (or a wrong dimension).`);
        }
        const encoded = new Map(toEmbed.map((p, j) => [p, encodeF16(vectors[j]!)]));
        for (const [p, vector] of encoded) if (p.hash) byHash.set(p.hash.toString('hex'), vector);
        const rows: StagedRow[] = batch.map((p) => {
          switch (p.kind) {
            case 'embed':
              counts.embedded += 1;
              return { item_id: p.id, hash: p.hash, vector: encoded.get(p)!, error_code: null, error_reason: null };
            case 'copy':
              counts.copied += 1;
              return { item_id: p.id, hash: p.hash, vector: p.vector, error_code: null, error_reason: null };
            case 'twin': {
              const vector = byHash.get(p.hash!.toString('hex'));
              if (vector) {
                counts.copied += 1;
                return { item_id: p.id, hash: p.hash, vector, error_code: null, error_reason: null };
              }
              counts.failed += 1;
              return { item_id: p.id, hash: p.hash, vector: null, error_code: 'CORRUPT_IMAGE', error_reason: 'An identical file could not be re-embedded.' };
            }
            case 'failed':
              counts.failed += 1;
              return { item_id: p.id, hash: p.hash, vector: null, error_code: p.error.code, error_reason: p.error.message };
          }
        });
        staging.put(rows);
        done += batch.length;
        meter.mark(done);
        emit('embedding', false);
      }
    } finally {
      await next?.catch(() => undefined);
    }
    if (cancelled || options.signal?.aborted) {
      emit('cancelled', true);
      return summary(true, items.length);
    }

    // The switch: every item that has a vector now gets the staged one, in one transaction with the model facts.
    emit('saving', true, 'switching the catalog to the new vectors');
    catalog.transaction(() => {
      const stagedRows = new Map<number, StagedRow>();
      for (const r of staging.all()) stagedRows.set(r.item_id, r);
      const current = catalog.items.embeddedItems();
      const missing = current.filter((i) => !stagedRows.has(i.id));
      if (missing.length > 0) {
        // Another writer added items meanwhile (it cannot: the job holds the folder's lock); never switch half.
        throw new AppError('INTERNAL', `${missing.length} items were added during the re-embed; run the switch again.`);
      }
      for (const item of current) {
        const r = stagedRows.get(item.id)!;
        if (r.vector) catalog.items.replaceVector(item.id, embedder.modelId, embedder.dim, r.vector);
        else catalog.items.markFailed(item.id, (r.error_code ?? 'INTERNAL') as AppError['code'], r.error_reason ?? 'could not be re-embedded');
      }
      catalog.meta.set('model_id', options.modelId);
      catalog.meta.set('embedder_id', embedder.modelId);
      catalog.meta.set('dimensions', String(embedder.dim));
    });
    logger.info('switched the data folder to another model', { modelId: options.modelId, embedder: embedder.modelId, ...counts });
    staging.close();
    removeStaging(deps.dataDir);
    return summary(false, items.length);
  } finally {
    if (staging.db.open) staging.close();
  }
}

/** Deletes the staging database and its WAL files. */
export function removeStaging(dataDir: string): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(join(dataDir, STAGING_FILE + suffix), { force: true });
}

async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let nextIndex = 0;
  const worker = async () => {
    while (nextIndex < items.length) {
      const i = nextIndex++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
