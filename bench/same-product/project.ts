/**
 * Linear maps learned from the catalog's own vectors: the app's PCA-whitening (unsupervised, as a data folder
 * learns it), and a supervised one, within-class whitening then LDA (Mika et al.; the "learned whitening" of
 * Radenović et al. 2018): directions along which photos of one product vary (lighting, viewpoint, shelf clutter)
 * are shrunk, then the directions that separate products are kept. With no labels, each photo's own augmented
 * views (mirror, zoom-out, the object crop) stand in for "photos of one product".
 */
import { fitPcaWhitening, whiteningTransform } from '../../src/core/vectors/whitening.js';
import { createMatMul, symmetricEigen, transpose, type MatMul } from '../../src/core/base/linalg.js';
import { l2 } from './pooling.js';

export interface Projection {
  name: string;
  outputDim: number;
  apply(x: Float32Array): Float32Array;
  /** y = normalise(A x − offset) with A outputDim × inputDim row-major; absent for the identity. */
  linear?: { matrix: Float32Array; offset: Float32Array };
}

/** Applies a projection to many vectors at once (one Gemm on ONNX Runtime). */
export async function applyMany(proj: Projection, rows: readonly Float32Array[]): Promise<Float32Array[]> {
  if (rows.length === 0) return [];
  if (proj.linear === undefined) return rows.map((r) => proj.apply(r));
  const D = rows[0]!.length;
  const k = proj.outputDim;
  const at = transpose(proj.linear.matrix, k, D);
  const y = await (await matmul())(stack(rows), rows.length, D, at, k);
  const off = proj.linear.offset;
  return rows.map((_, i) => {
    const v = y.slice(i * k, (i + 1) * k);
    for (let j = 0; j < k; j++) v[j] = v[j]! - off[j]!;
    return l2(v);
  });
}

/** All cosine similarities of unit rows: nq × ng, row-major. */
export async function similarities(q: readonly Float32Array[], g: readonly Float32Array[]): Promise<Float32Array> {
  const d = q[0]!.length;
  return (await matmul())(stack(q), q.length, d, transpose(stack(g), g.length, d), g.length);
}

let shared: MatMul | undefined;
async function matmul(): Promise<MatMul> {
  return (shared ??= await createMatMul(2));
}

export async function closeMatMul(): Promise<void> {
  await shared?.close();
  shared = undefined;
}

function stack(rows: readonly Float32Array[]): Float32Array {
  const d = rows[0]!.length;
  const out = new Float32Array(rows.length * d);
  rows.forEach((r, i) => out.set(r, i * d));
  return out;
}

export const identity = (dim: number): Projection => ({ name: 'raw', outputDim: dim, apply: (x) => x });

/** The app's whitening: centre, top `dim` principal directions, each scaled by λ^−power (0.25 in the app). */
export async function fitAppWhitening(samples: readonly Float32Array[], dim = 512, power = 0.25): Promise<Projection> {
  const d = samples[0]!.length;
  const k = Math.min(dim, Math.floor(samples.length / 4), d);
  const w = await fitPcaWhitening(stack(samples), samples.length, d, { outputDim: k, power, matmul: await matmul() });
  const t = whiteningTransform(w);
  const offset = new Float32Array(k);
  for (let i = 0; i < k; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += w.projection[i * d + j]! * w.mean[j]!;
    offset[i] = s;
  }
  return { name: `pca${k}`, outputDim: k, apply: (x) => t.apply(x), linear: { matrix: w.projection, offset } };
}

export interface LdaOptions {
  /** PCA dimensions before the within-class statistics (default 512). */
  pcaDim?: number;
  /** Output dimensions: the top between-class directions after within-class whitening (default 80). */
  k?: number;
  /** Shrinkage of the within-class covariance towards its mean eigenvalue (default 0.1). */
  shrink?: number;
  /** Skip the between-class step: within-class whitening only, all pcaDim directions kept. */
  whitenOnly?: boolean;
}

/**
 * Within-class whitening + LDA from labelled samples (`labels[i]` groups sample i with others of its product).
 * Returns x → normalise(Vᵀ W P (x − μ)).
 */
export async function fitLda(samples: readonly Float32Array[], labels: readonly number[], options: LdaOptions = {}): Promise<Projection> {
  const D = samples[0]!.length;
  const n = samples.length;
  const p = Math.min(options.pcaDim ?? 512, Math.floor(n / 2), D);
  const pca = await fitPcaWhitening(stack(samples), n, D, { outputDim: p, power: 0, matmul: await matmul() });
  const P = pca.projection; // p × D, unit rows
  const mu = pca.mean;
  const project = (x: Float32Array): Float64Array => {
    const y = new Float64Array(p);
    for (let i = 0; i < p; i++) {
      let s = 0;
      const row = i * D;
      for (let j = 0; j < D; j++) s += P[row + j]! * (x[j]! - mu[j]!);
      y[i] = s;
    }
    return y;
  };
  const ys = samples.map(project);
  const classes = new Map<number, number[]>();
  labels.forEach((l, i) => {
    const list = classes.get(l);
    if (list) list.push(i);
    else classes.set(l, [i]);
  });
  const means = new Map<number, Float64Array>();
  for (const [l, idx] of classes) {
    const m = new Float64Array(p);
    for (const i of idx) for (let j = 0; j < p; j++) m[j] = m[j]! + ys[i]![j]!;
    for (let j = 0; j < p; j++) m[j] = m[j]! / idx.length;
    means.set(l, m);
  }
  const sw = new Float64Array(p * p);
  const diff = new Float64Array(p);
  ys.forEach((y, i) => {
    const m = means.get(labels[i]!)!;
    for (let j = 0; j < p; j++) diff[j] = y[j]! - m[j]!;
    for (let a = 0; a < p; a++) {
      const da = diff[a]!;
      if (da === 0) continue;
      const row = a * p;
      for (let b = a; b < p; b++) sw[row + b] = sw[row + b]! + da * diff[b]!;
    }
  });
  for (let a = 0; a < p; a++) for (let b = a; b < p; b++) sw[b * p + a] = sw[a * p + b] = sw[a * p + b]! / n;
  let trace = 0;
  for (let a = 0; a < p; a++) trace += sw[a * p + a]!;
  const alpha = options.shrink ?? 0.1;
  for (let a = 0; a < p * p; a++) sw[a] = sw[a]! * (1 - alpha);
  for (let a = 0; a < p; a++) sw[a * p + a] = sw[a * p + a]! + (alpha * trace) / p;
  const ew = symmetricEigen(sw, p);
  // W = Λ^−½ Uᵀ (p × p)
  const W = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    const s = 1 / Math.sqrt(Math.max(ew.values[i]!, 1e-12));
    for (let j = 0; j < p; j++) W[i * p + j] = ew.vectors[j * p + i]! * s;
  }
  let M: Float64Array; // final k × p on y
  let k: number;
  if (options.whitenOnly) {
    M = W;
    k = p;
  } else {
    const zm = new Map<number, Float64Array>();
    const all = new Float64Array(p);
    for (const [l, m] of means) {
      const z = new Float64Array(p);
      for (let i = 0; i < p; i++) {
        let s = 0;
        for (let j = 0; j < p; j++) s += W[i * p + j]! * m[j]!;
        z[i] = s;
      }
      zm.set(l, z);
      const w = classes.get(l)!.length;
      for (let i = 0; i < p; i++) all[i] = all[i]! + (w * z[i]!) / n;
    }
    const sb = new Float64Array(p * p);
    for (const [l, z] of zm) {
      const w = classes.get(l)!.length / n;
      for (let a = 0; a < p; a++) {
        const da = z[a]! - all[a]!;
        for (let b = 0; b < p; b++) sb[a * p + b] = sb[a * p + b]! + w * da * (z[b]! - all[b]!);
      }
    }
    const eb = symmetricEigen(sb, p);
    k = Math.min(options.k ?? 80, p, Math.max(1, classes.size - 1));
    M = new Float64Array(k * p);
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < p; j++) {
        let s = 0;
        for (let t = 0; t < p; t++) s += eb.vectors[t * p + i]! * W[t * p + j]!;
        M[i * p + j] = s;
      }
    }
  }
  // Fold M · P into one k × D matrix and the mean into an offset.
  const A = new Float32Array(k * D);
  for (let i = 0; i < k; i++) {
    for (let t = 0; t < p; t++) {
      const m = M[i * p + t]!;
      if (m === 0) continue;
      const row = t * D;
      for (let j = 0; j < D; j++) A[i * D + j] = A[i * D + j]! + m * P[row + j]!;
    }
  }
  const offset = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let s = 0;
    for (let j = 0; j < D; j++) s += A[i * D + j]! * mu[j]!;
    offset[i] = s;
  }
  return {
    linear: { matrix: A, offset: Float32Array.from(offset) },
    name: options.whitenOnly ? `wcw${p}` : `lda${k}`,
    outputDim: k,
    apply(x) {
      const out = new Float32Array(k);
      for (let i = 0; i < k; i++) {
        let s = -offset[i]!;
        const row = i * D;
        for (let j = 0; j < D; j++) s += A[row + j]! * x[j]!;
        out[i] = s;
      }
      return l2(out);
    },
  };
}

/** Signed square root then unit length: what the embedder does to a view-average, applied to one view. */
export function powerNorm(v: Float32Array): Float32Array {
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = Math.sign(v[i]!) * Math.sqrt(Math.abs(v[i]!));
  return l2(out);
}
