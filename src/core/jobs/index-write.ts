/**
 * Phase 3b of indexing a collection: a batch's embedding, and writing the batch: one SQLite transaction (rows,
 * vectors, failures, perceptual signatures), then the same changes to the collection's vector index.
 */
import { missingCase } from '../../shared/errors.js';
import type { CollectionId } from '../../shared/types.js';
import type { Catalog } from '../catalog/catalog.js';
import type { PendingEmbedding } from '../catalog/items.repo.js';
import { decodeF16, encodeF16 } from '../base/f16.js';
import type { Logger } from '../base/logger.js';
import type { ImageSignature } from '../images/phash.js';
import type { EmbedTimings, Embedder, ModelInputSpec } from '../models/embedder.js';
import { embedWithRegions, indexedRegionInput, regionField, type RegionEmbedding } from '../locate/region-embedding.js';
import type { VectorStore } from '../vectors/vector-store.js';
import { assertVectors, type StartedBatch } from './batch-pipeline.js';
import type { Prepared } from './index-prepare.js';
import type { IndexStages } from './index-stages.js';

/** Where the perceptual signatures computed from the index's own decode are stored (dedupe's SignatureStore). */
export interface SignatureSink {
  /** Called inside the batch's transaction. */
  put(entries: readonly { hash: Buffer; signature: ImageSignature }[]): void;
}

/** What the run's written batches did. */
export interface WriteCounts {
  indexed: number;
  /** Catalogued pending (hash, facts, signature) by a progressive run's first pass. */
  fingerprinted: number;
  unchanged: number;
  moved: number;
  removed: number;
  failed: number;
}

/** A batch's embedding, started; the batch is written when its turn comes (batches are written in order). */
export interface Embedding extends StartedBatch<Prepared> {
  toEmbed: (Prepared & { kind: 'embed' })[];
  timings: EmbedTimings;
  vectors: Promise<RegionEmbedding[]>;
}

/** A batch with nothing to embed (a progressive run's first pass): its embedding is already settled. */
export function noEmbedding(batch: Prepared[]): Embedding {
  return { batch, toEmbed: [], timings: { preprocessMs: 0, inferenceMs: 0 }, vectors: Promise.resolve([]) };
}

/** Starts embedding the batch's files that need it (none: an already settled embedding). */
export function startEmbedding(batch: Prepared[], using: Embedder, regions: { spec: ModelInputSpec; cropAverage: boolean }): Embedding {
  const toEmbed = batch.filter((p): p is Prepared & { kind: 'embed' } => p.kind === 'embed');
  const timings: EmbedTimings = { preprocessMs: 0, inferenceMs: 0 };
  const vectors = embedWithRegions(using, toEmbed.map((p) => indexedRegionInput(p.decoded, regions.spec)), { cropAverage: regions.cropAverage }, timings);
  return { batch, toEmbed, timings, vectors };
}

/** See WriteDeps.mode. */
export type WriteMode = 'insert' | 'fingerprint' | 'complete';

export interface WriteDeps {
  catalog: Catalog;
  vectors: VectorStore;
  /** The embedder whose identity and dimension the stored vectors carry. */
  embedder: Pick<Embedder, 'modelId' | 'dim'>;
  logger: Logger;
  signatures?: SignatureSink | undefined;
  collectionId: CollectionId;
  /**
   * What a decoded file becomes: `insert` an embedded item (one pass), `fingerprint` a pending item (a progressive
   * run's first pass: nothing was embedded), `complete` the embedding of the pending item it was read for (the
   * embedding pass: the item keeps its id).
   */
  mode: WriteMode;
  /** Accumulated over the run. */
  counts: WriteCounts;
  /** The wait for the vectors (preprocess, inference) and the write are added here. */
  stages: IndexStages;
}

/**
 * Awaits the batch's vectors and writes the batch.
 * @throws AppError from the catalog (the transaction is rolled back), Error when the embedder broke its contract.
 */
export async function writeBatch(deps: WriteDeps, { batch, toEmbed, timings, vectors: embedded }: Embedding): Promise<void> {
  const { catalog, embedder, counts, stages, collectionId: cid } = deps;
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
  assertVectors(raw, toEmbed.length, embedder.dim);
  const encoded = new Map(toEmbed.map((p, i) => [p, encodeF16(raw[i]!)]));
  const added: { id: number; vector: Float32Array }[] = [];
  const removed: number[] = [];
  const signed: { hash: Buffer; signature: ImageSignature }[] = [];
  const now = Date.now();
  catalog.transaction(() => {
    /** What an embedded or copied file stores: its facts and the vector (PendingEmbedding). */
    const embedding = (e: Prepared & { kind: 'embed' | 'copy' }): PendingEmbedding => {
      const meta = e.kind === 'copy' ? e.source : e.decoded;
      return {
        size: e.size,
        mtimeMs: e.mtimeMs,
        hash: e.hash!,
        width: meta.width ?? 0,
        height: meta.height ?? 0,
        format: meta.format ?? 'unknown',
        modelId: embedder.modelId,
        dim: embedder.dim,
        vector: e.kind === 'copy' ? e.source.vector : encoded.get(e)!,
        ...regionField(e.kind === 'copy' ? e.source.region : regions[toEmbed.indexOf(e)]),
      };
    };
    for (const p of batch) {
      const { file, existing } = p.work;
      const facts = { collectionId: cid, path: file.path, size: p.size, mtimeMs: p.mtimeMs, hash: p.hash };
      if (p.kind === 'same') {
        catalog.items.updateStat(existing!.id, p.size, p.mtimeMs);
        counts.unchanged += 1;
        continue;
      }
      if (deps.mode === 'complete' && existing && (p.kind === 'embed' || p.kind === 'copy')) {
        const e = embedding(p);
        // Not pending any more: removed or trashed since the pass listed it; nothing to add.
        if (catalog.items.completePending(existing.id, e, now)) {
          added.push({ id: existing.id, vector: decodeF16(e.vector) });
          counts.indexed += 1;
        }
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
          if (p.kind === 'embed' && deps.mode === 'fingerprint') {
            catalog.items.insertPending({ ...facts, hash: p.hash!, width: p.decoded.width, height: p.decoded.height, format: p.decoded.format }, now);
            if (p.signature) signed.push({ hash: p.hash!, signature: p.signature });
            counts.fingerprinted += 1;
            break;
          }
          const e = embedding(p);
          const id = catalog.items.insertIndexed({ ...e, collectionId: cid, path: file.path }, now);
          // The index gets the stored (f16-rounded) vector, so a rebuild reproduces it exactly.
          added.push({ id, vector: decodeF16(e.vector) });
          if (p.kind === 'embed' && p.signature) signed.push({ hash: p.hash!, signature: p.signature });
          counts.indexed += 1;
          break;
        }
        case 'failed':
          catalog.items.insertFailed({ ...facts, code: p.error.code, reason: p.error.message }, now);
          counts.failed += 1;
          deps.logger.debug('not indexed', { path: file.path, code: p.error.code, reason: p.error.message });
          break;
        default:
          missingCase(p);
      }
    }
    // In the batch's transaction: a signature is never stored for a row that was rolled back, nor lost for one kept.
    if (signed.length > 0) deps.signatures?.put(signed);
  });
  deps.vectors.remove(cid, removed);
  deps.vectors.add(cid, added);
  stages.writeMs += performance.now() - writeStart;
}
