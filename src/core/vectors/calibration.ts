/**
 * What a similarity score means to a merchandiser: "same product / similar / different" with the chance that the
 * candidate is the same product (a calibrated probability, shown as "Same product · 92%").
 *
 * The probability is a logistic model of the candidate's cosine in the index's space and its margin over the next
 * candidate of another product: on grocery-dev the margin alone reaches 80% precision where the cosine alone
 * reaches none (docs/research/same-product.md, (f)), and a red dress 0.97 away from a grey T-shirt is "similar" by
 * raw cosine only because every pair of garments scores that high. Fitted on held-out SKUs of the catalog's own
 * labels where it has enough (vectors/learned-projection.ts: checkLearnedProjection), else built in (measured on
 * the same-product bench's dev split, per model and kind of transform: builtin-calibrations.ts).
 *
 * Geometric evidence (local features that line up under one homography, e.g. ORB + RANSAC inliers) and a verified
 * copy of the photo can only confirm "same": they are optional inputs of verdictOf, never required.
 */

export type SameProductVerdict = 'same' | 'similar' | 'different';

export interface Calibration {
  /** P(same product) = σ(a·score + b·margin + c). */
  a: number;
  b: number;
  c: number;
  /** Margin assumed when a candidate has no other candidate to be compared with (the median one measured). */
  typicalMargin: number;
  /** Verdict `same` at P ≥ same, `similar` at P ≥ similar, else `different`. */
  same: number;
  similar: number;
  /** catalog: fitted on this catalog's held-out SKUs; builtin: measured on the benchmark (see the module comment). */
  source: 'catalog' | 'builtin';
  /** Held-out queries it was fitted on, and its measured precision / recall of `same` on them. */
  samples: number;
  precision: number | null;
  recall: number | null;
}

/** The optional evidence beyond the score. */
export interface VerdictEvidence {
  /** Cosine of the candidate in the index's space. */
  score: number;
  /** score minus the best score of a candidate of another product (≤ 0 when another one ranks higher). */
  margin?: number;
  /** The pictures line up as copies of one photo (the dedupe picture check). */
  copy?: boolean;
  /** Local-feature matches consistent with one homography (e.g. ORB + RANSAC on the pair). */
  inliers?: number;
}

export interface VerdictResult {
  verdict: SameProductVerdict;
  /** Chance that the candidate is the same product, 0..1. */
  confidence: number;
}

/** Verdict probabilities where the calibration is silent. */
export const DEFAULT_SAME_P = 0.75;
export const DEFAULT_SIMILAR_P = 0.3;
/**
 * Inliers from which a homography confirms `same`, and the precision that gives: ≥ 5 inliers 84.9%, ≥ 36 93.8%
 * of store → catalog pairs (grocery-dev val, ORB 500 keypoints, ratio 0.8, RANSAC 6 px).
 */
export const GEOMETRY_SAME_INLIERS = 5;
const GEOMETRY_CONFIDENCE: readonly [number, number][] = [
  [36, 0.94],
  [5, 0.85],
];
/** A verified copy of the photo (resized, recompressed, cropped...): the dedupe bench's copies are ≥ 99% right. */
const COPY_CONFIDENCE = 0.99;

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** P(same product) of a candidate, from the score model alone. */
export function sameProbability(score: number, margin: number | undefined, cal: Calibration): number {
  return sigmoid(cal.a * score + cal.b * (margin ?? cal.typicalMargin) + cal.c);
}

/** The verdict and its confidence for one candidate (see the module comment). */
export function verdictOf(e: VerdictEvidence, cal: Calibration): VerdictResult {
  let p = sameProbability(e.score, e.margin, cal);
  if (e.copy) p = Math.max(p, COPY_CONFIDENCE);
  const geometric = e.inliers === undefined ? undefined : GEOMETRY_CONFIDENCE.find(([n]) => e.inliers! >= n);
  if (geometric) p = Math.max(p, geometric[1]);
  const verdict: SameProductVerdict = p >= cal.same ? 'same' : p >= cal.similar ? 'similar' : 'different';
  return { verdict, confidence: p };
}

/**
 * Margins of ranked candidates: each one's score minus the best score of a candidate of another product (a
 * candidate's product key, e.g. its SKU; undefined: every candidate is its own product).
 */
export function marginsOf(scores: readonly number[], products: readonly (string | undefined)[]): (number | undefined)[] {
  return scores.map((s, i) => {
    const mine = products[i];
    let other: number | undefined;
    for (let j = 0; j < scores.length; j++) {
      if (j === i || (mine !== undefined && products[j] === mine)) continue;
      if (other === undefined || scores[j]! > other) other = scores[j]!;
    }
    return other === undefined ? undefined : s - other;
  });
}

/**
 * Fits the logistic model on labelled best candidates (L2-regularised, Newton's method), then measures the
 * precision and recall of `same` on the same points.
 * @throws Error when the points hold only right or only wrong candidates (nothing to separate).
 */
export function fitCalibration(
  points: readonly { score: number; margin: number; correct: boolean }[],
  options: { same?: number; similar?: number; source: Calibration['source']; l2?: number } = { source: 'catalog' },
): Calibration {
  const n = points.length;
  const right = points.filter((p) => p.correct).length;
  if (right === 0 || right === n) throw new Error(`calibration: ${right} of ${n} candidates right, nothing to separate`);
  const l2 = options.l2 ?? 1e-3;
  // Standardised features keep Newton's steps well conditioned; the weights are mapped back at the end.
  const mean = [0, 0];
  const sd = [0, 0];
  for (const p of points) (mean[0]! += p.score / n), (mean[1]! += p.margin / n);
  for (const p of points) (sd[0]! += (p.score - mean[0]!) ** 2 / n), (sd[1]! += (p.margin - mean[1]!) ** 2 / n);
  const s0 = Math.sqrt(sd[0]!) || 1;
  const s1 = Math.sqrt(sd[1]!) || 1;
  const xs = points.map((p) => [(p.score - mean[0]!) / s0, (p.margin - mean[1]!) / s1, 1] as const);
  let w = [0, 0, Math.log(right / (n - right))];
  for (let it = 0; it < 50; it++) {
    const g = [0, 0, 0];
    const h = [
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
    ];
    xs.forEach((x, i) => {
      const pr = sigmoid(w[0]! * x[0] + w[1]! * x[1] + w[2]!);
      const y = points[i]!.correct ? 1 : 0;
      const r = pr * (1 - pr);
      for (let a = 0; a < 3; a++) {
        g[a]! += (pr - y) * x[a]!;
        for (let b = 0; b < 3; b++) h[a]![b]! += r * x[a]! * x[b]!;
      }
    });
    for (let a = 0; a < 2; a++) (g[a]! += l2 * n * w[a]!), (h[a]![a]! += l2 * n);
    h[2]![2]! += 1e-9;
    const step = solve3(h, g);
    w = w.map((v, a) => v - step[a]!);
    if (Math.max(...step.map(Math.abs)) < 1e-8) break;
  }
  const a = w[0]! / s0;
  const b = w[1]! / s1;
  const c = w[2]! - a * mean[0]! - b * mean[1]!;
  const margins = points.map((p) => p.margin).sort((x, y) => x - y);
  const cal: Calibration = {
    a,
    b,
    c,
    typicalMargin: margins[Math.floor(margins.length / 2)]!,
    same: options.same ?? DEFAULT_SAME_P,
    similar: options.similar ?? DEFAULT_SIMILAR_P,
    source: options.source,
    samples: n,
    precision: null,
    recall: null,
  };
  const op = measure(points, cal);
  return { ...cal, precision: op.precision, recall: op.recall };
}

/** Precision of `same` among the points given it, and the share of all points given a right `same`. */
export function measure(points: readonly { score: number; margin: number; correct: boolean }[], cal: Calibration): { precision: number | null; recall: number } {
  let given = 0;
  let right = 0;
  for (const p of points) {
    if (verdictOf({ score: p.score, margin: p.margin }, cal).verdict !== 'same') continue;
    given++;
    if (p.correct) right++;
  }
  return { precision: given === 0 ? null : right / given, recall: points.length === 0 ? 0 : right / points.length };
}

function solve3(h: number[][], g: number[]): number[] {
  const m = h.map((row, i) => [...row, g[i]!]);
  for (let c = 0; c < 3; c++) {
    let piv = c;
    for (let r = c + 1; r < 3; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[piv]![c]!)) piv = r;
    [m[c], m[piv]] = [m[piv]!, m[c]!];
    const d = m[c]![c]! || 1e-12;
    for (let r = 0; r < 3; r++) {
      if (r === c) continue;
      const f = m[r]![c]! / d;
      for (let k = c; k < 4; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  return [0, 1, 2].map((i) => m[i]![3]! / (m[i]![i]! || 1e-12));
}

/** Checks a calibration read from a file or a table (finite numbers, ordered thresholds). */
export function isCalibration(x: unknown): x is Calibration {
  if (typeof x !== 'object' || x === null) return false;
  const c = x as Record<string, unknown>;
  const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  return (
    ['a', 'b', 'c', 'typicalMargin', 'same', 'similar', 'samples'].every((k) => finite(c[k])) &&
    (c['source'] === 'catalog' || c['source'] === 'builtin') &&
    (c['similar'] as number) <= (c['same'] as number)
  );
}
