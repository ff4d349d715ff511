/** Retrieval metrics per family and the calibration of a "same product" verdict. */
import { FAMILIES, type Family } from './data.js';

export interface Ranked {
  /** Query's true product. */
  product: number;
  family: Family;
  /** Candidates best first: gallery product (−1 for a distractor) and score. */
  top: { product: number; score: number; index: number }[];
}

export type FamilyRates = Record<Family | 'all', number>;

/** Share of queries whose true product is among the first `k` distinct candidates. */
export function recallAt(ranked: readonly Ranked[], k: number): FamilyRates {
  const hits: Record<string, [number, number]> = { all: [0, 0] };
  for (const f of FAMILIES) hits[f] = [0, 0];
  for (const r of ranked) {
    const seen = new Set<number>();
    let hit = false;
    for (const c of r.top) {
      if (seen.size >= k) break;
      if (seen.has(c.product)) continue;
      seen.add(c.product);
      if (c.product === r.product) {
        hit = true;
        break;
      }
    }
    for (const key of [r.family, 'all']) {
      hits[key]![0] += hit ? 1 : 0;
      hits[key]![1] += 1;
    }
  }
  const out = {} as FamilyRates;
  for (const key of [...FAMILIES, 'all'] as const) out[key] = hits[key]![1] === 0 ? NaN : hits[key]![0] / hits[key]![1];
  return out;
}

export interface OperatingPoint {
  threshold: number;
  /** Of the queries whose first candidate scores ≥ threshold, the share where it is the true product. */
  precision: number;
  /** Share of all queries given a correct "same product" verdict. */
  recall: number;
  /** Share of all queries given any verdict. */
  coverage: number;
}

/** Precision / recall of "first candidate is the same product" when its `signal` ≥ threshold. */
export function operatingPoint(items: readonly { signal: number; correct: boolean }[], threshold: number): OperatingPoint {
  let given = 0;
  let right = 0;
  for (const it of items) {
    if (it.signal >= threshold) {
      given++;
      if (it.correct) right++;
    }
  }
  return { threshold, precision: given === 0 ? NaN : right / given, recall: right / items.length, coverage: given / items.length };
}

/** The smallest threshold whose precision on `items` reaches `target` (so recall is highest), or undefined. */
export function thresholdFor(items: readonly { signal: number; correct: boolean }[], target: number, minGiven = 10): number | undefined {
  const sorted = [...items].sort((a, b) => b.signal - a.signal);
  let right = 0;
  let best: number | undefined;
  sorted.forEach((it, i) => {
    if (it.correct) right++;
    const n = i + 1;
    const next = sorted[i + 1];
    if (next !== undefined && next.signal === it.signal) return;
    if (n >= minGiven && right / n >= target) best = it.signal;
  });
  return best;
}

export const pct = (x: number): string => (Number.isNaN(x) ? '–' : (100 * x).toFixed(1));
