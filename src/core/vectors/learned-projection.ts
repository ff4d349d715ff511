/**
 * A projection learned from the catalog's own product data (imported SKUs link several photos to one product):
 * PCA (unwhitened, ≤ 512 dims) → whitening by the within-SKU covariance (shrunk towards its mean eigenvalue) →
 * optionally the top between-SKU directions (LDA). Directions along which photos of one product vary (shelf,
 * light, studio vs phone) are shrunk; the LDA step then keeps what separates the SKUs it saw.
 *
 * From docs/research/same-product.md (grocery-dev val): within-SKU whitening + LDA 80 doubles store → catalog
 * Recall@1 (22 → 50%) when every SKU is labelled, but its directions are the labelled SKUs' and generalise only
 * partly (+8 R@1 on SKUs without labels); the within-SKU whitening alone generalises (+21 R@1 on unseen SKUs).
 * Hence two kinds: `lda` where (nearly) every catalog photo is labelled, `wcw` otherwise; and a leave-SKUs-out
 * check (checkLearnedProjection) decides whether either beats the folder's unsupervised transform at all.
 *
 * The result is a Whitening (projection k × D, mean) so that it is stored, digested, applied and rebuilt exactly
 * as the PCA-whitening is (whitening.ts, whitening-store.ts).
 */
import { symmetricEigen, transpose, type MatMul } from '../base/linalg.js';
import { fitPcaWhitening, type Whitening } from './whitening.js';

export type LearnedKind = 'lda' | 'wcw';

export interface LearnedOptions {
  kind: LearnedKind;
  /** PCA dimensions before the within-SKU statistics (default 512; at most n / 2 and D). */
  pcaDim?: number;
  /** LDA output dimensions (default 80; at most SKUs − 1). */
  k?: number;
  /** Shrinkage of the within-SKU covariance towards its mean eigenvalue (default 0.1). */
  shrink?: number;
  matmul: MatMul;
  /** Called between steps; throwing from it (an aborted signal) stops the fit. */
  checkpoint?: () => void;
}

/** A PCA basis: mean and p unit rows of D (row-major). */
export interface PcaBasis {
  mean: Float32Array;
  rows: Float32Array;
  p: number;
  dim: number;
}

/**
 * The PCA basis of n samples (no whitening).
 * @throws Error when there are too few samples (p + 1 needed).
 */
export async function fitPcaBasis(samples: Float32Array, n: number, dim: number, p: number, matmul: MatMul): Promise<PcaBasis> {
  const w = await fitPcaWhitening(samples, n, dim, { outputDim: p, power: 0, matmul });
  return { mean: w.mean, rows: w.projection, p, dim };
}

/** (x − mean) in the basis for n row-major samples: n × p, one matrix product. */
export async function projectOnBasis(basis: PcaBasis, samples: Float32Array, n: number, matmul: MatMul): Promise<Float32Array> {
  const { p, dim, rows, mean } = basis;
  const y = await matmul(samples, n, dim, transpose(rows, p, dim), p);
  const offset = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += rows[i * dim + j]! * mean[j]!;
    offset[i] = s;
  }
  for (let r = 0; r < n; r++) for (let i = 0; i < p; i++) y[r * p + i] = y[r * p + i]! - offset[i]!;
  return y;
}

/**
 * The within-SKU whitening (and LDA) in a PCA basis, from projected samples `y` (n × p) and their SKU labels
 * (0 … classes − 1). Returns M (k × p): the learned map is z = M y.
 * @throws Error when fewer than two SKUs are given.
 */
export function fitInBasis(y: Float32Array, labels: Int32Array, p: number, options: Omit<LearnedOptions, 'matmul'>): { m: Float64Array; k: number } {
  const n = labels.length;
  const classes = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const list = classes.get(labels[i]!);
    if (list) list.push(i);
    else classes.set(labels[i]!, [i]);
  }
  if (classes.size < 2) throw new Error(`learned projection: ${classes.size} SKU is not enough`);
  const means = new Map<number, Float64Array>();
  for (const [l, idx] of classes) {
    const m = new Float64Array(p);
    for (const i of idx) for (let j = 0; j < p; j++) m[j] = m[j]! + y[i * p + j]!;
    for (let j = 0; j < p; j++) m[j] = m[j]! / idx.length;
    means.set(l, m);
  }
  // Within-SKU scatter (upper triangle, then mirrored).
  const sw = new Float64Array(p * p);
  const diff = new Float64Array(p);
  for (let i = 0; i < n; i++) {
    const m = means.get(labels[i]!)!;
    for (let j = 0; j < p; j++) diff[j] = y[i * p + j]! - m[j]!;
    for (let a = 0; a < p; a++) {
      const da = diff[a]!;
      if (da === 0) continue;
      const row = a * p;
      for (let b = a; b < p; b++) sw[row + b] = sw[row + b]! + da * diff[b]!;
    }
  }
  options.checkpoint?.();
  let trace = 0;
  for (let a = 0; a < p; a++) {
    for (let b = a; b < p; b++) sw[b * p + a] = sw[a * p + b] = sw[a * p + b]! / n;
    trace += sw[a * p + a]!;
  }
  const alpha = options.shrink ?? 0.1;
  for (let a = 0; a < p * p; a++) sw[a] = sw[a]! * (1 - alpha);
  for (let a = 0; a < p; a++) sw[a * p + a] = sw[a * p + a]! + (alpha * trace) / p;
  const ew = symmetricEigen(sw, p);
  options.checkpoint?.();
  // W = Λ^−½ Uᵀ (p × p)
  const w = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    const s = 1 / Math.sqrt(Math.max(ew.values[i]!, 1e-12));
    for (let j = 0; j < p; j++) w[i * p + j] = ew.vectors[j * p + i]! * s;
  }
  if (options.kind === 'wcw') return { m: w, k: p };
  // Between-SKU scatter of the whitened SKU means, weighted by photo counts.
  const zm = new Map<number, Float64Array>();
  const all = new Float64Array(p);
  for (const [l, m] of means) {
    const z = new Float64Array(p);
    for (let i = 0; i < p; i++) {
      let s = 0;
      for (let j = 0; j < p; j++) s += w[i * p + j]! * m[j]!;
      z[i] = s;
    }
    zm.set(l, z);
    const weight = classes.get(l)!.length / n;
    for (let i = 0; i < p; i++) all[i] = all[i]! + weight * z[i]!;
  }
  const sb = new Float64Array(p * p);
  for (const [l, z] of zm) {
    const weight = classes.get(l)!.length / n;
    for (let a = 0; a < p; a++) {
      const da = weight * (z[a]! - all[a]!);
      if (da === 0) continue;
      for (let b = 0; b < p; b++) sb[a * p + b] = sb[a * p + b]! + da * (z[b]! - all[b]!);
    }
  }
  const eb = symmetricEigen(sb, p);
  options.checkpoint?.();
  const k = Math.min(options.k ?? 80, p, classes.size - 1);
  const m = new Float64Array(k * p);
  for (let i = 0; i < k; i++) {
    for (let t = 0; t < p; t++) {
      const v = eb.vectors[t * p + i]!;
      if (v === 0) continue;
      for (let j = 0; j < p; j++) m[i * p + j] = m[i * p + j]! + v * w[t * p + j]!;
    }
  }
  return { m, k };
}

/** z = M y for n rows of y (n × p), each normalised: the learned space's unit vectors. */
export async function applyInBasis(y: Float32Array, n: number, p: number, m: Float64Array, k: number, matmul: MatMul): Promise<Float32Array> {
  const z = await matmul(y, n, p, transpose(Float32Array.from(m), k, p), k);
  for (let r = 0; r < n; r++) normaliseRow(z, r * k, k);
  return z;
}

/**
 * Folds M and the PCA basis into one Whitening of `kind`: projection = M · rows (k × D), mean = the basis mean.
 * @param samples how many samples (labelled photos) it was learned from.
 */
export async function composeLearned(kind: LearnedKind, basis: PcaBasis, m: Float64Array, k: number, samples: number, matmul: MatMul): Promise<Whitening> {
  const projection = await matmul(Float32Array.from(m), k, basis.p, basis.rows, basis.dim);
  return { kind, inputDim: basis.dim, outputDim: k, power: 0, samples, mean: basis.mean, projection, eigenvalues: new Float32Array(0) };
}

/** Learns the projection of `kind` from labelled samples in one go (PCA basis, statistics, composition). */
export async function fitLearnedProjection(samples: Float32Array, labels: Int32Array, dim: number, options: LearnedOptions): Promise<Whitening> {
  const n = labels.length;
  const p = Math.min(options.pcaDim ?? 512, Math.floor(n / 2), dim);
  const basis = await fitPcaBasis(samples, n, dim, p, options.matmul);
  options.checkpoint?.();
  const y = await projectOnBasis(basis, samples, n, options.matmul);
  const { m, k } = fitInBasis(y, labels, p, options);
  return composeLearned(options.kind, basis, m, k, n, options.matmul);
}

function normaliseRow(a: Float32Array, start: number, len: number): void {
  let s = 0;
  for (let i = 0; i < len; i++) s += a[start + i]! * a[start + i]!;
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  for (let i = 0; i < len; i++) a[start + i] = a[start + i]! * inv;
}

/** One held-out query of the check: its best candidate's score, the margin to the next other SKU, and whether it is right. */
export interface CalibrationPoint {
  score: number;
  margin: number;
  correct: boolean;
}

export interface ProjectionCheck {
  folds: number;
  queries: number;
  /**
   * Mean average precision of a held-out photo's ranking of the other held-out photos (relevant: its SKU's), in the
   * current space. Not the nearest photo alone: photos of one shelf session are near-copies, so the nearest is of
   * the same SKU in every space (91–97% on grocery-dev) and says nothing; the whole ranking of the SKU's photos does.
   */
  current: number;
  /** The same in the learned space (learned without the held-out SKUs). */
  candidate: number;
  /** Best candidates of the held-out queries in the learned space, for the verdict's calibration. */
  points: CalibrationPoint[];
}

/**
 * Leave-SKUs-out: the SKUs are split into `folds` groups; for each, the projection is learned from the others'
 * photos and every photo of the held-out group queries the held-out group's other photos. Held-out SKUs, not
 * held-out photos: photos of one shelf session are near-copies of each other, and scores of a photo whose SKU the
 * map was learned from are optimistic (by 10–15 points of precision on grocery-dev).
 * @param y labelled samples in the PCA basis (n × p); `labels` 0 … classes − 1
 * @param current the same samples in the folder's current (unsupervised) space, unit rows of `currentDim`
 */
export async function checkLearnedProjection(
  y: Float32Array,
  labels: Int32Array,
  p: number,
  current: Float32Array,
  currentDim: number,
  options: LearnedOptions & { folds?: number; seed?: number },
): Promise<ProjectionCheck> {
  const n = labels.length;
  const skus = [...new Set(labels)].sort((a, b) => a - b);
  const folds = Math.min(options.folds ?? 4, skus.length);
  // A deterministic shuffle of the SKUs (so a re-check gives the same answer), dealt round-robin.
  let seed = (options.seed ?? 20) >>> 0;
  const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296);
  for (let i = skus.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [skus[i], skus[j]] = [skus[j]!, skus[i]!];
  }
  const foldOf = new Map(skus.map((s, i) => [s, i % folds]));
  let currentHits = 0;
  let candidateHits = 0;
  let queries = 0;
  const points: CalibrationPoint[] = [];
  for (let f = 0; f < folds; f++) {
    const train: number[] = [];
    const held: number[] = [];
    for (let i = 0; i < n; i++) (foldOf.get(labels[i]!) === f ? held : train).push(i);
    if (held.length < 2 || new Set(train.map((i) => labels[i]!)).size < 2) continue;
    const ty = gather(y, train, p);
    const { m, k } = fitInBasis(ty, Int32Array.from(train, (i) => labels[i]!), p, options);
    options.checkpoint?.();
    const hz = await applyInBasis(gather(y, held, p), held.length, p, m, k, options.matmul);
    const hc = gather(current, held, currentDim);
    const hl = held.map((i) => labels[i]!);
    const learnedSims = await options.matmul(hz, held.length, k, transpose(hz, held.length, k), held.length);
    const currentSims = await options.matmul(hc, held.length, currentDim, transpose(hc, held.length, currentDim), held.length);
    for (let q = 0; q < held.length; q++) {
      // A query whose SKU has no other held-out photo cannot score; it still counts for both spaces alike.
      queries++;
      currentHits += averagePrecision(currentSims, held.length, q, hl);
      candidateHits += averagePrecision(learnedSims, held.length, q, hl);
      const cand = nearest(learnedSims, held.length, q, hl);
      if (cand.label !== undefined) points.push({ score: cand.score, margin: cand.score - cand.next, correct: cand.label === hl[q] });
    }
    options.checkpoint?.();
  }
  return { folds, queries, current: queries === 0 ? 0 : currentHits / queries, candidate: queries === 0 ? 0 : candidateHits / queries, points };
}

/** Average precision of row q's ranking of the other rows, relevant: those with q's label (0 when there is none). */
function averagePrecision(sims: Float32Array, count: number, q: number, labels: readonly number[]): number {
  const order: number[] = [];
  for (let j = 0; j < count; j++) if (j !== q) order.push(j);
  order.sort((a, b) => sims[q * count + b]! - sims[q * count + a]!);
  let hits = 0;
  let sum = 0;
  order.forEach((j, i) => {
    if (labels[j] !== labels[q]) return;
    hits++;
    sum += hits / (i + 1);
  });
  return hits === 0 ? 0 : sum / hits;
}

/** The best other row for query q, its label, and the best score among rows of another label than the best's. */
function nearest(sims: Float32Array, count: number, q: number, labels: readonly number[]): { label: number | undefined; score: number; next: number } {
  let best = -1;
  let bestScore = -Infinity;
  for (let j = 0; j < count; j++) {
    if (j === q) continue;
    const s = sims[q * count + j]!;
    if (s > bestScore) (bestScore = s), (best = j);
  }
  if (best < 0) return { label: undefined, score: 0, next: 0 };
  const label = labels[best]!;
  let next = -1;
  for (let j = 0; j < count; j++) if (j !== q && labels[j] !== label) next = Math.max(next, sims[q * count + j]!);
  return { label, score: bestScore, next };
}

function gather(a: Float32Array, rows: readonly number[], width: number): Float32Array {
  const out = new Float32Array(rows.length * width);
  rows.forEach((r, i) => out.set(a.subarray(r * width, (r + 1) * width), i * width));
  return out;
}
