/**
 * Indexes one collection: scan its roots → diff with the catalog → read, hash and decode with bounded
 * concurrency while the previous batch is in inference (double buffering bounds memory) → write each batch in one
 * SQLite transaction and add it to the vector index → save the index periodically and at the end.
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
import { contentHash, decodeForModel, readFileSnapshot, type DecodedImage } from '../images/decode.js';
import { isInside, realRoots } from '../library/confine.js';
import type { Logger } from '../logger.js';
import type { Embedder } from '../models/embedder.js';
import { walk, type ScannedFile } from '../scan/walk.js';
import { decodeF16, encodeF16 } from '../vectors/f16.js';
import type { VectorStore } from '../vectors/vector-store.js';
import { RateMeter } from './rate.js';

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
}

export interface IndexJobOptions {
  jobId: JobId;
  collection: CollectionRow;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Images per inference call and per SQLite transaction. */
  batchSize?: number;
  /** Files read and decoded at once (sharp runs them on libuv's thread pool). */
  concurrency?: number;
  /** Save the vector index at least this often while running. */
  saveEveryMs?: number;
  /** Minimum interval between progress events (phase changes are always sent). */
  progressEveryMs?: number;
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
  | { kind: 'embed'; decoded: DecodedImage }
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
  const saveEveryMs = options.saveEveryMs ?? 30_000;
  const progressEveryMs = options.progressEveryMs ?? 200;
  const started = Date.now();
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
  });

  // Verify (or rebuild) the collection's index before this job changes any row it is checked against.
  vectors.open(cid);

  // 1. Scan.
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
  const rows = catalog.items.scanRows(cid);
  const rowByPath = new Map(rows.map((r) => [r.path, r]));
  const work: Work[] = [];
  for (const file of files.values()) {
    const row = rowByPath.get(file.path);
    if (!row) work.push({ file });
    else if (row.size !== file.size || row.mtimeMs !== file.mtimeMs) work.push({ file, existing: row });
    else if (row.indexed) counts.unchanged += 1;
  }
  const vanished = rows.filter((r) => !files.has(r.path) && !offline.some((root) => isUnder(r.path, root)));
  const vanishedByHash = new Map<string, ScanRow[]>();
  for (const r of vanished) {
    if (!r.indexed || !r.hash) continue;
    const key = r.hash.toString('hex');
    vanishedByHash.set(key, [...(vanishedByHash.get(key) ?? []), r]);
  }
  const claimed = new Set<number>();
  total = work.length;
  done = 0;
  meter.mark(0);
  emit('embedding', true);

  // 3. Prepare (read, hash, maybe decode) one chunk while the previous one is embedded and written.
  const spec = embedder.input;
  const prepare = async (w: Work): Promise<Prepared> => {
    const scanned = { work: w, hash: null, size: w.file.size, mtimeMs: w.file.mtimeMs };
    if (w.file.refused) return { ...scanned, kind: 'failed', error: w.file.refused };
    let snapshot;
    try {
      snapshot = await readFileSnapshot(w.file.path, { maxBytes: deps.maxFileBytes });
    } catch (err) {
      const error = asExpected(err);
      // Deleted (or its folder removed) since the scan: the same as not found by the scan.
      if (error.code === 'NOT_FOUND') return { ...scanned, kind: 'gone' };
      return { ...scanned, kind: 'failed', error };
    }
    const { bytes } = snapshot;
    const read = { work: w, size: snapshot.size, mtimeMs: snapshot.mtimeMs };
    if (bytes.length === 0) return { ...read, hash: null, kind: 'failed', error: new AppError('EMPTY_FILE', 'The file is empty.') };
    const hash = contentHash(bytes);
    if (w.existing?.indexed && w.existing.hash?.equals(hash)) return { ...read, hash, kind: 'same' };
    const candidates = vanishedByHash.get(hash.toString('hex'));
    const from = candidates?.find((r) => !claimed.has(r.id));
    if (from) {
      claimed.add(from.id);
      return { ...read, hash, kind: 'move', from };
    }
    const source = catalog.items.vectorByHash(hash, embedder.modelId);
    if (source && source.itemId !== w.existing?.id) return { ...read, hash, kind: 'copy', source };
    try {
      const decoded = await decodeForModel(bytes, spec, { maxPixels: deps.maxPixels });
      return { ...read, hash, kind: 'embed', decoded };
    } catch (err) {
      return { ...read, hash, kind: 'failed', error: asExpected(err) };
    }
  };
  const prepareChunk = (chunk: Work[]): Promise<Prepared[]> => {
    const prepared = mapBounded(chunk, concurrency, prepare);
    // Awaited later (next iteration or the finally below); until then a rejection must not count as unhandled.
    prepared.catch(() => undefined);
    return prepared;
  };

  const commit = async (batch: Prepared[]): Promise<void> => {
    const toEmbed = batch.filter((p): p is Prepared & { kind: 'embed' } => p.kind === 'embed');
    const raw = toEmbed.length > 0 ? await embedder.embed(toEmbed.map((p) => p.decoded.pixels)) : [];
    if (raw.length !== toEmbed.length || raw.some((v) => v.length !== embedder.dim)) {
      throw new Error(`The embedder returned ${raw.length} vectors for ${toEmbed.length} images (or a wrong dimension).`);
    }
    const encoded = new Map(toEmbed.map((p, i) => [p, encodeF16(raw[i]!)]));
    const added: { id: number; vector: Float32Array }[] = [];
    const removed: number[] = [];
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
              },
              now,
            );
            // The index gets the stored (f16-rounded) vector, so a rebuild reproduces it exactly.
            added.push({ id, vector: decodeF16(vector) });
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
    });
    vectors.remove(cid, removed);
    vectors.add(cid, added);
  };

  let cancelled = false;
  let failure: unknown;
  let lastSave = Date.now();
  const chunks: Work[][] = [];
  for (let i = 0; i < work.length; i += batchSize) chunks.push(work.slice(i, i + batchSize));
  let next: Promise<Prepared[]> | undefined = chunks.length > 0 ? prepareChunk(chunks[0]!) : undefined;
  try {
    for (let i = 0; i < chunks.length; i++) {
      if (signal?.aborted) {
        cancelled = true;
        break;
      }
      const batch = await next!;
      next = i + 1 < chunks.length ? prepareChunk(chunks[i + 1]!) : undefined;
      await commit(batch);
      done += batch.length;
      meter.mark(done);
      emit('embedding', false);
      if (Date.now() - lastSave >= saveEveryMs) {
        vectors.save(cid);
        lastSave = Date.now();
      }
    }
    if (signal?.aborted && done < total) cancelled = true;

    // 4. Remove what is gone (only after a complete pass: the vanished rows were the candidates for moves). A root
    // that went away during the run (a drive unplugged mid-scan) is offline, not emptied.
    if (!cancelled) {
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
    }
  } catch (err) {
    failure = err;
    throw err;
  } finally {
    // Let in-flight reads settle (their results are dropped) before the caller closes anything.
    await next?.catch(() => undefined);
    emit('saving', true);
    try {
      vectors.save(cid);
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

/** Maps `items` with at most `limit` calls in flight, preserving order. */
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

const isUnder = isInside;

async function isFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
