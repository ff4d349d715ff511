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
import { stat } from 'node:fs/promises';
import type { z } from 'zod';
import type { IndexSummarySchema } from '../../shared/api.js';
import { AppError, isAppError, missingCase } from '../../shared/errors.js';
import type { JobId, Progress } from '../../shared/types.js';
import type { Catalog } from '../catalog/catalog.js';
import type { CollectionRow } from '../catalog/collections.repo.js';
import type { ScanRow, StoredVector } from '../catalog/items.repo.js';
import type { DecodedImage } from '../images/decode.js';
import { createFileDecoder } from '../images/file-decoder.js';
import type { ImageSignature } from '../images/phash.js';
import { isInside, realRoots } from '../base/confine.js';
import type { Logger } from '../base/logger.js';
import type { BulkEmbedder } from '../models/bulk-embedder.js';
import type { EmbedTimings, Embedder } from '../models/embedder.js';
import { walk, type ScannedFile } from '../scan/walk.js';
import { decodeF16, encodeF16 } from '../base/f16.js';
import type { VectorStore } from '../vectors/vector-store.js';
import { RateMeter } from '../base/rate.js';
import { canLocate, embedWithRegions, indexedRegionInput, regionField, type RegionEmbedding } from '../locate/region-embedding.js';

/**
 * Files a run needs before it starts the bulk embedder (a session per worker: 0.26 s for `fast`, 0.42 s for
 * `accurate`). It saves ~0.44 ms (`fast`) and ~1.1 ms (`accurate`) per photo, so it pays from ~600 and ~400 photos:
 * on 241 photos it lost (fast 189–204 against 213–222 photos/s on one session, accurate 33.0 against 33.4–33.6), on
 * 3,068 it won (218 against 199, 34.0 against 33.0).
 */
export const BULK_MIN_FILES = 1024;

/** What one collection's run did; `failed` counts the collection's failed files after the run (new and remembered). */
export type IndexSummary = z.output<typeof IndexSummarySchema>;
/** Where the run's time went (milliseconds); see IndexStagesSchema. */
export type IndexStages = NonNullable<IndexSummary['stages']>;

/** Where the perceptual signatures computed from the index's own decode are stored (dedupe's SignatureStore). */
export interface SignatureSink {
  /** Called inside the batch's transaction. */
  put(entries: readonly { hash: Buffer; signature: ImageSignature }[]): void;
}

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
}

interface Work {
  file: ScannedFile;
  /** The file's current row when it has one (a changed or previously failed file). */
  existing?: ScanRow;
}

/** What the job decided about one file; `size`/`mtimeMs` are those of the bytes actually read. */
type Prepared = { work: Work; hash: Buffer | null; size: number; mtimeMs: number } & (
  | { kind: 'same' }
  | { kind: 'gone' }
  | { kind: 'move'; from: ScanRow }
  | { kind: 'copy'; source: StoredVector }
  | { kind: 'embed'; decoded: DecodedImage; signature: ImageSignature | null }
  | { kind: 'failed'; error: AppError }
);

/**
 * Runs the index job for one collection.
 * @throws AppError from the embedder or the catalog (a failed batch write); expected per-file failures never throw.
 */
export async function indexCollection(deps: IndexJobDeps, options: IndexJobOptions): Promise<IndexSummary> {
  const { catalog, vectors, embedder, logger } = deps;
  const { collection, signal } = options;
  const cid = collection.id;
  const batchSize = options.batchSize ?? 16;
  const concurrency = options.concurrency ?? 3;
  const aheadBatches = Math.max(1, options.aheadBatches ?? 2);
  const saveEveryMs = options.saveEveryMs ?? 30_000;
  const progressEveryMs = options.progressEveryMs ?? 200;
  const started = Date.now();
  const t0 = performance.now();
  const stages = emptyStages();
  const counts = { indexed: 0, unchanged: 0, moved: 0, removed: 0, failedNow: 0 };
  const meter = new RateMeter();
  let lastEmit = 0;
  let total = 0;
  let done = 0;

  const emit = (phase: Progress['phase'], force: boolean, message?: string) => {
    const now = Date.now();
    if (!force && now - lastEmit < progressEveryMs) return;
    lastEmit = now;
    options.onProgress?.({
      jobId: options.jobId,
      kind: 'index',
      phase,
      done,
      total,
      failed: counts.failedNow,
      rate: meter.rate(),
      etaSeconds: phase === 'embedding' ? meter.eta(done, total) : null,
      ...(message !== undefined ? { message } : {}),
    });
  };
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
  });

  // Verify (or rebuild) the collection's index before this job changes any row it is checked against.
  vectors.open(cid);
  // A collection's vectors are all of one kind: turning its product regions on or off re-embeds what it holds.
  const cropAverage = catalog.regions.enabled(cid) && canLocate(embedder);

  // 1. Scan.
  const scanStart = performance.now();
  emit('scanning', true, collection.name);
  const files = new Map<string, ScannedFile>();
  const offline: string[] = [];
  const roots = catalog.collections.roots(cid).map((r) => r.path);
  // Links are followed only into the collection's own folders (resolved once, so a linked root still counts).
  const within = await realRoots(roots);
  try {
    for (const root of roots) {
      try {
        for await (const f of walk(root, { signal, logger, within })) {
          files.set(f.path, f);
          done = files.size;
          emit('scanning', false, collection.name);
        }
      } catch (err) {
        if (signal?.aborted) throw err;
        offline.push(root);
        logger.warn('root folder unavailable; its items are kept as they are', {
          root,
          error: err instanceof Error ? err.message : String(err),
        });
      }
    }
  } catch (err) {
    if (signal?.aborted) {
      done = 0;
      emit('cancelled', true);
      return summary(true);
    }
    throw err;
  }

  // 2. Diff with the catalog.
  stages.scanMs += performance.now() - scanStart;
  const diffStart = performance.now();
  const rows = catalog.items.scanRows(cid);
  const rowByPath = new Map(rows.map((r) => [r.path, r]));
  const work: Work[] = [];
  for (const file of files.values()) {
    const row = rowByPath.get(file.path);
    if (!row) work.push({ file });
    else if (row.size !== file.size || row.mtimeMs !== file.mtimeMs || (row.indexed && row.averaged !== cropAverage)) work.push({ file, existing: row });
    else if (row.indexed) counts.unchanged += 1;
  }
  const vanished = rows.filter((r) => !files.has(r.path) && !offline.some((root) => isUnder(r.path, root)));
  const vanishedByHash = new Map<string, ScanRow[]>();
  for (const r of vanished) {
    if (!r.indexed || !r.hash || r.averaged !== cropAverage) continue;
    const key = r.hash.toString('hex');
    vanishedByHash.set(key, [...(vanishedByHash.get(key) ?? []), r]);
  }
  const claimed = new Set<number>();
  stages.diffMs += performance.now() - diffStart;
  total = work.length;
  done = 0;
  meter.mark(0);
  emit('embedding', true);

  // 3. Prepare (read and hash; decide; decode what is new) ahead of the batch being embedded and written.
  const spec = embedder.input;
  const ids = new Map(work.map((w, i) => [w, i]));
  const prepare = async (w: Work): Promise<Prepared> => {
    const scanned = { work: w, hash: null, size: w.file.size, mtimeMs: w.file.mtimeMs };
    if (w.file.refused) return { ...scanned, kind: 'failed', error: w.file.refused };
    const id = ids.get(w)!;
    let file;
    try {
      file = await decoder.read(id, w.file.path, w.file.size);
    } catch (err) {
      const error = asExpected(err);
      // Deleted (or its folder removed) since the scan: the same as not found by the scan.
      if (error.code === 'NOT_FOUND') return { ...scanned, kind: 'gone' };
      return { ...scanned, kind: 'failed', error };
    }
    stages.readMs += file.readMs;
    stages.hashMs += file.hashMs;
    const { hash } = file;
    const read = { work: w, size: file.size, mtimeMs: file.mtimeMs };
    if (!hash) return { ...read, hash: null, kind: 'failed', error: new AppError('EMPTY_FILE', 'The file is empty.') };
    const known = ((): Prepared | undefined => {
      if (w.existing?.indexed && w.existing.hash?.equals(hash) && w.existing.averaged === cropAverage) return { ...read, hash, kind: 'same' };
      const candidates = vanishedByHash.get(hash.toString('hex'));
      const from = candidates?.find((r) => !claimed.has(r.id));
      if (from) {
        claimed.add(from.id);
        return { ...read, hash, kind: 'move', from };
      }
      const source = catalog.items.vectorByHash(hash, embedder.modelId, cropAverage);
      if (source && source.itemId !== w.existing?.id) return { ...read, hash, kind: 'copy', source };
      return undefined;
    })();
    if (known) {
      decoder.drop(id);
      return known;
    }
    try {
      const { decoded, signature, decodeMs, signatureMs } = await decoder.decode(id);
      stages.decodeMs += decodeMs;
      stages.signatureMs += signatureMs;
      return { ...read, hash, kind: 'embed', decoded, signature };
    } catch (err) {
      return { ...read, hash, kind: 'failed', error: asExpected(err) };
    }
  };

  /** A batch's embedding, started; the batch is written when its turn comes (batches are written in order). */
  interface Embedding {
    batch: Prepared[];
    toEmbed: (Prepared & { kind: 'embed' })[];
    timings: EmbedTimings;
    vectors: Promise<RegionEmbedding[]>;
  }
  const startEmbedding = (batch: Prepared[], using: Embedder): Embedding => {
    const toEmbed = batch.filter((p): p is Prepared & { kind: 'embed' } => p.kind === 'embed');
    const timings: EmbedTimings = { preprocessMs: 0, inferenceMs: 0 };
    const vectors = embedWithRegions(using, toEmbed.map((p) => indexedRegionInput(p.decoded, spec)), { cropAverage }, timings);
    // Awaited in turn by commit(), or by the cleanup after a failure: never an unhandled rejection meanwhile.
    vectors.catch(() => undefined);
    return { batch, toEmbed, timings, vectors };
  };

  const commit = async ({ batch, toEmbed, timings, vectors: embedded }: Embedding): Promise<void> => {
    const embedStart = performance.now();
    const regions = await embedded;
    const raw = regions.map((r) => r.vector);
    const embedMs = performance.now() - embedStart;
    // The main line's wait for the batch's vectors, split as the embedder reports its own time: packing the input
    // (preprocessing) and inference. With several batches in flight the embedder's own times overlap, so the split
    // is by their ratio. An embedder that reports nothing is all inference.
    const reported = timings.inferenceMs + timings.preprocessMs;
    const inferenceMs = reported > 0 ? embedMs * (timings.inferenceMs / reported) : embedMs;
    stages.inferenceMs += inferenceMs;
    stages.preprocessMs += embedMs - inferenceMs;
    const writeStart = performance.now();
    if (raw.length !== toEmbed.length || raw.some((v) => v.length !== embedder.dim)) {
      throw new Error(`The embedder returned ${raw.length} vectors for ${toEmbed.length} images (or a wrong dimension).`);
    }
    const encoded = new Map(toEmbed.map((p, i) => [p, encodeF16(raw[i]!)]));
    const added: { id: number; vector: Float32Array }[] = [];
    const removed: number[] = [];
    const signed: { hash: Buffer; signature: ImageSignature }[] = [];
    const now = Date.now();
    catalog.transaction(() => {
      for (const p of batch) {
        const { file, existing } = p.work;
        const facts = { collectionId: cid, path: file.path, size: p.size, mtimeMs: p.mtimeMs, hash: p.hash };
        if (p.kind === 'same') {
          catalog.items.updateStat(existing!.id, p.size, p.mtimeMs);
          counts.unchanged += 1;
          continue;
        }
        if (existing) {
          catalog.items.delete(existing.id);
          if (existing.indexed) removed.push(existing.id);
        }
        switch (p.kind) {
          case 'gone':
            if (existing) counts.removed += 1;
            break;
          case 'move':
            catalog.items.move(p.from.id, file.path, p.size, p.mtimeMs);
            counts.moved += 1;
            break;
          case 'copy':
          case 'embed': {
            const vector = p.kind === 'copy' ? p.source.vector : encoded.get(p)!;
            const meta = p.kind === 'copy' ? p.source : p.decoded;
            const id = catalog.items.insertIndexed(
              {
                ...facts,
                hash: p.hash!,
                width: meta.width ?? 0,
                height: meta.height ?? 0,
                format: meta.format ?? 'unknown',
                modelId: embedder.modelId,
                dim: embedder.dim,
                vector,
                ...regionField(p.kind === 'copy' ? p.source.region : regions[toEmbed.indexOf(p)]),
              },
              now,
            );
            // The index gets the stored (f16-rounded) vector, so a rebuild reproduces it exactly.
            added.push({ id, vector: decodeF16(vector) });
            if (p.kind === 'embed' && p.signature) signed.push({ hash: p.hash!, signature: p.signature });
            counts.indexed += 1;
            break;
          }
          case 'failed':
            catalog.items.insertFailed({ ...facts, code: p.error.code, reason: p.error.message }, now);
            counts.failedNow += 1;
            logger.debug('not indexed', { path: file.path, code: p.error.code, reason: p.error.message });
            break;
          default:
            missingCase(p);
        }
      }
      // In the batch's transaction: a signature is never stored for a row that was rolled back, nor lost for one kept.
      if (signed.length > 0) deps.signatures?.put(signed);
    });
    vectors.remove(cid, removed);
    vectors.add(cid, added);
    stages.writeMs += performance.now() - writeStart;
  };

  let cancelled = false;
  let failure: unknown;
  let lastSave = Date.now();
  const decoder = createFileDecoder(
    {
      spec,
      concurrency,
      ...(deps.maxPixels === undefined ? {} : { maxPixels: deps.maxPixels }),
      ...(deps.maxFileBytes === undefined ? {} : { maxBytes: deps.maxFileBytes }),
      signatures: deps.signatures !== undefined,
      detail: cropAverage,
    },
    // One batch or less has no inference to overlap its decoding with.
    { thread: work.length > batchSize, workerFile: deps.decodeWorkerFile },
  );
  const lookahead = new Lookahead(work, prepare, batchSize * (1 + aheadBatches));
  let bulk: BulkEmbedder | undefined;
  const inFlight: Embedding[] = [];
  try {
    if (work.length >= (options.bulkMinFiles ?? BULK_MIN_FILES)) bulk = await deps.openBulkEmbedder?.();
    const using = bulk?.embedder ?? embedder;
    for (let start = 0; start < work.length || inFlight.length > 0; ) {
      // Keep `parallel` batches embedding; cancel starts no new one and writes those already embedding.
      while (start < work.length && inFlight.length < Math.max(1, using.parallel ?? 1) && !signal?.aborted) {
        const end = Math.min(work.length, start + batchSize);
        const waitStart = performance.now();
        const batch = await lookahead.take(start, end);
        stages.waitMs += performance.now() - waitStart;
        inFlight.push(startEmbedding(batch, using));
        start = end;
      }
      const next = inFlight.shift();
      if (next === undefined) {
        cancelled = true;
        break;
      }
      await commit(next);
      const { batch } = next;
      done += batch.length;
      meter.mark(done);
      emit('embedding', false);
      if (Date.now() - lastSave >= saveEveryMs) {
        const saveStart = performance.now();
        vectors.save(cid);
        stages.saveMs += performance.now() - saveStart;
        lastSave = Date.now();
      }
    }
    if (signal?.aborted && done < total) cancelled = true;

    // 4. Remove what is gone (only after a complete pass: the vanished rows were the candidates for moves). A root
    // that went away during the run (a drive unplugged mid-scan) is offline, not emptied.
    if (!cancelled) {
      const finishStart = performance.now();
      for (const root of roots) if (!offline.includes(root) && !(await isFolder(root))) offline.push(root);
      const gone = vanished.filter((r) => !claimed.has(r.id) && !offline.some((root) => isUnder(r.path, root)));
      if (gone.length > 0) {
        catalog.transaction(() => {
          for (const r of gone) catalog.items.delete(r.id);
        });
        vectors.remove(
          cid,
          gone.filter((r) => r.indexed).map((r) => r.id),
        );
        counts.removed += gone.length;
      }
      stages.diffMs += performance.now() - finishStart;
    }
  } catch (err) {
    failure = err;
    throw err;
  } finally {
    // Let in-flight reads, decodes and embeddings settle (their results are dropped) before the caller closes
    // anything: the decoder finishes what is running and refuses the rest.
    const settled = lookahead.stop();
    await decoder.close();
    await settled;
    await Promise.allSettled(inFlight.map((e) => e.vectors));
    await bulk?.release();
    emit('saving', true);
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
  emit(cancelled ? 'cancelled' : 'done', true);
  return summary(cancelled);
}

/** Per-file failures arrive classified as AppError (recorded, the job goes on); anything else is a bug. */
function asExpected(err: unknown): AppError {
  if (isAppError(err)) return err;
  throw err;
}

/**
 * Runs `fn` over `items` in order, never more than `window` items past the first one not yet taken (back-pressure:
 * prepared items wait in memory for the consumer, a bounded number of them). Results are taken in order, in
 * consecutive ranges of at most `window`. (How many of them read or decode at once is the decoder's limit.)
 */
class Lookahead<T, R> {
  /** The results of launched items not yet taken. */
  private readonly results: (Promise<R> | undefined)[];
  private launched = 0;
  private taken = 0;
  private stopped = false;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly items: readonly T[],
    private readonly fn: (item: T) => Promise<R>,
    private readonly window: number,
  ) {
    this.results = new Array<Promise<R> | undefined>(items.length);
    this.pump();
  }

  /** The results of items [start, end), waiting for them; `start` must be where the previous take ended. */
  async take(start: number, end: number): Promise<R[]> {
    if (start !== this.taken || end - start > this.window) throw new Error(`Lookahead.take(${start}, ${end}) after ${this.taken} taken, window ${this.window}`);
    this.taken = end;
    this.pump();
    const out = await Promise.all(this.results.slice(start, end) as Promise<R>[]);
    this.results.fill(undefined, start, end);
    return out;
  }

  /** Starts nothing more and waits for what is in flight (its results are dropped). */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.inFlight]);
  }

  private pump(): void {
    while (!this.stopped && this.launched < this.items.length && this.launched < this.taken + this.window) {
      const i = this.launched++;
      const result = this.fn(this.items[i]!);
      this.results[i] = result;
      // Awaited when taken (or never, after a cancel); until then a rejection must not count as unhandled.
      const settled = result.catch(() => undefined);
      this.inFlight.add(settled);
      void settled.then(() => this.inFlight.delete(settled));
    }
  }
}

function emptyStages(): IndexStages {
  return { scanMs: 0, diffMs: 0, waitMs: 0, preprocessMs: 0, inferenceMs: 0, writeMs: 0, saveMs: 0, otherMs: 0, readMs: 0, hashMs: 0, decodeMs: 0, signatureMs: 0 };
}

/** The stages rounded to 0.1 ms, with the run's unaccounted main-line time as `otherMs`. */
function roundStages(stages: IndexStages, wallMs: number): IndexStages {
  const line = stages.scanMs + stages.diffMs + stages.waitMs + stages.preprocessMs + stages.inferenceMs + stages.writeMs + stages.saveMs;
  const out = { ...stages, otherMs: Math.max(0, wallMs - line) };
  for (const key of Object.keys(out) as (keyof IndexStages)[]) out[key] = Math.round(out[key] * 10) / 10;
  return out;
}

const isUnder = isInside;

async function isFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
