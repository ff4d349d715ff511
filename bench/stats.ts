/**
 * Order statistics for benchmark figures. Percentiles use the nearest-rank method (the value at rank ⌈p/100 · n⌉ of
 * the sorted sample, no interpolation): every reported figure is a time that was actually measured, and p99 of
 * fewer than 100 samples is simply the maximum. The median is the usual one (the mean of the two middle values when
 * n is even).
 */

export interface Summary {
  median: number;
  p99: number;
  min: number;
  max: number;
  n: number;
}

function sortedCopy(xs: ArrayLike<number>): Float64Array {
  const sorted = Float64Array.from(xs);
  for (const x of sorted) if (Number.isNaN(x)) throw new Error('stats: the sample contains NaN');
  return sorted.sort();
}

function nonEmpty(xs: ArrayLike<number>, what: string): void {
  if (xs.length === 0) throw new Error(`stats: ${what} of an empty sample`);
}

function medianOfSorted(s: Float64Array): number {
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function percentileOfSorted(s: Float64Array, p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * s.length));
  return s[rank - 1]!;
}

/**
 * The median of a sample.
 * @throws Error on an empty sample or NaN.
 */
export function median(xs: ArrayLike<number>): number {
  nonEmpty(xs, 'median');
  return medianOfSorted(sortedCopy(xs));
}

/**
 * The p-th percentile (p in 0..100) by nearest rank: percentile(xs, 0) is the minimum, 100 the maximum.
 * @throws Error on an empty sample, NaN, or p outside 0..100.
 */
export function percentile(xs: ArrayLike<number>, p: number): number {
  nonEmpty(xs, 'percentile');
  if (!(p >= 0 && p <= 100)) throw new Error(`stats: percentile ${p} is outside 0..100`);
  return percentileOfSorted(sortedCopy(xs), p);
}

/**
 * Median, p99 (nearest rank), min, max and count of a sample, sorting it once.
 * @throws Error on an empty sample or NaN.
 */
export function summarize(xs: ArrayLike<number>): Summary {
  nonEmpty(xs, 'summary');
  const s = sortedCopy(xs);
  return { median: medianOfSorted(s), p99: percentileOfSorted(s, 99), min: s[0]!, max: s[s.length - 1]!, n: s.length };
}

/** A duration in milliseconds for a table: three significant digits from µs to s (`0.412 ms`, `41.2 ms`, `4.12 s`). */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const abs = Math.abs(ms);
  if (abs >= 1000) return `${(ms / 1000).toPrecision(3)} s`;
  if (abs >= 1 || abs === 0) return `${abs === 0 ? '0' : ms.toPrecision(3)} ms`;
  if (abs >= 0.001) return `${(ms * 1000).toPrecision(3)} µs`;
  return `${(ms * 1e6).toPrecision(3)} ns`;
}
