/**
 * The dense linear algebra of src/core/base/linalg.ts against ml-matrix 6, on the same matrices in the same run:
 *
 * - symmetric eigen-decomposition at the sizes the app solves densely (512 and 544: the Rayleigh–Ritz matrix of a
 *   512-dimension PCA with 32 extra columns; 1152: the fast model's covariance): ours (JAMA's tred2/tql2 on flat
 *   Float64Arrays) against ml-matrix's EigenvalueDecomposition (the same JAMA algorithm on its Matrix class), on a
 *   matrix Q·diag(λ)·Qᵀ of known spectrum (λ decaying as GeM feature covariances do);
 * - the top 512 eigenpairs of a 2816 × 2816 covariance (the accurate model's): ours (randomized subspace iteration,
 *   its products on ONNX Runtime) against ml-matrix's full decomposition (the only way it has), --full-2816 only:
 *   it takes minutes;
 * - an orthonormal basis of a 2816 × 544 block (the range finder's step): CholeskyQR2 with its products on ONNX
 *   Runtime against ml-matrix's Householder QR.
 *
 * Errors: eigenvalues against the known λ (max |Δλ| / λ₁), residual ‖AV − VΛ‖_F / ‖A‖_F, orthogonality
 * max |VᵀV − I|. Times are medians of --runs.
 *
 * ml-matrix is not a dependency (the app keeps its own kernels): install it anywhere and name the folder, e.g.
 *
 *   mkdir /tmp/ml && cd /tmp/ml && npm init -y && npm install ml-matrix@6.15.1
 *   npm run build:tools && node build/bench/linalg.js --ml-matrix /tmp/ml [--runs 3] [--full-2816]
 *
 * About 4 minutes of CPU on two cores (ml-matrix's QR and its 1152 decomposition are most of it).
 */
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createMatMul, mulberry32, orthonormalizeColumns, symmetricEigen, topEigenpairs } from '../src/core/base/linalg.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    sizes: { type: 'string', default: '512,544,1152' },
    'dense-only': { type: 'boolean', default: false },
    'full-2816': { type: 'boolean', default: false },
    'ml-matrix': { type: 'string', default: process.cwd() },
  },
});

/** The part of ml-matrix's API used here. */
interface MlMatrix {
  get(row: number, column: number): number;
}
interface MlMatrixModule {
  Matrix: new (rows: number[][]) => MlMatrix;
  EigenvalueDecomposition: new (m: MlMatrix, options: { assumeSymmetric: boolean }) => { realEigenvalues: number[]; eigenvectorMatrix: MlMatrix };
  QrDecomposition: new (m: MlMatrix) => { orthogonalMatrix: MlMatrix };
}

function loadMlMatrix(dir: string): MlMatrixModule {
  try {
    return createRequire(join(dir, 'package.json'))('ml-matrix') as MlMatrixModule;
  } catch (err) {
    throw new Error(`ml-matrix is not installed under ${dir}; see the command at the top of bench/linalg.ts`, { cause: err });
  }
}

const { Matrix, EigenvalueDecomposition, QrDecomposition } = loadMlMatrix(args['ml-matrix']);
const runs = Number(args.runs);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Median wall and CPU time of `times` calls after one warm-up; CPU time, unlike wall, barely moves with load. */
function timed<T>(f: () => T, times = runs): { value: T; ms: number; cpuMs: number } {
  let value = f();
  const ms: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < times; i++) {
    const t = performance.now();
    const c = process.cpuUsage();
    value = f();
    const used = process.cpuUsage(c);
    cpu.push((used.user + used.system) / 1000);
    ms.push(performance.now() - t);
  }
  return { value, ms: Math.round(median(ms)), cpuMs: Math.round(median(cpu)) };
}

/** A random orthogonal n × n matrix (row-major): Gram–Schmidt of a Gaussian-ish matrix, twice for accuracy. */
function randomOrthogonal(n: number, seed: number): Float64Array {
  const rand = mulberry32(seed);
  const q = Float64Array.from({ length: n * n }, () => rand() + rand() + rand() - 1.5);
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < n; j++) {
      for (let i = 0; i < j; i++) {
        let dot = 0;
        for (let r = 0; r < n; r++) dot += q[r * n + i]! * q[r * n + j]!;
        for (let r = 0; r < n; r++) q[r * n + j]! -= dot * q[r * n + i]!;
      }
      let norm = 0;
      for (let r = 0; r < n; r++) norm += q[r * n + j]! ** 2;
      norm = Math.sqrt(norm);
      for (let r = 0; r < n; r++) q[r * n + j]! /= norm;
    }
  }
  return q;
}

/**
 * A = Q diag(λ) Qᵀ with λ_i = (i + 1)^−1.2, largest first: a covariance-like spectrum, known exactly. Q is a full
 * random orthogonal matrix up to n = 1152; at 2816 (where forming that takes minutes) a product of 8 random
 * Householder reflections, applied in O(n²) each.
 */
function knownSpectrum(n: number): { a: Float64Array; lambda: Float64Array } {
  const lambda = Float64Array.from({ length: n }, (_, i) => (i + 1) ** -1.2);
  const a = new Float64Array(n * n);
  if (n <= 1152) {
    const q = randomOrthogonal(n, n);
    const ql = new Float64Array(n * n);
    for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) ql[r * n + c] = q[r * n + c]! * lambda[c]!;
    for (let r = 0; r < n; r++) {
      for (let c = r; c < n; c++) {
        let s = 0;
        for (let t = 0; t < n; t++) s += ql[r * n + t]! * q[c * n + t]!;
        a[r * n + c] = s;
        a[c * n + r] = s;
      }
    }
    return { a, lambda };
  }
  for (let i = 0; i < n; i++) a[i * n + i] = lambda[i]!;
  const rand = mulberry32(n);
  for (let h = 0; h < 8; h++) {
    const v = Float64Array.from({ length: n }, () => rand() - 0.5);
    const norm = Math.hypot(...v);
    for (let i = 0; i < n; i++) v[i]! /= norm;
    // H A H with H = I − 2vvᵀ: A − 2v(Av)ᵀ − 2(Av)vᵀ + 4(vᵀAv)vvᵀ (A symmetric).
    const av = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      let s = 0;
      for (let c = 0; c < n; c++) s += a[r * n + c]! * v[c]!;
      av[r] = s;
    }
    let vav = 0;
    for (let i = 0; i < n; i++) vav += v[i]! * av[i]!;
    for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) a[r * n + c]! += -2 * v[r]! * av[c]! - 2 * av[r]! * v[c]! + 4 * vav * v[r]! * v[c]!;
  }
  return { a, lambda };
}

/** Error measures of k eigenpairs (vectors as the columns of an n × k row-major matrix). */
function errors(a: Float64Array, n: number, values: ArrayLike<number>, vectors: (r: number, c: number) => number, k: number, lambda: Float64Array) {
  let valueErr = 0;
  for (let i = 0; i < k; i++) valueErr = Math.max(valueErr, Math.abs(values[i]! - lambda[i]!));
  let res = 0;
  let norm = 0;
  for (let i = 0; i < n * n; i++) norm += a[i]! ** 2;
  const v = new Float64Array(n * k);
  for (let r = 0; r < n; r++) for (let c = 0; c < k; c++) v[r * k + c] = vectors(r, c);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let t = 0; t < n; t++) s += a[r * n + t]! * v[t * k + c]!;
      res += (s - v[r * k + c]! * values[c]!) ** 2;
    }
  }
  let orth = 0;
  for (let i = 0; i < k; i++) {
    for (let j = i; j < k; j++) {
      let s = 0;
      for (let r = 0; r < n; r++) s += v[r * k + i]! * v[r * k + j]!;
      orth = Math.max(orth, Math.abs(s - (i === j ? 1 : 0)));
    }
  }
  const e = (x: number) => Number(x.toExponential(2));
  return { eigenvalueError: e(valueErr / lambda[0]!), residual: e(Math.sqrt(res / norm)), orthogonality: e(orth) };
}

function toMatrix(a: Float64Array, n: number): MlMatrix {
  return new Matrix(Array.from({ length: n }, (_, r) => Array.from(a.subarray(r * n, (r + 1) * n))));
}

function mlEigen(a: Float64Array, n: number) {
  const evd = new EigenvalueDecomposition(toMatrix(a, n), { assumeSymmetric: true });
  // ml-matrix returns ascending order; compare largest first as ours does.
  const order = evd.realEigenvalues.map((v, i) => [v, i] as const).sort((x, y) => y[0] - x[0]);
  const V = evd.eigenvectorMatrix;
  return { values: order.map(([v]) => v), vector: (r: number, c: number) => V.get(r, order[c]![1]) };
}

async function main(): Promise<void> {
  const matmul = await createMatMul();
  try {
    for (const n of args.sizes.split(',').map(Number)) {
      const { a, lambda } = knownSpectrum(n);
      const ours = timed(() => symmetricEigen(a, n), n > 600 ? 1 : runs);
      const lib = timed(() => mlEigen(a, n), n > 600 ? 1 : runs);
      // Conversion to ml-matrix's Matrix is part of using it from the app's flat arrays; report it apart too.
      const convert = timed(() => toMatrix(a, n));
      console.log(JSON.stringify({ kernel: 'symmetric eigen (all pairs)', n, lookalike: { ms: ours.ms, cpuMs: ours.cpuMs, ...errors(a, n, ours.value.values, (r, c) => ours.value.vectors[r * n + c]!, n, lambda) }, mlMatrix: { ms: lib.ms, cpuMs: lib.cpuMs, toMatrixMs: convert.ms, ...errors(a, n, lib.value.values, lib.value.vector, n, lambda) } }));
    }

    if (args['dense-only']) return;
    {
      // The range finder's step: an orthonormal basis of a 2816 × 544 block (CholeskyQR2 on ONNX Runtime against
      // ml-matrix's Householder QR).
      const d = 2816;
      const l = 544;
      const rand = mulberry32(7);
      const z = Float32Array.from({ length: d * l }, () => rand() - 0.5);
      let t = performance.now();
      const q = await orthonormalizeColumns(z, d, l, matmul);
      const oursMs = Math.round(performance.now() - t);
      t = performance.now();
      const zm = new Matrix(Array.from({ length: d }, (_, r) => Array.from(z.subarray(r * l, (r + 1) * l))));
      const qr = new QrDecomposition(zm).orthogonalMatrix;
      const libMs = Math.round(performance.now() - t);
      console.log(JSON.stringify({ kernel: 'orthonormal columns', n: `${d}×${l}`, lookalike: { ms: oursMs, ...basisErrors(z, d, l, (r, c) => q[r * l + c]!) }, mlMatrix: { ms: libMs, ...basisErrors(z, d, l, (r, c) => qr.get(r, c)) } }));
    }

    const d = 2816;
    const k = 512;
    const { a, lambda } = knownSpectrum(d);
    const cov = Float32Array.from(a);
    let t = performance.now();
    const top = await topEigenpairs(cov, d, k, matmul);
    const oursMs = Math.round(performance.now() - t);
    const row: Record<string, unknown> = { kernel: 'top-512 eigenpairs of a covariance', n: d, lookalike: { ms: oursMs, ...errors(a, d, top.values, (r, c) => top.vectors[c * d + r]!, k, lambda) } };
    if (args['full-2816']) {
      t = performance.now();
      const lib = mlEigen(a, d);
      row['mlMatrix'] = { ms: Math.round(performance.now() - t), ...errors(a, d, lib.values, lib.vector, k, lambda) };
    }
    console.log(JSON.stringify(row));
  } finally {
    await matmul.close();
  }
}

/** max |QᵀQ − I| and how much of Z lies outside span(Q): ‖Z − QQᵀZ‖_F / ‖Z‖_F. */
function basisErrors(z: Float32Array, d: number, l: number, q: (r: number, c: number) => number) {
  const qa = new Float64Array(d * l);
  for (let r = 0; r < d; r++) for (let c = 0; c < l; c++) qa[r * l + c] = q(r, c);
  let orth = 0;
  const qtz = new Float64Array(l * l);
  for (let i = 0; i < l; i++) {
    for (let j = 0; j < l; j++) {
      let s = 0;
      let sz = 0;
      for (let r = 0; r < d; r++) {
        s += qa[r * l + i]! * qa[r * l + j]!;
        sz += qa[r * l + i]! * z[r * l + j]!;
      }
      if (j >= i) orth = Math.max(orth, Math.abs(s - (i === j ? 1 : 0)));
      qtz[i * l + j] = sz;
    }
  }
  let out = 0;
  let norm = 0;
  for (let r = 0; r < d; r++) {
    for (let c = 0; c < l; c++) {
      let s = 0;
      for (let t = 0; t < l; t++) s += qa[r * l + t]! * qtz[t * l + c]!;
      out += (z[r * l + c]! - s) ** 2;
      norm += z[r * l + c]! ** 2;
    }
  }
  const e = (x: number) => Number(x.toExponential(2));
  return { orthogonality: e(orth), outsideSpan: e(Math.sqrt(out / norm)) };
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
