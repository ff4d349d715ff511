/**
 * The batch pipeline of the jobs that embed files (indexing a collection, re-embedding a folder): items are prepared
 * (read, hashed, decoded) ahead of the batch being embedded, up to `aheadBatches` batches ahead (back-pressure bounds
 * memory); up to `parallel` batches embed at once; batches are written in order. Cancelling starts no new embedding
 * and writes those already embedding; whatever is still in flight settles before stop() returns.
 */

/** A batch whose embedding has started. */
export interface StartedBatch<P> {
  batch: P[];
  /** Settles when the embedding does; awaited (its result dropped) by stop() when the batch is never written. */
  vectors: Promise<unknown>;
}

export interface BatchPipelineOptions<W, P> {
  work: readonly W[];
  /** Items per batch (per inference call and per write). */
  batchSize: number;
  /** Batches prepared ahead of the one being taken (at least 1). */
  aheadBatches: number;
  /** Prepares one item; a rejection fails the run (expected per-item failures are a prepared value). */
  prepare: (item: W) => Promise<P>;
  /**
   * Items prepared at once (default: every item of the window; a preparer with its own limit, such as the file
   * decoder, needs none here).
   */
  concurrency?: number;
}

export interface BatchRunOptions<P, S extends StartedBatch<P>> {
  /** Starts embedding a batch (returns at once). */
  start: (batch: P[]) => S;
  /** Writes an embedded batch; called in batch order, one at a time. */
  write: (started: S) => Promise<void>;
  /** Batches embedding at once (the embedder's `parallel`; at least 1). */
  parallel: number;
  signal?: AbortSignal | undefined;
  /** After each written batch. */
  onWritten?: (started: S) => void;
  /** Milliseconds the run waited for a batch to be prepared. */
  onWait?: (ms: number) => void;
}

export class BatchPipeline<W, P> {
  private readonly lookahead: Lookahead<W, P>;
  private readonly inFlight: StartedBatch<P>[] = [];

  /** Starts preparing at once, so that preparing overlaps whatever the caller does before run(). */
  constructor(private readonly options: BatchPipelineOptions<W, P>) {
    const prepare = options.concurrency === undefined ? options.prepare : limited(options.concurrency, options.prepare);
    this.lookahead = new Lookahead(options.work, prepare, options.batchSize * (1 + Math.max(1, options.aheadBatches)));
  }

  /**
   * Embeds and writes every batch, in order.
   * @returns whether it stopped early (the signal aborted before every batch was started).
   */
  async run<S extends StartedBatch<P>>(run: BatchRunOptions<P, S>): Promise<{ stopped: boolean }> {
    const { work, batchSize } = this.options;
    const inFlight = this.inFlight as S[];
    const parallel = Math.max(1, run.parallel);
    for (let start = 0; start < work.length || inFlight.length > 0; ) {
      // Keep `parallel` batches embedding; a cancel starts no new one and writes those already embedding.
      while (start < work.length && inFlight.length < parallel && !run.signal?.aborted) {
        const end = Math.min(work.length, start + batchSize);
        const waitStart = performance.now();
        const batch = await this.lookahead.take(start, end);
        run.onWait?.(performance.now() - waitStart);
        const started = run.start(batch);
        // Awaited in turn by write(), or by stop() after a failure: never an unhandled rejection meanwhile.
        started.vectors.catch(() => undefined);
        inFlight.push(started);
        start = end;
      }
      const next = inFlight[0];
      if (next === undefined) return { stopped: true };
      await run.write(next);
      inFlight.shift();
      run.onWritten?.(next);
    }
    return { stopped: false };
  }

  /**
   * Starts nothing more and lets what is in flight settle (its results are dropped) before the caller closes
   * anything. `closeSources` runs in between: a decoder that finishes what is running and refuses the rest, so
   * the prepares waiting on it end at once.
   */
  async stop(closeSources?: () => Promise<void>): Promise<void> {
    const settled = this.lookahead.stop();
    await closeSources?.();
    await settled;
    await Promise.allSettled(this.inFlight.map((e) => e.vectors));
  }
}

/**
 * Checks what an embedder returned for a batch: one vector of `dim` values per image. A broken invariant (a bug in
 * the embedder or its worker), never an expected failure.
 * @throws Error otherwise.
 */
export function assertVectors(vectors: readonly Float32Array[], images: number, dim: number): void {
  if (vectors.length !== images || vectors.some((v) => v.length !== dim)) {
    throw new Error(`The embedder returned ${vectors.length} vectors for ${images} images (or a wrong dimension).`);
  }
}

/** `fn` with at most `limit` calls running at once; calls start in the order they were made. */
function limited<T, R>(limit: number, fn: (item: T) => Promise<R>): (item: T) => Promise<R> {
  let running = 0;
  const queue: (() => void)[] = [];
  return async (item) => {
    if (running >= Math.max(1, limit)) await new Promise<void>((resolve) => queue.push(resolve));
    running += 1;
    try {
      return await fn(item);
    } finally {
      running -= 1;
      queue.shift()?.();
    }
  };
}

/**
 * Runs `fn` over `items` in order, never more than `window` items past the first one not yet taken (back-pressure:
 * prepared items wait in memory for the consumer, a bounded number of them). Results are taken in order, in
 * consecutive ranges of at most `window`. (How many of them read or decode at once is the preparer's limit.)
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
