/**
 * The dense linear algebra that learning a PCA-whitening needs: large float32 matrix products on ONNX Runtime
 * (MLAS is ~100× faster than a JavaScript loop: a 2816 × 3068 × 2816 product takes ~0.5 s instead of ~75 s on two
 * cores), and a symmetric eigensolver in float64 for the small matrices left after a randomized range finder.
 * Matrices are row-major.
 */
import ort from 'onnxruntime-node';
import type { InferenceSession } from 'onnxruntime-node';
import { GraphBuilder, int } from '../models/convert/graph-builder.js';
import { encodeModel } from '../models/convert/onnx-proto.js';

/** C = op(A) · B with op(A) = A (m × k) or, with `transposeA`, Aᵀ for A stored k × m; B is k × n. */
export interface MatMul {
  (a: Float32Array, m: number, k: number, b: Float32Array, n: number, transposeA?: boolean): Promise<Float32Array>;
  close(): Promise<void>;
}

function gemmModel(transA: boolean): Uint8Array {
  const g = new GraphBuilder(transA ? 'gemm_tn' : 'gemm_nn');
  g.input('a', 'float32', transA ? ['k', 'm'] : ['m', 'k']);
  g.input('b', 'float32', ['k', 'n']);
  g.node('Gemm', 'gemm', ['a', 'b'], 'c', [int('transA', transA ? 1 : 0)]);
  g.output('c', 'float32', ['m', 'n']);
  return encodeModel({ irVersion: 8, opsetVersion: 17, producerName: 'lookalike-linalg', producerVersion: '1', graph: g.build() });
}

/**
 * Opens the two tiny Gemm sessions (plain and transposed A) on the CPU.
 * @param threads intra-op threads (default: ONNX Runtime's choice).
 */
export async function createMatMul(threads?: number): Promise<MatMul> {
  const options: InferenceSession.SessionOptions = {
    executionProviders: ['cpu'],
    ...(threads === undefined ? {} : { intraOpNumThreads: threads, interOpNumThreads: 1 }),
  };
  const [nn, tn] = await Promise.all([ort.InferenceSession.create(gemmModel(false), options), ort.InferenceSession.create(gemmModel(true), options)]);
  const matmul = async (a: Float32Array, m: number, k: number, b: Float32Array, n: number, transposeA = false): Promise<Float32Array> => {
    if (a.length !== m * k || b.length !== k * n) throw new Error(`matmul: got ${a.length} and ${b.length} values for ${m}×${k} · ${k}×${n}`);
    const session = transposeA ? tn : nn;
    const out = await session.run({
      a: new ort.Tensor('float32', a, transposeA ? [k, m] : [m, k]),
      b: new ort.Tensor('float32', b, [k, n]),
    });
    const c = out['c'];
    if (c === undefined || !(c.data instanceof Float32Array)) throw new Error('matmul: no float32 result');
    return c.data;
  };
  return Object.assign(matmul, {
    async close() {
      await Promise.all([nn.release(), tn.release()]);
    },
  });
}

export interface SymmetricEigen {
  /** Eigenvalues, largest first. */
  values: Float64Array;
  /** Eigenvectors as the columns of an n × n row-major matrix, in the order of `values`. */
  vectors: Float64Array;
}

/**
 * All eigenpairs of a symmetric n × n matrix (Householder tridiagonalisation and the implicit QL method, after
 * JAMA's public-domain tred2/tql2). O(n³): meant for n up to ~1,000.
 * @throws Error when QL does not converge (never seen on a symmetric input).
 */
export function symmetricEigen(matrix: ArrayLike<number>, n: number): SymmetricEigen {
  if (matrix.length !== n * n) throw new Error(`symmetricEigen: ${matrix.length} values is not ${n}×${n}`);
  const V = Float64Array.from(matrix);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  tred2(V, d, e, n);
  tql2(V, d, e, n);
  // tql2 sorts ascending; return largest first.
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => d[b]! - d[a]!);
  const values = Float64Array.from(order, (i) => d[i]!);
  const vectors = new Float64Array(n * n);
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) vectors[r * n + c] = V[r * n + order[c]!]!;
  return { values, vectors };
}

function tred2(V: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) d[j] = V[(n - 1) * n + j]!;
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]!);
    if (scale === 0) {
      e[i] = d[i - 1]!;
      for (let j = 0; j < i; j++) {
        d[j] = V[(i - 1) * n + j]!;
        V[i * n + j] = 0;
        V[j * n + i] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] = d[k]! / scale;
        h += d[k]! * d[k]!;
      }
      let f = d[i - 1]!;
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        V[j * n + i] = f;
        g = e[j]! + V[j * n + j]! * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += V[k * n + j]! * d[k]!;
          e[k] = e[k]! + V[k * n + j]! * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] = e[j]! / h;
        f += e[j]! * d[j]!;
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] = e[j]! - hh * d[j]!;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        g = e[j]!;
        for (let k = j; k <= i - 1; k++) V[k * n + j] = V[k * n + j]! - (f * e[k]! + g * d[k]!);
        d[j] = V[(i - 1) * n + j]!;
        V[i * n + j] = 0;
      }
    }
    d[i] = h;
  }
  for (let i = 0; i < n - 1; i++) {
    V[(n - 1) * n + i] = V[i * n + i]!;
    V[i * n + i] = 1;
    const h = d[i + 1]!;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = V[k * n + i + 1]! / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += V[k * n + i + 1]! * V[k * n + j]!;
        for (let k = 0; k <= i; k++) V[k * n + j] = V[k * n + j]! - g * d[k]!;
      }
    }
    for (let k = 0; k <= i; k++) V[k * n + i + 1] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = V[(n - 1) * n + j]!;
    V[(n - 1) * n + j] = 0;
  }
  V[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
}

function tql2(V: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i]!;
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]!) + Math.abs(e[l]!));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]!) <= eps * tst1) break;
      m++;
    }
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 60) throw new Error('symmetricEigen: QL did not converge');
        let g = d[l]!;
        let p = (d[l + 1]! - g) / (2 * e[l]!);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l]! / (p + r);
        d[l + 1] = e[l]! * (p + r);
        const dl1 = d[l + 1]!;
        let h = g - d[l]!;
        for (let i = l + 2; i < n; i++) d[i] = d[i]! - h;
        f += h;
        p = d[m]!;
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1]!;
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i]!;
          h = c * p;
          r = Math.hypot(p, e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
          for (let k = 0; k < n; k++) {
            h = V[k * n + i + 1]!;
            V[k * n + i + 1] = s * V[k * n + i]! + c * h;
            V[k * n + i] = c * V[k * n + i]! - s * h;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]!) > eps * tst1);
    }
    d[l] = d[l]! + f;
    e[l] = 0;
  }
}

/** Transposes a rows × cols row-major matrix. */
export function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c]!;
  return out;
}

/**
 * The upper-triangular R of the Cholesky factorisation G = RᵀR of a symmetric positive definite l × l matrix
 * (float64), with a diagonal shift added when rounding makes G semi-definite (dependent columns).
 */
function choleskyUpper(g: Float64Array, l: number): Float64Array {
  let trace = 0;
  for (let i = 0; i < l; i++) trace += g[i * l + i]!;
  for (let attempt = 0; ; attempt++) {
    const shift = attempt === 0 ? 0 : (trace / l) * 1e-12 * 100 ** attempt;
    const r = new Float64Array(l * l);
    let ok = true;
    for (let j = 0; j < l && ok; j++) {
      let diag = g[j * l + j]! + shift;
      for (let k = 0; k < j; k++) diag -= r[k * l + j]! * r[k * l + j]!;
      if (!(diag > 0)) {
        ok = false;
        break;
      }
      const rjj = Math.sqrt(diag);
      r[j * l + j] = rjj;
      for (let i = j + 1; i < l; i++) {
        let v = g[j * l + i]!;
        for (let k = 0; k < j; k++) v -= r[k * l + j]! * r[k * l + i]!;
        r[j * l + i] = v / rjj;
      }
    }
    if (ok) return r;
    if (attempt > 8) throw new Error('orthonormalize: the Gram matrix is not positive definite');
  }
}

/** The inverse of an upper-triangular l × l matrix, as float32 (it is applied on ONNX Runtime). */
function invertUpper(r: Float64Array, l: number): Float32Array {
  const inv = new Float64Array(l * l);
  for (let j = l - 1; j >= 0; j--) {
    inv[j * l + j] = 1 / r[j * l + j]!;
    for (let i = j - 1; i >= 0; i--) {
      let sum = 0;
      for (let k = i + 1; k <= j; k++) sum += r[i * l + k]! * inv[k * l + j]!;
      inv[i * l + j] = -sum / r[i * l + i]!;
    }
  }
  return Float32Array.from(inv);
}

/**
 * ZᵀZ of a d × l matrix in float64 (the first CholeskyQR pass must not lose the small directions to float32).
 * Four columns against one at a time: each load of column i serves four sums, which roughly halves the time of this
 * loop (it dominated learning a whitening); every sum still runs over r in order, so the result is unchanged.
 */
function gram64(z: Float32Array, d: number, l: number): Float64Array {
  const zt = transpose(z, d, l);
  const g = new Float64Array(l * l);
  for (let i = 0; i < l; i++) {
    const a = i * d;
    let j = i;
    for (; j + 3 < l; j += 4) {
      const b0 = j * d;
      const b1 = b0 + d;
      const b2 = b1 + d;
      const b3 = b2 + d;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let r = 0; r < d; r++) {
        const x = zt[a + r]!;
        s0 += x * zt[b0 + r]!;
        s1 += x * zt[b1 + r]!;
        s2 += x * zt[b2 + r]!;
        s3 += x * zt[b3 + r]!;
      }
      g[i * l + j] = g[j * l + i] = s0;
      g[i * l + j + 1] = g[(j + 1) * l + i] = s1;
      g[i * l + j + 2] = g[(j + 2) * l + i] = s2;
      g[i * l + j + 3] = g[(j + 3) * l + i] = s3;
    }
    for (; j < l; j++) {
      const b = j * d;
      let s = 0;
      for (let r = 0; r < d; r++) s += zt[a + r]! * zt[b + r]!;
      g[i * l + j] = s;
      g[j * l + i] = s;
    }
  }
  return g;
}

/**
 * Orthonormal columns spanning those of a d × l matrix: CholeskyQR2 (Fukaya et al. 2014), the first Gram matrix in
 * float64, the products on ONNX Runtime. Columns that are numerically dependent come out as (harmless) noise.
 */
export async function orthonormalizeColumns(z: Float32Array, d: number, l: number, matmul: MatMul): Promise<Float32Array> {
  const r1 = choleskyUpper(gram64(z, d, l), l);
  const q1 = await matmul(z, d, l, invertUpper(r1, l), l);
  const g2 = await matmul(q1, l, d, q1, l, true);
  const r2 = choleskyUpper(Float64Array.from(g2), l);
  return matmul(q1, d, l, invertUpper(r2, l), l);
}

export interface TopEigenOptions {
  /** Extra columns of the range finder beyond k (default 32). */
  oversample?: number;
  /** Power iterations (default 4): each multiplies by the matrix once more, sharpening the top of the spectrum. */
  iterations?: number;
  /** Seeds the random start (default 1): the result is deterministic. */
  seed?: number;
}

/**
 * The `k` largest eigenpairs of a symmetric positive semi-definite d × d matrix: exactly (dense solver) when d is
 * small, else by randomized subspace iteration (Halko, Martinsson & Tropp 2011) with the products on `matmul`.
 * @returns values (largest first, length k) and vectors as the rows of a k × d matrix.
 */
export async function topEigenpairs(
  matrix: Float32Array,
  d: number,
  k: number,
  matmul: MatMul,
  options: TopEigenOptions = {},
): Promise<{ values: Float64Array; vectors: Float32Array }> {
  if (k < 1 || k > d) throw new Error(`topEigenpairs: k = ${k} for a ${d}×${d} matrix`);
  const l = Math.min(d, k + (options.oversample ?? 32));
  if (2 * l >= d || d <= 256) {
    const full = symmetricEigen(matrix, d);
    const vectors = new Float32Array(k * d);
    for (let i = 0; i < k; i++) for (let r = 0; r < d; r++) vectors[i * d + r] = full.vectors[r * d + i]!;
    return { values: full.values.slice(0, k), vectors };
  }
  const rand = mulberry32(options.seed ?? 1);
  let q = await orthonormalizeColumns(new Float32Array(d * l).map(() => rand() - 0.5), d, l, matmul);
  for (let it = 0; it < (options.iterations ?? 4); it++) {
    q = await orthonormalizeColumns(await matmul(matrix, d, d, q, l), d, l, matmul);
  }
  // Rayleigh–Ritz: the small matrix Qᵀ A Q has the same top eigenvalues; its eigenvectors rotate Q onto them.
  const aq = await matmul(matrix, d, d, q, l);
  const small = await matmul(q, l, d, aq, l, true);
  const sym = new Float64Array(l * l);
  for (let i = 0; i < l; i++) for (let j = 0; j < l; j++) sym[i * l + j] = (small[i * l + j]! + small[j * l + i]!) / 2;
  const eig = symmetricEigen(sym, l);
  const u = new Float32Array(l * k);
  for (let r = 0; r < l; r++) for (let c = 0; c < k; c++) u[r * k + c] = eig.vectors[r * l + c]!;
  const v = await matmul(q, d, l, u, k); // d × k
  return { values: eig.values.slice(0, k), vectors: transpose(v, d, k) };
}

/** mulberry32: a small deterministic PRNG. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
