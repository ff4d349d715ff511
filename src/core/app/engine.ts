/**
 * The composition root: one Engine per data folder. Every transport (CLI, local HTTP server, Electron main,
 * tests) drives the same Engine: either its services directly or `engine.api[channel](parsedInput)`, the
 * contract of src/shared/api.ts, plus `engine.events.on('index:onProgress', cb)` for pushed progress.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiHandlers } from '../../shared/api.js';
import type { EngineEvents } from '../../shared/engine-port.js';
import { AppError } from '../../shared/errors.js';
import { openCatalog, type Catalog } from '../catalog/catalog.js';
import { EventHub } from '../base/events.js';
import { indexCollection, type IndexJobOptions } from '../jobs/index-collection.job.js';
import { IndexJobs } from '../jobs/index-jobs.js';
import { createIndexService, type IndexService } from '../jobs/index-service.js';
import { LibraryService } from '../library/library.service.js';
import { removeLeftovers } from '../doctor/leftovers.js';
import { nullLogger, type Logger } from '../base/logger.js';
import { ModelState, type OpenEmbedder } from '../models/model-state.js';
import { ModelsService } from '../library/models.service.js';
import { openBulkEmbedder } from '../models/bulk-embedder.js';
import { openEmbedder } from '../models/registry.js';
import type { WhiteningPolicy } from '../vectors/whitening-store.js';
import { CATALOG_FILE } from '../base/paths.js';
import { QueryHistory } from '../search/query-history.js';
import { SearchService } from '../search/search.service.js';
import { DedupeService } from '../dedupe/dedupe.service.js';
import type { VerificationThreads } from '../dedupe/near-duplicates.js';
import { MatchService } from '../match/match.service.js';
import { OcrService } from '../ocr/ocr.service.js';
import { dedupeHandlers } from './handlers/dedupe.js';
import { indexHandlers } from './handlers/index.js';
import { itemsHandlers } from './handlers/items.js';
import { libraryHandlers } from './handlers/library.js';
import { matchHandlers } from './handlers/match.js';
import { modelsHandlers } from './handlers/models.js';
import { ocrHandlers } from './handlers/ocr.js';
import { productsHandlers } from './handlers/products.js';
import { historyHandlers } from './handlers/history.js';
import { searchHandlers } from './handlers/search.js';

export interface EngineOptions {
  dataDir: string;
  /** Registry id (`--model`); defaults to the folder's model, else the registry's default. */
  modelId?: string;
  device?: 'cpu' | 'gpu' | 'auto';
  logger?: Logger;
  /** How to open an embedder (tests may pass a fake); defaults to the model registry. */
  openEmbedder?: OpenEmbedder;
  /** Images with more pixels are recorded as IMAGE_TOO_LARGE (default images/decode.ts DEFAULT_MAX_PIXELS). */
  maxPixels?: number;
  /** Files with more bytes are recorded as IMAGE_TOO_LARGE unread (default DEFAULT_MAX_FILE_BYTES). */
  maxFileBytes?: number;
  /** Tuning of the index job (batch size, decode concurrency, save interval, when to embed on worker threads). */
  index?: Pick<IndexJobOptions, 'batchSize' | 'concurrency' | 'saveEveryMs' | 'progressEveryMs' | 'bulkMinFiles' | 'progressiveMinFiles'>;
  /** When the folder learns its whitening (default DEFAULT_WHITENING_POLICY; tests and `eval` ablations change it). */
  whitening?: WhiteningPolicy;
  /**
   * The index job's decode worker module, for a host that bundles the engine (the desktop app): the bundle does not
   * hold the compiled images/decode.worker.js beside file-decoder, which is where it is looked for by default.
   */
  decodeWorkerFile?: string;
  /** The index job's embedding worker module (models/embed.worker.js), for the same reason. */
  embedWorkerFile?: string;
  /** Dupes' and match's signature verification worker module (dedupe/verify.worker.js), for the same reason. */
  verifyWorkerFile?: string;
  /** Candidate pairs from which that verification runs on worker threads (tests lower it; default 20,000). */
  verifyPoolMinCandidates?: number;
}

export interface Engine {
  readonly dataDir: string;
  /** The registry id of the model in use. */
  readonly modelId: string;
  /**
   * One async function per contract channel; inputs are already parsed by the transport. What a transport
   * (HTTP, IPC) serves: every file it reads lies inside the user's chosen folders (PATH_OUTSIDE_ROOTS otherwise).
   */
  readonly api: ApiHandlers;
  /** The same contract for the local user's own shell (the CLI): a query image may be any readable file. */
  readonly localApi: ApiHandlers;
  readonly events: EngineEvents;
  readonly catalog: Catalog;
  readonly model: ModelState;
  readonly library: LibraryService;
  readonly search: SearchService;
  readonly indexer: IndexService;
  /** The folder's models: list, add one's own, switch (re-embed), the learned vector transform. */
  readonly models: ModelsService;
  readonly dedupe: DedupeService;
  readonly match: MatchService;
  /** Optional OCR of a collection's images (off by default); its text joins the FTS index. */
  readonly ocr: OcrService;
  /** Cancels a running job, saves the indexes, closes the model and the catalog. Idempotent. */
  close(): Promise<void>;
}

/**
 * Opens (creating if needed) the data folder.
 * @throws AppError DB_CORRUPT, PERMISSION_DENIED, MODEL_MISMATCH
 * @throws Error when `decodeWorkerFile` or `embedWorkerFile` does not exist (a broken build).
 */
export async function createEngine(options: EngineOptions): Promise<Engine> {
  const logger = options.logger ?? nullLogger;
  const dataDir = options.dataDir;
  // A host that names its decode worker relies on it; failing now beats every index job failing (or a silent
  // fallback to decoding on the inference thread).
  for (const [what, file] of [
    ['decode worker', options.decodeWorkerFile],
    ['embedding worker', options.embedWorkerFile],
    ['verification worker', options.verifyWorkerFile],
  ] as const) {
    if (file !== undefined && !existsSync(file)) throw new Error(`the ${what} ${file} does not exist; rebuild the app`);
  }
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (err) {
    throw new AppError('PERMISSION_DENIED', `Cannot create the data folder ${dataDir}.`, { cause: err });
  }
  const catalog = openCatalog(join(dataDir, CATALOG_FILE), logger);
  // A process killed while saving leaves its temp file; a dead writer's are removed (a live one's are kept).
  try {
    for (const f of removeLeftovers(dataDir)) logger.info('removed a temp file left by a stopped process', { file: f.path });
  } catch (err) {
    logger.warn('could not remove leftover temp files', { error: err instanceof Error ? err.message : String(err) });
  }
  let model: ModelState;
  try {
    model = new ModelState({
      catalog,
      dataDir,
      logger,
      ...(options.modelId ? { requestedModelId: options.modelId } : {}),
      ...(options.device ? { device: options.device } : {}),
      openEmbedder: options.openEmbedder ?? openEmbedder,
      ...(options.whitening ? { whitening: options.whitening } : {}),
    });
  } catch (err) {
    catalog.close();
    throw err;
  }

  const events = new EventHub(logger);
  const history = new QueryHistory({ catalog, logger, events, ...(options.maxPixels ? { maxPixels: options.maxPixels } : {}) });
  const library = new LibraryService({ catalog, model });
  const ocr = new OcrService({ catalog, logger });
  // Text re-ranking reads a query photo only for collections that read text (search.service.ts: rerankByText).
  const search = new SearchService({ catalog, model, maxPixels: options.maxPixels, maxFileBytes: options.maxFileBytes, readText: (bytes) => ocr.read(bytes) });

  const jobs = new IndexJobs({
    dataDir,
    events,
    logger,
    runCollection: async (collection, ctx) => {
      const { embedder, vectors } = await model.forWriting();
      const summary = await indexCollection(
        {
          catalog,
          vectors,
          embedder,
          logger,
          maxPixels: options.maxPixels,
          maxFileBytes: options.maxFileBytes,
          signatures: dedupe.signatures,
          decodeWorkerFile: options.decodeWorkerFile,
          openBulkEmbedder: () =>
            openBulkEmbedder(embedder, {
              modelId: model.modelId,
              dataDir,
              logger,
              ...(options.embedWorkerFile === undefined ? {} : { workerFile: options.embedWorkerFile }),
            }),
        },
        { ...options.index, collection, jobId: ctx.jobId, signal: ctx.signal, onProgress: ctx.onProgress },
      );
      // Perceptual signatures the job could not take from its own decode (copies, odd shapes), so `dupes` and
      // `match` right after indexing decode nothing.
      if (!summary.cancelled) await dedupe.signatures.fillCollection(collection.id, ctx.signal);
      return summary;
    },
    // Once the folder has grown enough, (re-)learn its whitening from every collection and rebuild the indexes.
    afterIndex: async (ctx) => {
      await models.refreshTransform({ ...ctx, kind: 'index' });
    },
  });
  const openModel = options.openEmbedder ?? openEmbedder;
  const models = new ModelsService({
    catalog,
    dataDir,
    model,
    jobs,
    openEmbedder: openModel,
    logger,
    ...(options.device ? { device: options.device } : {}),
    ...(options.maxPixels ? { maxPixels: options.maxPixels } : {}),
    ...(options.maxFileBytes ? { maxFileBytes: options.maxFileBytes } : {}),
  });

  const indexer = createIndexService({ catalog, jobs, openModel: () => model.forWriting() });

  const verification: VerificationThreads = {
    ...(options.verifyWorkerFile !== undefined ? { workerFile: options.verifyWorkerFile } : {}),
    ...(options.verifyPoolMinCandidates !== undefined ? { minCandidates: options.verifyPoolMinCandidates } : {}),
  };
  const dedupe = new DedupeService({ catalog, model, logger, dataDir, indexRunning: () => jobs.busy(), verification });
  const match = new MatchService({ catalog, model, logger, signatures: dedupe.signatures, verification });

  // The same handlers twice: what a transport serves reads only files inside the collections' folders.
  const handlers = (confine: boolean): ApiHandlers => ({
    ...libraryHandlers({ library, forget: { catalog, model, dataDir, logger, indexRunning: () => jobs.busy() } }),
    ...indexHandlers({ indexer, library, catalog }),
    ...modelsHandlers(models),
    ...itemsHandlers({ catalog, ocr }),
    ...searchHandlers({ search, library, history, confine }),
    ...historyHandlers(history),
    ...dedupeHandlers(dedupe),
    ...matchHandlers(match),
    ...productsHandlers({ catalog, logger, library, confine }),
    ...ocrHandlers(ocr),
  });
  const api = handlers(true);
  const localApi = handlers(false);

  let closing: Promise<void> | undefined;
  return {
    dataDir,
    get modelId() {
      return model.modelId;
    },
    api,
    localApi,
    events,
    catalog,
    model,
    library,
    search,
    indexer,
    models,
    dedupe,
    match,
    ocr,
    close() {
      closing ??= (async () => {
        await jobs.stop();
        try {
          await Promise.all([model.close(), ocr.close()]);
        } finally {
          catalog.close();
        }
      })();
      return closing;
    },
  };
}
