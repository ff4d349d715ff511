/**
 * Catalog-adapted whitening: a transform learned from the data folder's own stored embeddings, applied to every
 * vector that goes into an index and to every query (see transform.ts).
 *
 * - `center`: subtracts the catalog's mean. GeM vectors are all non-negative, so any two photos score 0.87–0.97
 *   raw; centred, unrelated photos score around 0 and the score means something. Ranking is unchanged within
 *   ±0.005 mAP@10 (measured on clothes-train); a few dozen vectors estimate the mean well enough.
 * - `pca`: centring, projection on the top principal directions and partial whitening: each direction is scaled
 *   by λ^−power (power 0.25: full whitening, 0.5, overweights noisy directions of GeM features and loses
 *   0.07–0.1 mAP@10). Learned from n vectors, at most n / 4 output dimensions are estimated well (beyond that the
 *   small eigenvalues are noise and the whitening blows them up: −0.17 mAP@10 at 512 dims from 512 vectors).
 */
import { createHash } from 'node:crypto';
import { l2NormalizeInPlace } from '../base/vector-norm.js';
import { createMatMul, topEigenpairs, transpose, type MatMul } from '../base/linalg.js';
import type { VectorTransform } from './transform.js';
import type { Calibration } from './calibration.js';

/** center / pca: unsupervised (below); lda / wcw: learned from product data (learned-projection.ts). */
export type WhiteningKind = 'center' | 'pca' | 'lda' | 'wcw';

/** The kinds learned from SKU labels: the same linear form as `pca` (projection rows, mean). */
export const isLearnedKind = (kind: WhiteningKind): kind is 'lda' | 'wcw' => kind === 'lda' || kind === 'wcw';

export interface Whitening {
  kind: WhiteningKind;
  inputDim: number;
  outputDim: number;
  /** λ^−power per direction (pca only; 0 for center). */
  power: number;
  /** How many embeddings it was learned from. */
  samples: number;
  /**
   * How many embeddings the folder held when it was learned (≥ samples: the sample is capped). Growth is measured
   * against this, not against the capped sample. Undefined in files written before it was recorded.
   */
  embeddings?: number;
  /** Mean of the samples, length inputDim. */
  mean: Float32Array;
  /** pca: outputDim × inputDim row-major, rows already scaled by λ^−power; center: empty. */
  projection: Float32Array;
  /** pca: the kept eigenvalues, largest first (for reports and tests); center: empty. */
  eigenvalues: Float32Array;
  /** What the product-data check measured when this transform was chosen (whitening-store.ts). */
  supervision?: SupervisionRecord;
  /** The verdict calibration fitted with it on held-out SKUs (lda / wcw). */
  calibration?: Calibration;
}

/** The leave-SKUs-out check's outcome, stored with the transform so that it is not re-run for the same labels. */
export interface SupervisionRecord {
  /** Digest of the product data it saw (whitening-store.ts productsStamp). */
  productsStamp: string;
  /** Labelled photos and SKUs it saw. */
  labelled: number;
  skus: number;
  /** The learned kind it tried, and whether it measured better than the unsupervised transform. */
  tried: 'lda' | 'wcw';
  kept: boolean;
  /** Mean average precision of same-SKU photos on held-out SKUs: the unsupervised transform and the learned one. */
  current: number;
  candidate: number;
  queries: number;
}

export interface FitPcaOptions {
  outputDim: number;
  power: number;
  /** Does the large products (see linalg.ts). */
  matmul: MatMul;
  /** Randomized eigensolver power iterations (default 4). */
  iterations?: number;
}

/**
 * The mean of `n` vectors of `dim` values stored one after another in `samples`.
 * @throws Error when there is no sample or the sizes disagree.
 */
export function fitCenter(samples: Float32Array, n: number, dim: number): Whitening {
  checkSamples(samples, n, dim);
  return { kind: 'center', inputDim: dim, outputDim: dim, power: 0, samples: n, mean: meanOf(samples, n, dim), projection: new Float32Array(0), eigenvalues: new Float32Array(0) };
}

/**
 * Learns a PCA projection with partial whitening from `n` vectors of `dim` values.
 * @throws Error when there are fewer samples than output dimensions + 1 or the sizes disagree.
 */
export async function fitPcaWhitening(samples: Float32Array, n: number, dim: number, options: FitPcaOptions): Promise<Whitening> {
  checkSamples(samples, n, dim);
  const k = options.outputDim;
  if (k < 1 || k > dim || k >= n) throw new Error(`fitPcaWhitening: ${k} output dimensions from ${n} samples of ${dim}`);
  const mean = meanOf(samples, n, dim);
  const centred = new Float32Array(samples.length);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) centred[i * dim + j] = samples[i * dim + j]! - mean[j]!;
  // Covariance = XᵀX / n (dim × dim), then its top-k eigenpairs.
  const cov = await options.matmul(centred, dim, n, centred, dim, true);
  for (let i = 0; i < cov.length; i++) cov[i] = cov[i]! / n;
  const { values, vectors } = await topEigenpairs(cov, dim, k, options.matmul, { iterations: options.iterations ?? 4 });
  // A floor keeps a (numerically) zero direction from being scaled towards infinity.
  const floor = Math.max(values[0]! * 1e-9, 1e-20);
  const projection = new Float32Array(k * dim);
  for (let i = 0; i < k; i++) {
    const scale = Math.max(values[i]!, floor) ** -options.power;
    for (let j = 0; j < dim; j++) projection[i * dim + j] = vectors[i * dim + j]! * scale;
  }
  return { kind: 'pca', inputDim: dim, outputDim: k, power: options.power, samples: n, mean, projection, eigenvalues: Float32Array.from(values) };
}

function checkSamples(samples: Float32Array, n: number, dim: number): void {
  if (n < 1 || dim < 1 || samples.length !== n * dim) throw new Error(`whitening: ${samples.length} values is not ${n} samples of ${dim}`);
}

function meanOf(samples: Float32Array, n: number, dim: number): Float32Array {
  const sum = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) sum[j] = sum[j]! + samples[i * dim + j]!;
  return Float32Array.from(sum, (s) => s / n);
}

/** A short digest of the learned numbers: equal digests mean equal mappings. */
export function whiteningDigest(w: Whitening): string {
  const h = createHash('sha256').update(JSON.stringify([w.kind, w.inputDim, w.outputDim, w.power]));
  for (const a of [w.mean, w.projection]) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return h.digest('hex').slice(0, 12);
}

/**
 * The VectorTransform for a learned whitening: y = normalise(P (x − mean)) (pca) or normalise(x − mean) (center).
 * Its id (`pca-512-<digest>`, `center-<digest>`) changes whenever the numbers do, which rebuilds the indexes.
 */
export function whiteningTransform(w: Whitening): VectorTransform {
  const { inputDim, outputDim, mean, projection } = w;
  const id = w.kind === 'center' ? `center-${whiteningDigest(w)}` : `${w.kind}-${outputDim}-${whiteningDigest(w)}`;
  if (w.kind === 'center') {
    return {
      id,
      inputDim,
      outputDim,
      apply(raw) {
        checkInput(raw, inputDim, id);
        const out = new Float32Array(inputDim);
        for (let j = 0; j < inputDim; j++) out[j] = raw[j]! - mean[j]!;
        return l2NormalizeInPlace(out);
      },
    };
  }
  let projectionT: Float32Array | undefined;
  // P(x − mean) = Px − Pmean: the constant is computed once.
  const offset = new Float64Array(outputDim);
  for (let i = 0; i < outputDim; i++) {
    let s = 0;
    for (let j = 0; j < inputDim; j++) s += projection[i * inputDim + j]! * mean[j]!;
    offset[i] = s;
  }
  return {
    id,
    inputDim,
    outputDim,
    apply(raw) {
      checkInput(raw, inputDim, id);
      const out = new Float32Array(outputDim);
      for (let i = 0; i < outputDim; i++) {
        const row = i * inputDim;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        let j = 0;
        for (; j + 3 < inputDim; j += 4) {
          s0 += projection[row + j]! * raw[j]!;
          s1 += projection[row + j + 1]! * raw[j + 1]!;
          s2 += projection[row + j + 2]! * raw[j + 2]!;
          s3 += projection[row + j + 3]! * raw[j + 3]!;
        }
        for (; j < inputDim; j++) s0 += projection[row + j]! * raw[j]!;
        out[i] = s0 + s1 + s2 + s3 - offset[i]!;
      }
      return l2NormalizeInPlace(out);
    },
    async applyMany(raws, count) {
      if (raws.length !== count * inputDim) throw new Error(`transform ${id} takes ${count} × ${inputDim} values, got ${raws.length}`);
      // Pᵀ once per transform (the product wants the input dimension first); a session per call costs milliseconds.
      projectionT ??= transpose(projection, outputDim, inputDim);
      const matmul = await createMatMul();
      let y: Float32Array;
      try {
        y = await matmul(raws, count, inputDim, projectionT, outputDim);
      } finally {
        await matmul.close();
      }
      for (let r = 0; r < count; r++) {
        const row = y.subarray(r * outputDim, (r + 1) * outputDim);
        for (let i = 0; i < outputDim; i++) row[i] = row[i]! - offset[i]!;
        l2NormalizeInPlace(row);
      }
      return y;
    },
  };
}

function checkInput(raw: Float32Array, dim: number, id: string): void {
  if (raw.length !== dim) throw new Error(`transform ${id} takes ${dim} values, got ${raw.length}`);
}

const MAGIC = 'LKWHITE1';
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Header + float32 payload (mean, projection, eigenvalues), little-endian. */
export function encodeWhitening(w: Whitening, extra: Record<string, unknown> = {}): Buffer {
  const header = Buffer.from(
    JSON.stringify({ ...extra, kind: w.kind, inputDim: w.inputDim, outputDim: w.outputDim, power: w.power, samples: w.samples, lengths: [w.mean.length, w.projection.length, w.eigenvalues.length] }),
    'utf8',
  );
  const prefix = Buffer.alloc(MAGIC.length + 4);
  prefix.write(MAGIC, 0, 'ascii');
  prefix.writeUInt32LE(header.length, MAGIC.length);
  const body = Buffer.alloc(4 * (w.mean.length + w.projection.length + w.eigenvalues.length));
  let o = 0;
  for (const a of [w.mean, w.projection, w.eigenvalues]) for (const v of a) o = body.writeFloatLE(v, o);
  return Buffer.concat([prefix, header, body]);
}

/**
 * Reads what encodeWhitening wrote.
 * @returns the whitening and the header's other fields.
 * @throws Error naming what is wrong when the bytes are not a whitening file (truncated, other format).
 */
export function decodeWhitening(bytes: Buffer): { whitening: Whitening; header: Record<string, unknown> } {
  if (bytes.length < MAGIC.length + 4 || bytes.toString('ascii', 0, MAGIC.length) !== MAGIC) throw new Error('not a whitening file');
  const headerLength = bytes.readUInt32LE(MAGIC.length);
  const start = MAGIC.length + 4;
  const header = JSON.parse(bytes.toString('utf8', start, start + headerLength)) as Record<string, unknown>;
  const { kind, inputDim, outputDim, power, samples, lengths } = header as {
    kind: unknown;
    inputDim: unknown;
    outputDim: unknown;
    power: unknown;
    samples: unknown;
    lengths: unknown;
  };
  const ints = [inputDim, outputDim, samples];
  if ((kind !== 'center' && kind !== 'pca' && kind !== 'lda' && kind !== 'wcw') || !ints.every((v) => Number.isInteger(v) && (v as number) > 0) || typeof power !== 'number') {
    throw new Error('whitening file header is invalid');
  }
  if (!Array.isArray(lengths) || lengths.length !== 3 || !lengths.every((v) => Number.isInteger(v) && v >= 0)) throw new Error('whitening file header is invalid');
  const [nMean, nProj, nEig] = lengths as [number, number, number];
  const expectProj = kind === 'center' ? 0 : (outputDim as number) * (inputDim as number);
  if (nMean !== inputDim || nProj !== expectProj) throw new Error('whitening file sizes disagree with its header');
  const bodyStart = start + headerLength;
  if (bytes.length !== bodyStart + 4 * (nMean + nProj + nEig)) throw new Error('whitening file is truncated');
  let o = bodyStart;
  const read = (n: number) => {
    const out = new Float32Array(n);
    // One copy on little-endian machines (all that Node ships for): 1.4 M values one by one take ~100 ms.
    if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(bytes.subarray(o, o + 4 * n));
    else for (let i = 0; i < n; i++) out[i] = bytes.readFloatLE(o + 4 * i);
    o += 4 * n;
    return out;
  };
  const whitening: Whitening = {
    kind,
    inputDim: inputDim as number,
    outputDim: outputDim as number,
    power,
    samples: samples as number,
    mean: read(nMean),
    projection: read(nProj),
    eigenvalues: read(nEig),
  };
  return { whitening, header };
}
