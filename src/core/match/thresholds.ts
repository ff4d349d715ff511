/**
 * Where a match's cosine turns into a verdict. Copies of our photo (resized, recompressed, cropped, watermarked,
 * recoloured, mirrored, padded) are recognised by the picture check (images/phash.ts), whatever the model; the
 * cosine only decides `similar` (a lookalike) and, far above every non-copy, `same` for another shot of a
 * product. The cosine is taken on the stored raw embeddings, not in the folder's whitened search space: a whitening
 * is re-learned as the catalog grows, and verdicts must not move with it. Raw cosine scales differ per model, so
 * each built-in model has its own calibration, keyed by the embedder identity the catalog records; any other model
 * is calibrated on the catalog itself.
 *
 * How the built-in values were measured (`node build/bench/dedupe-match.js`, clothes-train, 3,068 photos in 10
 * classes): for every photo, its nearest other photo (altered copies excluded).
 * - similar: the lowest cosine at which those nearest pairs are still of the same class in at least 80% of
 *   cases (class agreement is the measurable stand-in for "looks like the same kind of product").
 * - same: the 99.9th percentile of those nearest non-copy scores, so the cosine route alone calls at most
 *   ~0.1% of non-copies `same`; copies are caught by the picture check. The bench then reports the measured
 *   false-`same` rate of the whole verdict (target ≤ 2%).
 */

export interface ThresholdPair {
  /** Cosine at or above which a pair is `same` even when the pictures do not line up. */
  same: number;
  /** Cosine at or above which a pair is `similar`. */
  similar: number;
}

export interface MatchThresholds extends ThresholdPair {
  modelId: string;
  source: 'builtin' | 'catalog';
  /** Set when the verdicts come from a calibration (vectors/calibration.ts) rather than these thresholds. */
  calibration?: { same: number; similar: number; source: 'builtin' | 'catalog'; precision: number | null } | null;
}

/** Calibrated per embedder identity (`<model id>@<version>+<fingerprint>`, see models/manifest.ts). */
export const BUILTIN_THRESHOLDS: Readonly<Record<string, ThresholdPair>> = {
  // bench/dedupe-match, 2026-11-22, raw cosines: similar at 80.0% class agreement (43.8% of photos have such a neighbour).
  'fast@2.0.0+eee4dec3ca68': { similar: 0.9825, same: 0.9959 },
  // Same run: similar at 80.0% class agreement (63.5% of photos have such a neighbour).
  'accurate@2.0.0+49084442def1': { similar: 0.9276, same: 0.9908 },
  // bench/dedupe-match --models accurate, 2026-11-22: similar at 80.0% class agreement (74.5% have such a neighbour).
  'accurate@2.1.0+d172fc0182a7': { similar: 0.9652, same: 0.9946 },
};

/** Where a catalog calibration puts `similar` among the nearest-neighbour scores (the median: see below). */
const CATALOG_SIMILAR_QUANTILE = 0.5;

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/**
 * Thresholds for a model without built-in calibration, from the cosines of each sampled item's nearest
 * neighbour that is not a copy of it: `similar` lets the closer half of those pairs through (what the built-in
 * calibration gives on the benchmark: 80% class agreement is reached with 51% (fast) and 56% (accurate) of the
 * nearest pairs let through), `same` sits above every sampled non-copy pair.
 * @throws Error when no score is given (a caller bug: calibrate only a catalog with items).
 */
export function calibrateFromNeighbours(nearestNonCopyScores: readonly number[]): ThresholdPair {
  if (nearestNonCopyScores.length === 0) throw new Error('calibration needs at least one neighbour score');
  const sorted = [...nearestNonCopyScores].sort((a, b) => a - b);
  const similar = quantile(sorted, CATALOG_SIMILAR_QUANTILE);
  const top = sorted[sorted.length - 1]!;
  // Halfway from the highest non-copy score to a perfect 1: above everything seen, with a margin for the unseen.
  const same = Math.min(0.9999, top + (1 - top) / 2);
  return { same, similar };
}

export type Verdict = 'same' | 'similar';

/** The verdict for a pair, or null when it is no match. */
export function verdictOf(cosine: number, picturesAgree: boolean, t: ThresholdPair): Verdict | null {
  if (picturesAgree || cosine >= t.same) return 'same';
  if (cosine >= t.similar) return 'similar';
  return null;
}
