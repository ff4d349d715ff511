/**
 * Indexes one collection: scan its roots → diff with the catalog → read, hash and decode on a worker thread
 * (file-decoder.ts: inference blocks this thread's event loop) with bounded concurrency, up to a few batches ahead of
 * the batch in inference (back-pressure bounds memory) → write each batch in one SQLite transaction and add it to the
 * vector index → save the index periodically and at the end. Each file is decoded once: the picture the model's input
 * is cut from also gives the perceptual signature that `dupes` and `match` use.
 *
 * Where the time goes is counted as it runs (a few performance.now() calls per batch and per file) and returned in
 * the summary's `stages` (IndexStagesSchema).
 *
 * Incremental: a file whose size and mtime match its row is not read; otherwise its SHA-256 decides: same content
 * refreshes the row, content of a vanished file is a move (the row, id and vector follow the file), content
 * already embedded elsewhere copies that vector, anything else is decoded and embedded. Rows whose files are gone
 * leave the catalog and the index at the end (not earlier: they are the candidates for moves), except under a
 * root that is offline (an unplugged drive is not a deletion).
 *
 * Cancel (AbortSignal) stops after the batch in flight; everything committed so far stays, and the next run
 * resumes because committed files are unchanged by then. A crash (kill -9, power cut) is the same as a cancel at
 * the last committed batch: each batch is one SQLite transaction, the vector index file is only ever replaced
 * atomically, and an index file that fell behind the catalog is rebuilt from it on open.
 *
 * Hostile files never stop the job: each is recorded with its reason (empty, damaged, not an image, too large,
 * changed while read, a link out of the roots) and the scan goes on; a file or folder that vanishes mid-run is
 * treated as deleted, a root that vanishes mid-run as offline.
 */
import type { z } from 'zod';
import type { IndexSummarySchema } from '../../shared/api.js';
import type { JobId, Progress } from '../../shared/types.js';
import type { Catalog } from '../catalog/catalog.js';
import type { CollectionRow } from '../catalog/collections.repo.js';
import type { PendingRow, ScanRow } from '../catalog/items.repo.js';
import { createFileDecoder } from '../images/file-decoder.js';
import type { Logger } from '../base/logger.js';
import type { BulkEmbedder } from '../models/bulk-embedder.js';
import type { Embedder } from '../models/embedder.js';
import type { VectorStore } from '../vectors/vector-store.js';
import { BatchPipeline } from './batch-pipeline.js';
import { canLocate } from '../locate/region-embedding.js';
import { diffWithCatalog, removeGone, Vanished, type Work } from './index-diff.js';
import { filePreparer } from './index-prepare.js';
import { scanCollection, type CollectionScan } from './index-scan.js';
import { emptyStages, roundStages, type IndexStages } from './index-stages.js';
import { noEmbedding, startEmbedding, writeBatch, type SignatureSink, type WriteCounts, type WriteMode } from './index-write.js';
import { JobProgress } from './job-progress.js';

export type { IndexStages } from './index-stages.js';
export type { SignatureSink } from './index-write.js';

/**
 * Files a run needs before it starts the bulk embedder (a session per worker: 0.26 s for `fast`, 0.42 s for
 * `accurate`). It saves ~0.44 ms (`fast`) and ~1.1 ms (`accurate`) per photo, so it pays from ~600 and ~400 photos:
 * on 241 photos it lost (fast 189–204 against 213–222 photos/s on one session, accurate 33.0 against 33.4–33.6), on
 * 3,068 it won (218 against 199, 34.0 against 33.0).
 */
export const BULK_MIN_FILES = 1024;

/**
 * New or changed files from which a run indexes progressively. The first pass makes duplicates listable at decode
 * speed; the price is a second, smaller decode of each file (the fingerprint's, 1/8 shrink-on-load for JPEG) on top
 * of the model's. Below a few thousand files the whole run takes about a minute with the default model, and one pass is
 * simpler and cheaper.
 */
export const PROGRESSIVE_MIN_FILES = 2048;

/**
 * Files a progressive run embeds before it catalogues the rest (at most an eighth of its work), on one session (the
 * pool's start-up does not pay for so few): a first search has something to answer from within seconds. Default
 * model, 3,068 photos, loaded machine: with 64, the first search hit came after 6.6 s and duplicates were listable
 * after 20.5 s; 256 delayed that to 50 s (no sample: 12.9 s, but no search before the catalogue is done).
 */
export const PROGRESSIVE_SEED_FILES = 64;

/** What one collection's run did; `failed` counts the collection's failed files after the run (new and remembered). */
export type IndexSummary = z.output<typeof IndexSummarySchema>;

export interface IndexJobDeps {
  catalog: Catalog;
  vectors: VectorStore;
  embedder: Embedder;
  logger: Logger;
  maxPixels?: number;
  /** Files larger than this are recorded as IMAGE_TOO_LARGE without being read. */
  maxFileBytes?: number;
  /** When given, each embedded file's perceptual signature is computed from its decode and stored here. */
  signatures?: SignatureSink;
  /** The decode worker's module (see EngineOptions.decodeWorkerFile); default the compiled one beside file-decoder. */
  decodeWorkerFile?: string;
  /**
   * For a run of many files (IndexJobOptions.bulkMinFiles): an embedder that runs several embed() calls at once (its
   * `parallel`, see models/embedder-pool.ts), released when the run ends; undefined when there is none (the run uses
   * `embedder`).
   */
  openBulkEmbedder?: () => Promise<BulkEmbedder | undefined>;
}

export interface IndexJobOptions {
  jobId: JobId;
  collection: CollectionRow;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Images per inference call and per SQLite transaction. */
  batchSize?: number;
  /** Files read at once, and files decoded at once, by the decode worker (sharp runs on libuv's thread pool). */
  concurrency?: number;
  /** Batches prepared ahead of the one in inference (back-pressure: at most this many wait, read or decoded). */
  aheadBatches?: number;
  /** Save the vector index at least this often while running. */
  saveEveryMs?: number;
  /** Minimum interval between progress events (phase changes are always sent). */
  progressEveryMs?: number;
  /**
   * Files a run needs before it opens the bulk embedder (default BULK_MIN_FILES). Lower it only to run the pool on a
   * few files (tests, soaks): below the default its start-up costs more than it saves.
   */
  bulkMinFiles?: number;
  /**
   * New or changed files a run needs before it indexes progressively (default PROGRESSIVE_MIN_FILES): a first pass
   * catalogues every file at decode speed, a second embeds them.
   */
  progressiveMinFiles?: number;
}

/**
 * Runs the index job for one collection.
 * @throws AppError from the embedder or the catalog (a failed batch write); expected per-file failures never throw.
 */
export async function indexCollection(deps: IndexJobDeps, options: IndexJobOptions): Promise<IndexSummary> {
  const { catalog, vectors, embedder, logger } = deps;
  const { collection, signal } = options;
  const cid = collection.id;
  const started = Date.now();
  const t0 = performance.now();
  const stages = emptyStages();
  const counts: WriteCounts = { indexed: 0, fingerprinted: 0, unchanged: 0, moved: 0, removed: 0, failed: 0 };
  let fingerprintSeconds: number | undefined;
  let progressive = false;
  const progress = new JobProgress({ jobId: options.jobId, kind: 'index', onProgress: options.onProgress, everyMs: options.progressEveryMs });
  const summary = (cancelled: boolean): IndexSummary => ({
    collection: collection.name,
    indexed: counts.indexed,
    unchanged: counts.unchanged,
    moved: counts.moved,
    removed: counts.removed,
    failed: catalog.items.failed(cid).length,
    cancelled,
    seconds: (Date.now() - started) / 1000,
    stages: roundStages(stages, performance.now() - t0),
    ...(progressive ? { fingerprinted: counts.fingerprinted } : {}),
    ...(fingerprintSeconds === undefined ? {} : { fingerprintSeconds }),
    pending: catalog.items.pendingCount(cid),
  });

  // Verify (or rebuild) the collection's index before this job changes any row it is checked against.
  vectors.open(cid);
  // A collection's vectors are all of one kind: turning its product regions on or off re-embeds what it holds.
  const cropAverage = catalog.regions.enabled(cid) && canLocate(embedder);

  // 1. Scan.
  const scanStart = performance.now();
  progress.emit('scanning', true, collection.name);
  let scan: CollectionScan;
  try {
    scan = await scanCollection(deps, collection, {
      signal,
      onFile: (found) => {
        progress.done = found;
        progress.emit('scanning', false, collection.name);
      },
    });
  } catch (err) {
    if (signal?.aborted) {
      progress.done = 0;
      progress.emit('cancelled', true);
      return summary(true);
    }
    throw err;
  }
  stages.scanMs += performance.now() - scanStart;

  // 2. Diff with the catalog.
  const diffStart = performance.now();
  const downscale = catalog.collections.downscale(cid);
  const { work, unchanged, vanished } = diffWithCatalog(catalog, cid, scan, cropAverage, downscale);
  counts.unchanged += unchanged;
  stages.diffMs += performance.now() - diffStart;
  progressive = work.length >= (options.progressiveMinFiles ?? PROGRESSIVE_MIN_FILES);
  const pass = { deps, options, cropAverage, downscale, counts, stages, progress };
  let cancelled = false;
  let failure: unknown;
  let bulk: BulkEmbedder | undefined;
  try {
    // 3. The files that are new or changed: catalogued at decode speed first in a progressive run (hashes, facts,
    //    signatures: duplicates can be listed from here on), else decoded, embedded and written in one pass.
    if (progressive) {
      // A sample spread over the folder is embedded first, so a search answers within seconds whatever the folder's
      // size (from that sample, then from more as the embedding pass goes); the rest is catalogued.
      const stride = Math.ceil(work.length / Math.max(1, Math.min(PROGRESSIVE_SEED_FILES, Math.floor(work.length / 8))));
      cancelled = await runPass(pass, { mode: 'insert', work: work.filter((_, i) => i % stride === 0), vanished });
      if (!cancelled) cancelled = await runPass(pass, { mode: 'fingerprint', work: work.filter((_, i) => i % stride !== 0), vanished });
      if (!cancelled) fingerprintSeconds = (Date.now() - started) / 1000;
    } else {
      bulk = work.length >= (options.bulkMinFiles ?? BULK_MIN_FILES) ? await deps.openBulkEmbedder?.() : undefined;
      cancelled = await runPass(pass, { mode: 'insert', work, vanished, bulk });
    }

    // 4. The model's embeddings of the pending items: this run's first pass, or what an earlier run left pending
    //    (cancelled or killed between its passes). Each item keeps its id.
    if (!cancelled) {
      const pending = catalog.items.pending(cid);
      if (pending.length > 0) {
        if (!bulk && pending.length >= (options.bulkMinFiles ?? BULK_MIN_FILES)) bulk = await deps.openBulkEmbedder?.();
        // One file per content first; its identical files then copy that embedding (a copy is decided when its file
        // is read, which the pipeline does a few batches ahead of the writes, so they wait for a pass of their own).
        const first = new Set<string>();
        const [distinct, copies] = [[] as Work[], [] as Work[]];
        for (const row of pending) {
          // The file as this run's scan found it (a link out of the roots stays refused); one the scan did not find
          // stays pending: gone files leave below, and a root that is offline is not emptied.
          const file = scan.files.get(row.path);
          if (!file) continue;
          const key = row.hash.toString('hex');
          const work: Work = { file, existing: pendingRow(row) };
          (first.has(key) ? copies : distinct).push(work);
          first.add(key);
        }
        cancelled = await runPass(pass, { mode: 'complete', work: distinct, vanished: new Vanished([]), bulk });
        if (!cancelled && copies.length > 0) cancelled = await runPass(pass, { mode: 'complete', work: copies, vanished: new Vanished([]), bulk });
      }
    }

    // 5. Remove what is gone (only after a complete pass).
    if (!cancelled) {
      const finishStart = performance.now();
      counts.removed += await removeGone({ catalog, vectors }, cid, scan, vanished);
      stages.diffMs += performance.now() - finishStart;
    }
  } catch (err) {
    failure = err;
    throw err;
  } finally {
    await bulk?.release();
    progress.failed = counts.failed;
    progress.emit('saving', true);
    const saveStart = performance.now();
    try {
      vectors.save(cid);
      stages.saveMs += performance.now() - saveStart;
    } catch (err) {
      // Never hide why the job failed behind a second failure (a full disk fails both); the index on disk is the
      // previous complete one, and the next open rebuilds whatever it lacks from the catalog.
      if (failure === undefined) throw err;
      logger.warn('vector index not saved after a failed batch', { error: err instanceof Error ? err.message : String(err) });
    }
  }
  progress.emit(cancelled ? 'cancelled' : 'done', true);
  return summary(cancelled);
}

/** What every pass of one run shares. */
interface PassContext {
  deps: IndexJobDeps;
  options: IndexJobOptions;
  cropAverage: boolean;
  downscale: boolean;
  counts: WriteCounts;
  stages: IndexStages;
  progress: JobProgress;
}

/** One pass over some files: what their decode becomes (WriteDeps.mode), and the embedder of many files if any. */
interface PassPlan {
  mode: WriteMode;
  work: readonly Work[];
  vanished: Vanished;
  bulk?: BulkEmbedder | undefined;
}

/**
 * Reads, decodes, (embeds) and writes `plan.work` in batches, a few batches prepared ahead of the one in inference.
 * @returns whether it stopped before the end (cancelled).
 */
async function runPass(ctx: PassContext, plan: PassPlan): Promise<boolean> {
  const { deps, options, counts, stages, progress } = ctx;
  const { catalog, vectors, embedder, logger } = deps;
  const { signal } = options;
  const cid = options.collection.id;
  const batchSize = options.batchSize ?? 16;
  const saveEveryMs = options.saveEveryMs ?? 30_000;
  const phase = plan.mode === 'fingerprint' ? 'fingerprinting' : 'embedding';
  progress.begin(plan.work.length);
  progress.emit(phase, true);
  if (plan.work.length === 0) return false;

  // Read and hash; decide; decode what is new, ahead of the batches being embedded and written.
  const decoder = createFileDecoder(
    {
      spec: embedder.input,
      concurrency: options.concurrency ?? 3,
      ...(deps.maxPixels === undefined ? {} : { maxPixels: deps.maxPixels }),
      ...(deps.maxFileBytes === undefined ? {} : { maxBytes: deps.maxFileBytes }),
      // The embedding pass reads files whose signatures the first pass stored.
      signatures: deps.signatures !== undefined && plan.mode !== 'complete',
      ...(plan.mode === 'fingerprint' ? { fingerprintOnly: true } : {}),
      detail: ctx.cropAverage && plan.mode !== 'fingerprint',
      downscale: ctx.downscale,
    },
    // One batch or less has no inference to overlap its decoding with.
    { thread: plan.work.length > batchSize, workerFile: deps.decodeWorkerFile },
  );
  // The decoder bounds how many files read and decode at once.
  const pipeline = new BatchPipeline({
    work: plan.work,
    batchSize,
    aheadBatches: options.aheadBatches ?? 2,
    prepare: filePreparer({ catalog, decoder, modelId: embedder.modelId, cropAverage: ctx.cropAverage, vanished: plan.vanished, stages }, plan.work),
  });
  const writing = { catalog, vectors, embedder, logger, signatures: deps.signatures, collectionId: cid, mode: plan.mode, counts, stages };
  let lastSave = Date.now();
  try {
    const using = plan.bulk?.embedder ?? embedder;
    const { stopped } = await pipeline.run({
      start: (batch) => (plan.mode === 'fingerprint' ? noEmbedding(batch) : startEmbedding(batch, using, { spec: embedder.input, cropAverage: ctx.cropAverage })),
      write: (embedding) => writeBatch(writing, embedding),
      parallel: plan.mode === 'fingerprint' ? 1 : (using.parallel ?? 1),
      signal,
      onWait: (ms) => (stages.waitMs += ms),
      onWritten: ({ batch }) => {
        progress.failed = counts.failed;
        progress.advance(batch.length);
        progress.emit(phase, false);
        if (Date.now() - lastSave >= saveEveryMs) {
          const saveStart = performance.now();
          vectors.save(cid);
          stages.saveMs += performance.now() - saveStart;
          lastSave = Date.now();
        }
      },
    });
    return stopped || (signal?.aborted === true && progress.done < progress.total);
  } finally {
    // In-flight reads, decodes and embeddings settle (their results are dropped) before the caller closes anything.
    await pipeline.stop(() => decoder.close());
  }
}

/** A pending item as the work of the embedding pass: its row, not indexed. */
function pendingRow(row: PendingRow): ScanRow {
  return { id: row.id, path: row.path, size: row.size, mtimeMs: row.mtimeMs, hash: row.hash, indexed: false, pending: true, errorCode: null, averaged: false };
}
