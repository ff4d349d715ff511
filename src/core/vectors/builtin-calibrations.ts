/**
 * The verdict calibration of a folder that has none of its own (no product data, or too little to hold SKUs out):
 * measured per built-in model and kind of transform on the same-product bench's dev split (grocery-dev train/,
 * 660 store photos against the 81 catalog photos, first candidate; the transform learned by the app's own
 * ModelState from the folder's photos, labels unused). Reproduce: `npm run build:tools && node
 * build/bench/same-product.js --only app --cache <dir>` prints this table ("built-in calibration, dev").
 *
 * On that data no cosine of the unsupervised spaces reaches 80% precision (docs/research/same-product.md, (f)):
 * "same product" then comes from a verified copy or local-feature evidence, and the score model mostly says
 * "similar" or "different". That is the honest answer for a folder without labels.
 */
import type { Calibration } from './calibration.js';
import type { WhiteningKind } from './whitening.js';

type SpaceKind = 'identity' | WhiteningKind;

const bench = (a: number, b: number, c: number, typicalMargin: number, samples: number, precision: number | null, recall: number): Calibration => ({
  a,
  b,
  c,
  typicalMargin,
  same: 0.75,
  similar: 0.3,
  source: 'builtin',
  samples,
  precision,
  recall,
});

export const BUILTIN_CALIBRATIONS: Readonly<Record<string, Partial<Record<SpaceKind, Calibration>>>> = {
  // bench/same-product --only app, 2026-12-07, grocery-dev dev split (675 first candidates). None for raw vectors
  // (folders under 16 photos): there the margin carries no signal (b < 0 was fitted) and every verdict would read
  // "different", even for a copy; such folders show the raw score.
  'accurate@2.1.0+d172fc0182a7': {
    center: bench(4.8568843013558105, 7.324972946833643, -3.243887147859399, 0.014341562986373901, 675, null, 0),
    // "same" at P ≥ 0.75 on dev: precision 73.5%, recall 3.7% (the honest answer without labels: mostly "similar").
    pca: bench(9.843719095091483, 30.488340957547603, -3.038036725099176, 0.013113389257341623, 675, 0.7352941176470589, 0.037037037037037035),
  },
};

/**
 * The calibration for a folder's space: its own (fitted on held-out SKUs with its learned transform), else the
 * built-in one of its model and transform kind; undefined when neither exists (verdicts then come from copies,
 * local features and the match's own thresholds).
 */
export function calibrationFor(embedderId: string | undefined, kind: SpaceKind, own: Calibration | undefined): Calibration | undefined {
  if (own) return own;
  if (!embedderId) return undefined;
  const table = BUILTIN_CALIBRATIONS[embedderId];
  // A learned space without its own calibration (every held-out candidate right or wrong) is closest to a PCA one.
  return table?.[kind] ?? (kind === 'lda' || kind === 'wcw' ? table?.pca : undefined);
}

