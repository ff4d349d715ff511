/**
 * When a data folder learns (or re-learns) its whitening, and where the result lives: `<dataDir>/vector-transform.bin`,
 * written atomically, tagged with the embedder identity it was learned for (a file for another model is ignored).
 *
 * The policy's numbers come from leave-one-out retrieval on clothes-train (3,068 photos, both built-in models):
 * - below `centerMin` embeddings: raw vectors (a mean from a handful of photos is not worth a rebuild);
 * - from `centerMin`: centring on the folder's mean. Ranking within ±0.005 mAP@10 of raw, while unrelated
 *   photos drop from ~0.87 (accurate) / ~0.97 (fast) to ~0.0 and near-copies stay near 1;
 * - from `pcaMin`: PCA with λ^−0.25 whitening to min(512, n / 4) dimensions (learned from 1,024 photos: accurate
 *   +0.012 mAP@10, fast +0.030; from 512 photos accurate gains nothing, so 1,000 is the threshold);
 * - re-learned when the folder has grown by `regrow` (×1.5) since the last fit: the fit costs ~6 s at 3,000 × 2,816
 *   dims plus an index rebuild (~1.3 ms per vector), so geometric growth keeps the total cost linear.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from '../base/logger.js';
import { isCalibration } from './calibration.js';
import { decodeWhitening, encodeWhitening, type SupervisionRecord, type Whitening, type WhiteningKind } from './whitening.js';

export const WHITENING_FILE = 'vector-transform.bin';

/** Learning from product data (learn-from-products.ts): when, and with which numbers. */
export interface SupervisionPolicy {
  /** SKUs with at least two embedded photos needed before anything is learned from labels. */
  minSkus: number;
  /** Re-check once the labelled photos have grown by this factor (or the product data changed). */
  regrow: number;
  /** Share of the folder's photos that must be labelled for the LDA step (else the within-SKU whitening only). */
  ldaCoverage: number;
  /** At most this many labelled photos (an even sample) are learned from. */
  sampleCap: number;
  /** The learned transform is kept when its held-out mAP beats the current one's by this much. */
  minGain: number;
  /** LDA output dimensions (at most SKUs − 1). */
  ldaDim: number;
  /** PCA dimensions before the within-SKU statistics. */
  pcaDim: number;
  /** Within-SKU covariance shrinkage. */
  shrink: number;
  folds: number;
}

export const DEFAULT_SUPERVISION_POLICY: SupervisionPolicy = {
  minSkus: 20,
  regrow: 1.5,
  ldaCoverage: 0.9,
  sampleCap: 8192,
  minGain: 0.02,
  ldaDim: 80,
  pcaDim: 512,
  shrink: 0.1,
  folds: 4,
};

export interface WhiteningPolicy {
  /** Embeddings needed before the mean is subtracted. */
  centerMin: number;
  /** Embeddings needed before a PCA-whitening is learned. */
  pcaMin: number;
  /** Re-learn once the folder holds this many times the embeddings of the last fit. */
  regrow: number;
  /** Upper bound on the PCA output dimension (RAM per vector: 512 f16 values = 1 KiB). */
  maxDim: number;
  /** Eigenvalue power of the partial whitening. */
  power: number;
  /** At most this many embeddings (an even sample) are used to learn. */
  sampleCap: number;
  /** Learning from product data (learn-from-products.ts); absent: never. */
  supervision?: SupervisionPolicy;
}

export const DEFAULT_WHITENING_POLICY: WhiteningPolicy = {
  centerMin: 16,
  pcaMin: 1000,
  regrow: 1.5,
  maxDim: 512,
  power: 0.25,
  sampleCap: 4096,
  supervision: DEFAULT_SUPERVISION_POLICY,
};

export type WhiteningPlan = { kind: 'identity' } | { kind: 'center' } | { kind: 'pca'; outputDim: number };

/**
 * PCA output dimensions for n samples: at most n / 4 (in steps of 64 from 256 samples on), the policy's cap and
 * the input size.
 */
export function pcaOutputDim(n: number, inputDim: number, policy: WhiteningPolicy): number {
  const quarter = Math.max(1, Math.floor(n / 4));
  const byData = quarter >= 64 ? Math.floor(quarter / 64) * 64 : quarter;
  return Math.min(policy.maxDim, inputDim, byData);
}

/**
 * What the folder should learn now, or undefined when the current state is still right.
 * @param count embeddings of the model in use across the folder.
 * @param current the stored whitening (undefined: raw vectors).
 */
export function planWhitening(count: number, inputDim: number, current: Pick<Whitening, 'kind' | 'samples' | 'embeddings'> | undefined, policy: WhiteningPolicy = DEFAULT_WHITENING_POLICY): WhiteningPlan | undefined {
  const wanted: WhiteningKind | 'identity' = count >= policy.pcaMin ? 'pca' : count >= policy.centerMin ? 'center' : 'identity';
  // Shrinking never downgrades: a learned transform stays valid for what is left.
  if (wanted === 'identity') return undefined;
  const rank = { identity: 0, center: 1, pca: 2 } as const;
  // A transform learned from labels stands on a PCA-whitening's footing here: it is re-planned as the folder grows.
  const have = current === undefined ? 'identity' : current.kind === 'lda' || current.kind === 'wcw' ? 'pca' : current.kind;
  // Against the folder's size when it was learned: the sample itself is capped (sampleCap), so comparing with it
  // would re-learn after every job once a folder holds regrow × sampleCap embeddings.
  const grown = current !== undefined && count >= policy.regrow * (current.embeddings ?? current.samples);
  if (rank[wanted] < rank[have]) return undefined;
  if (rank[wanted] === rank[have] && !grown) return undefined;
  return wanted === 'pca' ? { kind: 'pca', outputDim: pcaOutputDim(Math.min(count, policy.sampleCap), inputDim, policy) } : { kind: 'center' };
}

/**
 * The folder's stored whitening when it was learned for `embedderId` and `inputDim`; otherwise undefined (a file
 * that cannot be read is logged and ignored: the folder falls back to raw vectors and re-learns).
 */
export function readWhitening(dataDir: string, embedderId: string, inputDim: number, logger: Logger): Whitening | undefined {
  const file = join(dataDir, WHITENING_FILE);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return undefined;
  }
  try {
    const { whitening, header } = decodeWhitening(bytes);
    if (header['embedderId'] !== embedderId || whitening.inputDim !== inputDim) return undefined;
    const embeddings = header['embeddings'];
    const out: Whitening = typeof embeddings === 'number' && Number.isInteger(embeddings) && embeddings >= whitening.samples ? { ...whitening, embeddings } : whitening;
    if (isSupervisionRecord(header['supervision'])) out.supervision = header['supervision'];
    if (isCalibration(header['calibration'])) out.calibration = header['calibration'];
    return out;
  } catch (err) {
    logger.warn('ignoring an unreadable vector transform file; it will be learned again', { file, reason: (err as Error).message });
    return undefined;
  }
}

/** Stores the whitening atomically (temp file, fsync, rename, fsync of the folder). */
export function writeWhitening(dataDir: string, embedderId: string, whitening: Whitening): void {
  const file = join(dataDir, WHITENING_FILE);
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    writeFileSync(
      tmp,
      encodeWhitening(whitening, {
        embedderId,
        learnedAt: new Date().toISOString(),
        ...(whitening.embeddings === undefined ? {} : { embeddings: whitening.embeddings }),
        ...(whitening.supervision === undefined ? {} : { supervision: whitening.supervision }),
        ...(whitening.calibration === undefined ? {} : { calibration: whitening.calibration }),
      }),
    );
    const fd = openSync(tmp, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  try {
    const fd = openSync(dirname(file), 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Folders cannot be opened for fsync on Windows; NTFS journals the rename.
  }
}

/** Deletes the stored whitening (after a model switch its numbers belong to the old model). */
export function removeWhitening(dataDir: string): void {
  rmSync(join(dataDir, WHITENING_FILE), { force: true });
}

/** Evenly spaced indices: `count` of 0 … n − 1 (all of them when count ≥ n). */
export function evenSample(n: number, count: number): number[] {
  if (count >= n) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: count }, (_, i) => Math.floor((i * n) / count));
}

function isSupervisionRecord(x: unknown): x is SupervisionRecord {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as Record<string, unknown>;
  return (
    typeof r['productsStamp'] === 'string' &&
    ['labelled', 'skus', 'current', 'candidate', 'queries'].every((k) => typeof r[k] === 'number' && Number.isFinite(r[k])) &&
    (r['tried'] === 'lda' || r['tried'] === 'wcw') &&
    typeof r['kept'] === 'boolean'
  );
}
