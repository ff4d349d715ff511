/**
 * When and how a data folder learns its vector transform from imported product data (learned-projection.ts), and
 * keeps it only where a leave-SKUs-out check measures it better than the folder's unsupervised transform. A folder
 * without product data, or where the check says no, keeps the unsupervised transform unchanged.
 */
import { AppError } from '../../shared/errors.js';
import type { Catalog } from '../catalog/catalog.js';
import { decodeF16 } from '../base/f16.js';
import type { MatMul } from '../base/linalg.js';
import { fitCalibration, type Calibration } from './calibration.js';
import { checkLearnedProjection, composeLearned, fitInBasis, fitPcaBasis, projectOnBasis, type LearnedKind } from './learned-projection.js';
import type { VectorTransform } from './transform.js';
import { evenSample, type SupervisionPolicy } from './whitening-store.js';
import type { SupervisionRecord, Whitening } from './whitening.js';

export interface LabelState {
  stamp: string;
  /** Labelled embedded photos, and SKUs with at least two of them. */
  labelled: number;
  skus: number;
}

/** The folder's labels as the policy sees them (two cheap queries). */
export function labelState(catalog: Catalog, embedderId: string): LabelState {
  const counts = catalog.products.labelCounts(embedderId);
  let labelled = 0;
  let skus = 0;
  for (const n of counts.values()) {
    if (n < 2) continue;
    labelled += n;
    skus++;
  }
  return { stamp: catalog.products.stamp(), labelled, skus };
}

/**
 * Whether the labels call for a (re-)check: enough SKUs, and no check yet for this product data, or the labelled
 * set has grown by `regrow` since the last one.
 */
export function supervisionDue(state: LabelState, record: SupervisionRecord | undefined, policy: SupervisionPolicy): boolean {
  if (state.skus < policy.minSkus) return false;
  if (!record) return true;
  return record.productsStamp !== state.stamp || state.labelled >= policy.regrow * record.labelled;
}

export interface LearnFromProductsOptions {
  catalog: Catalog;
  embedderId: string;
  dim: number;
  /** The folder's embeddings (all collections), for the LDA-or-whitening choice. */
  embeddings: number;
  /** The unsupervised transform to beat, and its learned numbers (undefined: raw vectors). */
  base: VectorTransform;
  state: LabelState;
  policy: SupervisionPolicy;
  matmul: MatMul;
  signal?: AbortSignal;
  onStep?: (message: string) => void;
}

export interface LearnFromProductsResult {
  /** The learned transform when kept (with its calibration), else undefined. */
  learned: Whitening | undefined;
  record: SupervisionRecord;
}

/**
 * Fits the learned projection on the folder's labelled photos and checks it on held-out SKUs against `base`.
 * @throws AppError CANCELLED when the signal aborts between steps.
 */
export async function learnFromProducts(o: LearnFromProductsOptions): Promise<LearnFromProductsResult> {
  const checkpoint = () => {
    if (o.signal?.aborted) throw new AppError('CANCELLED', 'Cancelled while learning from the product data.');
  };
  const rows = [...o.catalog.products.labelledEmbeddings(o.embedderId)];
  const perSku = new Map<string, number>();
  for (const r of rows) perSku.set(r.sku, (perSku.get(r.sku) ?? 0) + 1);
  const usable = rows.filter((r) => perSku.get(r.sku)! >= 2);
  const picked = evenSample(usable.length, Math.min(usable.length, o.policy.sampleCap)).map((i) => usable[i]!);
  const n = picked.length;
  const ids = new Map<string, number>();
  const labels = Int32Array.from(picked, (r) => {
    let id = ids.get(r.sku);
    if (id === undefined) ids.set(r.sku, (id = ids.size));
    return id;
  });
  const samples = new Float32Array(n * o.dim);
  picked.forEach((r, i) => decodeF16(r.vector, samples, i * o.dim));
  const kind: LearnedKind = o.state.labelled >= o.policy.ldaCoverage * o.embeddings ? 'lda' : 'wcw';
  const p = Math.min(o.policy.pcaDim, Math.floor(n / 2), o.dim);
  o.onStep?.(`learning from ${n} photos of ${ids.size} products`);
  const basis = await fitPcaBasis(samples, n, o.dim, p, o.matmul);
  checkpoint();
  const y = await projectOnBasis(basis, samples, n, o.matmul);
  const current = o.base.applyMany ? await o.base.applyMany(samples, n) : stackApplied(o.base, samples, n, o.dim);
  checkpoint();
  const fit = { kind, pcaDim: p, k: o.policy.ldaDim, shrink: o.policy.shrink, checkpoint };
  o.onStep?.(`checking the learned projection on held-out products (${o.policy.folds} folds)`);
  const check = await checkLearnedProjection(y, labels, p, current, o.base.outputDim, { ...fit, matmul: o.matmul, folds: o.policy.folds });
  const kept = check.queries >= 2 * o.policy.minSkus && check.candidate >= check.current + o.policy.minGain;
  const record: SupervisionRecord = {
    productsStamp: o.state.stamp,
    labelled: o.state.labelled,
    skus: o.state.skus,
    tried: kind,
    kept,
    current: check.current,
    candidate: check.candidate,
    queries: check.queries,
  };
  if (!kept) return { learned: undefined, record };
  let calibration: Calibration | undefined;
  try {
    calibration = fitCalibration(check.points, { source: 'catalog' });
  } catch {
    // Every held-out candidate right (or wrong): no verdict model to fit; the built-in one applies.
    calibration = undefined;
  }
  o.onStep?.('learning the projection from every labelled photo');
  const { m, k } = fitInBasis(y, labels, p, fit);
  const learned = await composeLearned(kind, basis, m, k, n, o.matmul);
  learned.supervision = record;
  if (calibration) learned.calibration = calibration;
  return { learned, record };
}

function stackApplied(t: VectorTransform, samples: Float32Array, n: number, dim: number): Float32Array {
  const out = new Float32Array(n * t.outputDim);
  for (let i = 0; i < n; i++) out.set(t.apply(samples.subarray(i * dim, (i + 1) * dim)), i * t.outputDim);
  return out;
}

