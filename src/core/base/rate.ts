/** Throughput over a sliding window, for "images/s" and an ETA that follow the current speed. */
export class RateMeter {
  private readonly samples: { t: number; done: number }[] = [];

  constructor(
    private readonly windowMs = 15_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records that `done` units are finished now. */
  mark(done: number): void {
    const t = this.now();
    this.samples.push({ t, done });
    while (this.samples.length > 2 && t - this.samples[0]!.t > this.windowMs) this.samples.shift();
  }

  /** Units per second over the window; 0 until two samples at different times exist. */
  rate(): number {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || last.t <= first.t) return 0;
    return ((last.done - first.done) * 1000) / (last.t - first.t);
  }

  /** Seconds left for `total` at the current rate; null while the rate is unknown. */
  eta(done: number, total: number): number | null {
    const r = this.rate();
    if (r <= 0) return null;
    return Math.max(0, (total - done) / r);
  }
}
