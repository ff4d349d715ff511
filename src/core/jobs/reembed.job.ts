/**
 * Switching a data folder to another model: every indexed item is embedded again with the new model into a
 * staging database next to the catalog (`reembed.sqlite`, catalog/reembed-staging.repo.ts), and only when all are
 * done are the catalog's vectors replaced in one transaction. Until then the folder keeps searching with its old vectors. Cancelling keeps what was
 * staged, so running the switch again resumes; staging made for another model is discarded.
 *
 * Identical contents (same SHA-256) are embedded once. A file that cannot be read or decoded any more, or whose
 * content changed since it was indexed, cannot get a vector of the new model: it is recorded as failed (the next
 * `index` picks up a changed file by its new size and mtime).
 */
import { AppError, isAppError, missingCase } from '../../shared/errors.js';
import type { ItemId, JobId, Progress } from '../../shared/types.js';
import type { Catalog } from '../catalog/catalog.js';
import { ReembedStagingRepo, removeStaging, type StagedRow } from '../catalog/reembed-staging.repo.js';
import { contentHash, decodeForModel, readFileSnapshot, type DecodedImage } from '../images/decode.js';
import type { Logger } from '../base/logger.js';
import type { Embedder } from '../models/embedder.js';
import { encodeF16 } from '../base/f16.js';
import { assertVectors, BatchPipeline } from './batch-pipeline.js';
import { JobProgress } from './job-progress.js';

export { STAGING_FILE, removeStaging } from '../catalog/reembed-staging.repo.js';

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
  const staging = new ReembedStagingRepo(deps.dataDir, { embedderId: embedder.modelId, dim: embedder.dim });
  const counts = { embedded: 0, resumed: 0, copied: 0, failed: 0 };
  const progress = new JobProgress({ jobId: options.jobId, kind: 'reembed', onProgress: options.onProgress, everyMs: options.progressEveryMs });
  const summary = (cancelled: boolean, items: number): ReembedSummary => ({
    modelId: options.modelId,
    embedderId: embedder.modelId,
    total: items,
    ...counts,
    cancelled,
    seconds: (Date.now() - started) / 1000,
  });

  try {
    progress.emit('scanning', true, `re-embedding with ${options.modelId}`);
    const items = catalog.items.embeddedItems();
    const staged = staging.ids();
    counts.resumed = items.filter((i) => staged.has(i.id)).length;
    const work = items.filter((i) => !staged.has(i.id));
    progress.begin(work.length);
    progress.emit('embedding', true);
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
        // Its content is the one indexed (hash checked above): a photo its collection admitted downscaled is again.
        const decoded = await decodeForModel(snapshot.bytes, embedder.input, { ...(deps.maxPixels === undefined ? {} : { maxPixels: deps.maxPixels }), downscale: true });
        return { id: item.id, hash: item.hash, kind: 'embed', decoded };
      } catch (err) {
        if (!isAppError(err)) throw err;
        return { id: item.id, hash: item.hash, kind: 'failed', error: err };
      }
    };

    // This job decodes on its own thread, so the pipeline bounds how many files read and decode at once.
    const pipeline = new BatchPipeline({ work, batchSize: options.batchSize ?? 16, aheadBatches: 1, concurrency: options.concurrency ?? 3, prepare });
    let stopped: boolean;
    try {
      ({ stopped } = await pipeline.run({
        start: (batch) => {
          const toEmbed = batch.filter((p): p is Prepared & { kind: 'embed' } => p.kind === 'embed');
          const vectors = toEmbed.length > 0 ? embedder.embed(toEmbed.map((p) => p.decoded.pixels)) : Promise.resolve([]);
          return { batch, toEmbed, vectors };
        },
        write: async ({ batch, toEmbed, vectors: embedding }) => {
          const vectors = await embedding;
          assertVectors(vectors, toEmbed.length, embedder.dim);
          const encoded = new Map(toEmbed.map((p, j) => [p, encodeF16(vectors[j]!)]));
          for (const [p, vector] of encoded) if (p.hash) byHash.set(p.hash.toString('hex'), vector);
          staging.put(batch.map((p) => stagedRow(p, encoded, byHash, counts)));
        },
        // One embedding at a time: a switch runs the new model on its one session.
        parallel: 1,
        signal: options.signal,
        onWritten: ({ batch }) => {
          progress.failed = counts.failed;
          progress.advance(batch.length);
          progress.emit('embedding', false);
        },
      }));
    } finally {
      await pipeline.stop();
    }
    if (stopped || options.signal?.aborted) {
      progress.emit('cancelled', true);
      return summary(true, items.length);
    }

    // The switch: every item that has a vector now gets the staged one, in one transaction with the model facts.
    progress.emit('saving', true, 'switching the catalog to the new vectors');
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
    if (staging.isOpen) staging.close();
  }
}

/** The staged row of one prepared item, counted. */
function stagedRow(
  p: Prepared,
  encoded: ReadonlyMap<Prepared, Buffer>,
  byHash: ReadonlyMap<string, Buffer>,
  counts: { embedded: number; copied: number; failed: number },
): StagedRow {
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
    default:
      return missingCase(p);
  }
}
