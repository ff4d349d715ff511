/**
 * Runs index jobs one at a time per engine (and, through a lock file, per data folder), tracks the running
 * job's progress for `index:status`, forwards progress to the `index:onProgress` event and cancels on request.
 */
import { randomUUID } from 'node:crypto';
import { AppError, toLogFormat } from '../../shared/errors.js';
import { asJobId, type JobId, type Progress } from '../../shared/types.js';
import type { CollectionRow } from '../catalog/collections.repo.js';
import type { EventHub } from '../base/events.js';
import type { Logger } from '../base/logger.js';
import { acquireDataDirLock } from '../base/data-dir-lock.js';
import type { IndexSummary } from './index-collection.job.js';

export interface RunCollection {
  (collection: CollectionRow, ctx: { jobId: JobId; signal: AbortSignal; onProgress: (p: Progress) => void }): Promise<IndexSummary>;
}

export interface StartIndexOptions {
  /** Aborting it cancels the job after the batch in flight (like `cancel(jobId)`). */
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export interface IndexJobHandle {
  jobId: JobId;
  /** One summary per collection, in order; rejects when the job fails. */
  done: Promise<IndexSummary[]>;
}

/** A job other than indexing that needs the data folder to itself (re-embedding with another model). */
export interface TaskHandle<T> {
  jobId: JobId;
  done: Promise<T>;
}

export interface TaskContext {
  jobId: JobId;
  signal: AbortSignal;
  onProgress: (p: Progress) => void;
}

/** Runs once after every collection of a job was indexed (not after a cancelled or failed job). */
export type AfterIndex = (ctx: TaskContext) => Promise<void>;

interface Running {
  jobId: JobId;
  controller: AbortController;
  progress: Progress | null;
  done: Promise<unknown>;
}

export class IndexJobs {
  private running: Running | undefined;
  private last: IndexSummary | null = null;

  constructor(
    private readonly deps: { dataDir: string; events: EventHub; logger: Logger; runCollection: RunCollection; afterIndex?: AfterIndex },
  ) {}

  /**
   * Starts indexing `collections` one after another in the background, then `afterIndex` (learning the folder's
   * vector transform) when none was cancelled.
   * @throws AppError INDEX_BUSY when a job is running in this engine, DATA_DIR_LOCKED when another process indexes.
   */
  start(collections: readonly CollectionRow[], options: StartIndexOptions = {}): IndexJobHandle {
    return this.startTask('index', 'index', options, async (ctx) => {
      const summaries: IndexSummary[] = [];
      for (const collection of collections) {
        if (ctx.signal.aborted) break;
        // Each event names its collection, so a UI can show which one is being indexed (not "0 images").
        const summary = await this.deps.runCollection(collection, {
          ...ctx,
          onProgress: (p) => ctx.onProgress({ ...p, collection: collection.name }),
        });
        summaries.push(summary);
        this.last = summary;
        if (summary.cancelled) break;
      }
      if (!ctx.signal.aborted && !summaries.some((s) => s.cancelled) && this.deps.afterIndex) {
        // The last collection already said 'done'; afterIndex reports its own 'saving' steps after it, so the
        // collection's final progress is repeated at the end: a listener's last event is always a final one.
        const final = this.running?.progress ?? null;
        await this.deps.afterIndex(ctx);
        const latest = this.running?.progress ?? null;
        if (final && latest !== final) ctx.onProgress(final);
      }
      return summaries;
    });
  }

  /**
   * Runs `task` in the background as this engine's one job, holding the data folder's lock: progress goes to
   * `index:onProgress` and `status()`, `cancel(jobId)` aborts its signal.
   * @throws AppError INDEX_BUSY when a job is running in this engine, DATA_DIR_LOCKED when another process holds the folder.
   */
  startTask<T>(kind: Progress['kind'], purpose: string, options: StartIndexOptions, task: (ctx: TaskContext) => Promise<T>): TaskHandle<T> {
    if (this.running) throw new AppError('INDEX_BUSY', 'An index job is already running; wait for it or cancel it.');
    const release = acquireDataDirLock(this.deps.dataDir, purpose);
    const jobId = asJobId(randomUUID());
    const controller = new AbortController();
    const forward = () => controller.abort(options.signal?.reason);
    if (options.signal?.aborted) forward();
    else options.signal?.addEventListener('abort', forward, { once: true });

    const running: Running = { jobId, controller, progress: null, done: Promise.resolve() };
    this.running = running;
    const report = (p: Progress) => {
      running.progress = p;
      this.deps.events.emit('index:onProgress', p);
      options.onProgress?.(p);
    };
    const run = async (): Promise<T> => {
      try {
        return await task({ jobId, signal: controller.signal, onProgress: report });
      } catch (err) {
        this.deps.logger.error(`${kind} job failed`, { jobId, error: toLogFormat(err) });
        const prev = running.progress;
        report({
          jobId,
          kind,
          phase: 'failed',
          done: prev?.done ?? 0,
          total: prev?.total ?? 0,
          failed: prev?.failed ?? 0,
          rate: 0,
          etaSeconds: null,
          message: err instanceof AppError ? err.message : 'Internal error; see the log for details.',
        });
        throw err;
      } finally {
        options.signal?.removeEventListener('abort', forward);
        release();
        if (this.running === running) this.running = undefined;
      }
    };
    const done = run();
    running.done = done;
    // A caller that only wanted the job id (index:start) must not cause an unhandled rejection.
    done.catch(() => undefined);
    return { jobId, done };
  }

  /** @returns whether a running job with that id was asked to stop. */
  cancel(jobId: string): boolean {
    if (!this.running || this.running.jobId !== jobId) return false;
    this.running.controller.abort(new AppError('CANCELLED', 'Cancelled.'));
    return true;
  }

  /** Whether a job is running (also before its first progress event, unlike `status().running`). */
  busy(): boolean {
    return this.running !== undefined;
  }

  status(): { running: Progress | null; last: IndexSummary | null } {
    return { running: this.running?.progress ?? null, last: this.last };
  }

  /** Cancels the running job (if any) and waits until it has stopped and saved. */
  async stop(): Promise<void> {
    const r = this.running;
    if (!r) return;
    r.controller.abort(new AppError('CANCELLED', 'Shutting down.'));
    await r.done.catch(() => undefined);
  }
}
