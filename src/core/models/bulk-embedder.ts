/**
 * The embedder an index job uses for a run of many batches: a pool of single-threaded sessions on worker threads
 * (embedder-pool.ts) when inference runs on the CPU of a machine with two cores or more, else none (the job's own
 * embedder: a GPU session is fed best one batch at a time, and one core has nothing to share).
 */
import { availableParallelism } from 'node:os';
import type { Logger } from '../base/logger.js';
import type { Embedder } from './embedder.js';
import { defaultEmbedWorkerFile, EmbedderPool } from './embedder-pool.js';
import { modelDirOf } from './registry.js';

/** More sessions than this cost memory (a copy of the weights each) for little more throughput. */
const MAX_WORKERS = 4;
/**
 * Images per inference run in a worker. The run's activations are what a session's memory arena grows to: indexing
 * clothes-train with `accurate` on two workers peaked at 1,162 MB RSS with 8 (the query session's batch), 940 with
 * 4, 828 with 2 and 781 with 1, at the same 34.8–35.4 images/s (one session alone: 743 MB, 33.0).
 */
const WORKER_BATCH = 2;

/** An embedder for one run of many batches, and how to give it back when the run ends. */
export interface BulkEmbedder {
  embedder: Embedder;
  release(): Promise<void>;
}

export interface BulkEmbedderOptions {
  modelId: string;
  dataDir: string;
  logger: Logger;
  /** The worker module (see EngineOptions.embedWorkerFile); default the compiled one beside embedder-pool. */
  workerFile?: string;
  /** Default os.availableParallelism(). */
  cores?: number;
}

/**
 * Opens the pool for `embedder`'s model, or returns undefined when there should be none or it cannot start (logged:
 * the job then runs on `embedder` as before, only slower).
 */
export async function openBulkEmbedder(embedder: Embedder, options: BulkEmbedderOptions): Promise<BulkEmbedder | undefined> {
  const cores = options.cores ?? availableParallelism();
  const workerFile = options.workerFile ?? defaultEmbedWorkerFile();
  if (embedder.device !== 'cpu' || cores < 2 || workerFile === undefined) return undefined;
  const workers = Math.min(MAX_WORKERS, cores);
  const intraOpThreads = Math.max(1, Math.floor(cores / workers));
  const started = performance.now();
  try {
    const { dir } = modelDirOf({ modelId: options.modelId, dataDir: options.dataDir });
    const pool = await EmbedderPool.open(embedder, workers, { dir, intraOpThreads, maxBatch: WORKER_BATCH }, workerFile);
    options.logger.debug('embedding on worker threads', { workers, intraOpThreads, ms: Math.round(performance.now() - started) });
    return { embedder: pool, release: () => pool.close() };
  } catch (err) {
    options.logger.warn('could not start the embedding workers; indexing on one session', { error: err instanceof Error ? err.message : String(err) });
    return undefined;
  }
}
