/**
 * The progress events of a long job (indexing a collection, re-embedding a folder): counts, rate and ETA, sent at
 * most every `everyMs` except for phase changes and other forced events.
 */
import type { JobId, Progress } from '../../shared/types.js';
import { RateMeter } from '../base/rate.js';

export interface JobProgressOptions {
  jobId: JobId;
  kind: Progress['kind'];
  onProgress?: ((p: Progress) => void) | undefined;
  /** Minimum interval between unforced events (default 200 ms). */
  everyMs?: number | undefined;
}

export class JobProgress {
  /** Units finished in the current phase (files found while scanning, files prepared and written while embedding). */
  done = 0;
  total = 0;
  /** Files that failed in this run. */
  failed = 0;
  private readonly meter = new RateMeter();
  private lastEmit = 0;

  constructor(private readonly options: JobProgressOptions) {}

  /** Starts the counted phase: `total` units, none done, the rate measured from now. */
  begin(total: number): void {
    this.total = total;
    this.done = 0;
    this.meter.mark(0);
  }

  /** Counts `n` more units done (and the rate with them). */
  advance(n: number): void {
    this.done += n;
    this.meter.mark(this.done);
  }

  /** Sends an event: always when `force`, else only when the last one is `everyMs` old. */
  emit(phase: Progress['phase'], force: boolean, message?: string): void {
    const now = Date.now();
    if (!force && now - this.lastEmit < (this.options.everyMs ?? 200)) return;
    this.lastEmit = now;
    this.options.onProgress?.({
      jobId: this.options.jobId,
      kind: this.options.kind,
      phase,
      done: this.done,
      total: this.total,
      failed: this.failed,
      rate: this.meter.rate(),
      etaSeconds: phase === 'embedding' || phase === 'fingerprinting' ? this.meter.eta(this.done, this.total) : null,
      ...(message === undefined ? {} : { message }),
    });
  }
}
