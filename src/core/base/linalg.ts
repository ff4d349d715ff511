/**
 * The dense linear algebra that learning a PCA-whitening needs: large float32 matrix products on ONNX Runtime
 * (MLAS is ~100× faster than a JavaScript loop: a 2816 × 3068 × 2816 product takes ~0.5 s instead of ~75 s on two
 * cores), float64 Gram matrices there too (its double Gemm: 11–40 ms for 2816 × 544 against ~180 ms in JavaScript),
 * and a symmetric eigensolver in float64 for the small matrices left after a randomized range finder.
 * Matrices are row-major.
 */
import ort from './onnx-runtime.js';
import type { InferenceSession } from './onnx-runtime.js';
import { GraphBuilder, int } from './onnx/graph-builder.js';
import { encodeModel } from './onnx/onnx-proto.js';

/** C = op(A) · B with op(A) = A (m × k) or, with `transposeA`, Aᵀ for A stored k × m; B is k × n. */
export interface MatMul {
  (a: Float32Array, m: number, k: number, b: Float32Array, n: number, transposeA?: boolean): Promise<Float32Array>;
  /** ZᵀZ of a d × l matrix, converted to and summed in float64. */
  gram64(z: Float32Array, d: number, l: number): Promise<Float64Array>;
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

function gram64Model(): Uint8Array {
  const g = new GraphBuilder('gram64');
  g.input('z', 'float32', ['d', 'l']);
  g.node('Cast', 'cast', ['z'], 'z64', [int('to', 11)]);
  g.node('Gemm', 'gemm', ['z64', 'z64'], 'g', [int('transA', 1)]);
  g.output('g', 'float64', ['l', 'l']);
  return encodeModel({ irVersion: 8, opsetVersion: 17, producerName: 'lookalike-linalg', producerVersion: '1', graph: g.build() });
}

/**
 * Opens the three tiny Gemm sessions (plain and transposed A in float32, the float64 Gram) on the CPU.
 * @param threads intra-op threads (default: ONNX Runtime's choice).
 */
export async function createMatMul(threads?: number): Promise<MatMul> {
  const options: InferenceSession.SessionOptions = {
    executionProviders: ['cpu'],
    ...(threads === undefined ? {} : { intraOpNumThreads: threads, interOpNumThreads: 1 }),
  };
  const [nn, tn, gram] = await Promise.all([
    ort.InferenceSession.create(gemmModel(false), options),
    ort.InferenceSession.create(gemmModel(true), options),
    ort.InferenceSession.create(gram64Model(), options),
  ]);
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
  const gram64 = async (z: Float32Array, d: number, l: number): Promise<Float64Array> => {
    if (z.length !== d * l) throw new Error(`gram64: got ${z.length} values for ${d}×${l}`);
    const out = await gram.run({ z: new ort.Tensor('float32', z, [d, l]) });
    const g = out['g'];
    if (g === undefined || !(g.data instanceof Float64Array)) throw new Error('gram64: no float64 result');
    return g.data;
  };
  return Object.assign(matmul, {
    gram64,
    async close() {
      await Promise.all([nn.release(), tn.release(), gram.release()]);
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
 * JAMA's V[r][c] is held transposed here, as W[c][r]: every inner loop of both steps walks down a column of V, which
 * in W is a row, read in order (the same arithmetic in the same order, so bit-identical results; 458 → 397 ms at
 * n = 544).
 * @throws Error when QL does not converge (never seen on a symmetric input).
 */
export function symmetricEigen(matrix: ArrayLike<number>, n: number): SymmetricEigen {
  if (matrix.length !== n * n) throw new Error(`symmetricEigen: ${matrix.length} values is not ${n}×${n}`);
  const W = new Float64Array(n * n);
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) W[c * n + r] = matrix[r * n + c]!;
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  tred2(W, d, e, n);
  tql2(W, d, e, n);
  // tql2 sorts ascending; return largest first.
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => d[b]! - d[a]!);
  const values = Float64Array.from(order, (i) => d[i]!);
  const vectors = new Float64Array(n * n);
  for (let c = 0; c < n; c++) {
    const row = order[c]! * n;
    for (let r = 0; r < n; r++) vectors[r * n + c] = W[row + r]!;
  }
  return { values, vectors };
}

function tred2(W: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) d[j] = W[j * n + n - 1]!;
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]!);
    if (scale === 0) {
      e[i] = d[i - 1]!;
      for (let j = 0; j < i; j++) {
        d[j] = W[j * n + i - 1]!;
        W[j * n + i] = 0;
        W[i * n + j] = 0;
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
        W[i * n + j] = f;
        g = e[j]! + W[j * n + j]! * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += W[j * n + k]! * d[k]!;
          e[k] = e[k]! + W[j * n + k]! * f;
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
        for (let k = j; k <= i - 1; k++) W[j * n + k] = W[j * n + k]! - (f * e[k]! + g * d[k]!);
        d[j] = W[j * n + i - 1]!;
        W[j * n + i] = 0;
      }
    }
    d[i] = h;
  }
  for (let i = 0; i < n - 1; i++) {
    W[i * n + n - 1] = W[i * n + i]!;
    W[i * n + i] = 1;
    const h = d[i + 1]!;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = W[(i + 1) * n + k]! / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += W[(i + 1) * n + k]! * W[j * n + k]!;
        for (let k = 0; k <= i; k++) W[j * n + k] = W[j * n + k]! - g * d[k]!;
      }
    }
    for (let k = 0; k <= i; k++) W[(i + 1) * n + k] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = W[j * n + n - 1]!;
    W[j * n + n - 1] = 0;
  }
  W[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
}

function tql2(W: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
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
            h = W[(i + 1) * n + k]!;
            W[(i + 1) * n + k] = s * W[i * n + k]! + c * h;
            W[i * n + k] = c * W[i * n + k]! - s * h;
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

/** Transposes a rows × cols row-major matrix, into a new array of the same kind. */
export function transpose<T extends Float32Array | Float64Array>(a: T, rows: number, cols: number): T {
  const out = (a instanceof Float64Array ? new Float64Array(a.length) : new Float32Array(a.length)) as T;
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c]!;
  return out;
}

/**
 * Σ a[i + t]·b[j + t] for t < count, in four interleaved partial sums: one running sum waits on the previous add at
 * every step, which held the factorisations below to ~1 multiply-add per nanosecond.
 */
function dot64(a: Float64Array, i: number, b: Float64Array, j: number, count: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let t = 0;
  for (; t + 3 < count; t += 4) {
    s0 += a[i + t]! * b[j + t]!;
    s1 += a[i + t + 1]! * b[j + t + 1]!;
    s2 += a[i + t + 2]! * b[j + t + 2]!;
    s3 += a[i + t + 3]! * b[j + t + 3]!;
  }
  for (; t < count; t++) s0 += a[i + t]! * b[j + t]!;
  return s0 + s1 + (s2 + s3);
}

/**
 * The upper-triangular R of the Cholesky factorisation G = RᵀR of a symmetric positive definite l × l matrix
 * (float64, its upper triangle is read), with a diagonal shift added when rounding makes G semi-definite (dependent
 * columns). Built as L = Rᵀ, row by row, so that each sum runs along two rows of L instead of down two columns of R.
 */
function choleskyUpper(g: Float64Array, l: number): Float64Array {
  let trace = 0;
  for (let i = 0; i < l; i++) trace += g[i * l + i]!;
  for (let attempt = 0; ; attempt++) {
    const shift = attempt === 0 ? 0 : (trace / l) * 1e-12 * 100 ** attempt;
    const lower = new Float64Array(l * l);
    let ok = true;
    for (let j = 0; j < l && ok; j++) {
      const rowJ = j * l;
      const diag = g[rowJ + j]! + shift - dot64(lower, rowJ, lower, rowJ, j);
      if (!(diag > 0)) {
        ok = false;
        break;
      }
      const rjj = Math.sqrt(diag);
      lower[rowJ + j] = rjj;
      for (let i = j + 1; i < l; i++) {
        const rowI = i * l;
        lower[rowI + j] = (g[rowJ + i]! - dot64(lower, rowJ, lower, rowI, j)) / rjj;
      }
    }
    if (ok) return transpose(lower, l, l);
    if (attempt > 8) throw new Error('orthonormalize: the Gram matrix is not positive definite');
  }
}

/**
 * The inverse of an upper-triangular l × l matrix, as float32 (it is applied on ONNX Runtime). Column j of the
 * inverse is built as row j of its transpose, so that each sum reads two rows in order.
 */
function invertUpper(r: Float64Array, l: number): Float32Array {
  const invT = new Float64Array(l * l);
  for (let j = l - 1; j >= 0; j--) {
    const col = j * l;
    invT[col + j] = 1 / r[j * l + j]!;
    for (let i = j - 1; i >= 0; i--) {
      const row = i * l;
      invT[col + i] = -dot64(r, row + i + 1, invT, col + i + 1, j - i) / r[row + i]!;
    }
  }
  return Float32Array.from(transpose(invT, l, l));
}

/**
 * Orthonormal columns spanning those of a d × l matrix: CholeskyQR2 (Fukaya et al. 2014), the products on ONNX
 * Runtime. The first Gram matrix is summed in float64: in float32 the first pass would lose the small directions.
 * Columns that are numerically dependent come out as (harmless) noise.
 */
export async function orthonormalizeColumns(z: Float32Array, d: number, l: number, matmul: MatMul): Promise<Float32Array> {
  const r1 = choleskyUpper(await matmul.gram64(z, d, l), l);
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
