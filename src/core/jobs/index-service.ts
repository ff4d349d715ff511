/** What the engine offers for indexing: start, await, cancel and the status of index jobs, by collection name. */
import type { Progress } from '../../shared/types.js';
import type { Catalog } from '../catalog/catalog.js';
import type { IndexSummary } from './index-collection.job.js';
import type { IndexJobHandle, IndexJobs, StartIndexOptions } from './index-jobs.js';

/** Starting, awaiting and cancelling index jobs. */
export interface IndexService {
  /**
   * Starts indexing the named collections (all when omitted) in the background. The model is opened first, so
   * model errors reject here rather than inside the job.
   * @throws AppError COLLECTION_NOT_FOUND, INDEX_BUSY, DATA_DIR_LOCKED, MODEL_MISSING, MODEL_MISMATCH
   */
  start(collections?: readonly string[], options?: StartIndexOptions): Promise<IndexJobHandle>;
  /** Starts and awaits a job. @returns one summary per collection. */
  run(collections?: readonly string[], options?: StartIndexOptions): Promise<IndexSummary[]>;
  cancel(jobId: string): boolean;
  status(): { running: Progress | null; last: IndexSummary | null };
}

/** The IndexService over the engine's jobs; `openModel` opens the model for writing (it throws the model errors). */
export function createIndexService(deps: { catalog: Catalog; jobs: IndexJobs; openModel: () => Promise<unknown> }): IndexService {
  const { catalog, jobs } = deps;
  const service: IndexService = {
    async start(names, options) {
      const collections = catalog.collections.resolve(names);
      await deps.openModel();
      return jobs.start(collections, options);
    },
    async run(names, options) {
      return (await service.start(names, options)).done;
    },
    cancel: (jobId) => jobs.cancel(jobId),
    status: () => jobs.status(),
  };
  return service;
}
