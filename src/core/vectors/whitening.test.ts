import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMatMul, mulberry32, symmetricEigen, topEigenpairs, type MatMul } from '../base/linalg.js';
import { decodeWhitening, encodeWhitening, fitCenter, fitPcaWhitening, whiteningTransform } from './whitening.js';

/**
 * n samples of `dim` values from a correlated Gaussian: x = A z + offset, with A mixing independent z of decaying
 * variance, so the covariance has a known, spread spectrum and strongly correlated coordinates.
 */
function correlated(n: number, dim: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const mix = Array.from({ length: dim * dim }, () => gauss() / Math.sqrt(dim));
  const scales = Array.from({ length: dim }, (_, i) => 3 / (1 + i));
  const out = new Float32Array(n * dim);
  for (let s = 0; s < n; s++) {
    const z = scales.map((sc) => sc * gauss());
    for (let r = 0; r < dim; r++) {
      let v = 2 + 0.1 * r;
      for (let c = 0; c < dim; c++) v += mix[r * dim + c]! * z[c]!;
      out[s * dim + r] = v;
    }
  }
  return out;
}

/** Covariance of the un-normalised projections P(x − mean), k × k. */
function projectedCovariance(samples: Float32Array, n: number, dim: number, projection: Float32Array, mean: Float32Array, k: number): Float64Array {
  const ys = Array.from({ length: n }, (_, s) => {
    const y = new Float64Array(k);
    for (let i = 0; i < k; i++) {
      let v = 0;
      for (let j = 0; j < dim; j++) v += projection[i * dim + j]! * (samples[s * dim + j]! - mean[j]!);
      y[i] = v;
    }
    return y;
  });
  const cov = new Float64Array(k * k);
  for (const y of ys) for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) cov[i * k + j] = cov[i * k + j]! + (y[i]! * y[j]!) / n;
  return cov;
}

describe('symmetricEigen', () => {
  it('finds the eigenpairs of a small symmetric matrix, largest first', () => {
    // [[2,1],[1,2]] has eigenvalues 3 and 1 with eigenvectors (1,1)/√2 and (1,−1)/√2.
    const { values, vectors } = symmetricEigen([2, 1, 1, 2], 2);
    expect(values[0]).toBeCloseTo(3, 12);
    expect(values[1]).toBeCloseTo(1, 12);
    expect(Math.abs(vectors[0]!)).toBeCloseTo(Math.SQRT1_2, 12);
    expect(vectors[0]! * vectors[2]!).toBeGreaterThan(0); // column 0 is (1, 1)/√2 up to sign
  });

  it('reconstructs a random symmetric matrix as V diag(λ) Vᵀ', () => {
    const n = 7;
    const rand = mulberry32(3);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = i; j < n; j++) a[i * n + j] = a[j * n + i] = rand() - 0.5;
    const { values, vectors } = symmetricEigen(a, n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += vectors[i * n + k]! * values[k]! * vectors[j * n + k]!;
        expect(s).toBeCloseTo(a[i * n + j]!, 10);
      }
    }
  });
});

describe('whitening (real ONNX Runtime products)', () => {
  let matmul: MatMul;
  beforeAll(async () => {
    matmul = await createMatMul(1);
  });
  afterAll(async () => {
    await matmul.close();
  });

  it('multiplies matrices, plain and with A transposed', async () => {
    const a = Float32Array.from([1, 2, 3, 4, 5, 6]); // 2 × 3
    const b = Float32Array.from([1, 0, 0, 1, 1, 1]); // 3 × 2
    expect(Array.from(await matmul(a, 2, 3, b, 2))).toEqual([4, 5, 10, 11]);
    // Aᵀ for A stored 2 × 3 is 3 × 2; times a 2 × 1.
    expect(Array.from(await matmul(a, 3, 2, Float32Array.from([1, 1]), 1, true))).toEqual([5, 7, 9]);
  });

  it('sums the Gram matrix in float64: what float32 loses in a nearly dependent pair of columns is kept', async () => {
    const rand = mulberry32(3);
    const d = 1000;
    const l = 3;
    // Two columns that differ by ~1e-4 and an unrelated one: G's entries agree to 8 digits, their differences matter.
    const z = new Float32Array(d * l);
    for (let r = 0; r < d; r++) {
      const x = 1 + rand();
      z[r * l] = x;
      z[r * l + 1] = x + 1e-4 * (rand() - 0.5);
      z[r * l + 2] = rand() - 0.5;
    }
    const g = await matmul.gram64(z, d, l);
    expect(g).toBeInstanceOf(Float64Array);
    for (let i = 0; i < l; i++) {
      for (let j = 0; j < l; j++) {
        let s = 0;
        for (let r = 0; r < d; r++) s += z[r * l + i]! * z[r * l + j]!;
        expect(Math.abs(g[i * l + j]! - s)).toBeLessThan(1e-12 * Math.abs(s) + 1e-12);
      }
    }
    // The float32 product cannot resolve G₀₀ − G₀₁ (~1e-5 of ~2300): it is off by far more than the float64 one.
    const g32 = await matmul(z, l, d, z, l, true);
    let exact = 0;
    for (let r = 0; r < d; r++) exact += z[r * l]! * (z[r * l]! - z[r * l + 1]!);
    expect(Math.abs(g[0]! - g[1]! - exact)).toBeLessThan(1e-9);
    expect(Math.abs(g32[0]! - g32[1]! - exact)).toBeGreaterThan(1e-6);
  });

  it('full PCA-whitening (power 0.5) decorrelates: the projections have identity covariance', async () => {
    const n = 400;
    const dim = 12;
    const samples = correlated(n, dim, 1);
    const w = await fitPcaWhitening(samples, n, dim, { outputDim: 6, power: 0.5, matmul });
    expect(w).toMatchObject({ kind: 'pca', inputDim: dim, outputDim: 6, samples: n, power: 0.5 });
    expect(w.projection.length).toBe(6 * dim);
    const cov = projectedCovariance(samples, n, dim, w.projection, w.mean, 6);
    for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) expect(cov[i * 6 + j]).toBeCloseTo(i === j ? 1 : 0, 3);
    // Eigenvalues come largest first.
    for (let i = 1; i < 6; i++) expect(w.eigenvalues[i]!).toBeLessThanOrEqual(w.eigenvalues[i - 1]!);
  });

  it('partial whitening (power 0.25) keeps the components uncorrelated with variances λ^0.5', async () => {
    const n = 400;
    const dim = 10;
    const samples = correlated(n, dim, 2);
    const w = await fitPcaWhitening(samples, n, dim, { outputDim: 4, power: 0.25, matmul });
    const cov = projectedCovariance(samples, n, dim, w.projection, w.mean, 4);
    for (let i = 0; i < 4; i++) {
      expect(cov[i * 4 + i]! / Math.sqrt(w.eigenvalues[i]!)).toBeCloseTo(1, 3);
      for (let j = 0; j < 4; j++) if (i !== j) expect(Math.abs(cov[i * 4 + j]!)).toBeLessThan(1e-3 * Math.sqrt(w.eigenvalues[0]!));
    }
  });

  it('the randomized eigensolver agrees with the dense one on a large matrix', async () => {
    const n = 600;
    const dim = 320;
    const samples = correlated(n, dim, 4);
    const centred = Float32Array.from(samples);
    const mean = fitCenter(samples, n, dim).mean;
    for (let s = 0; s < n; s++) for (let j = 0; j < dim; j++) centred[s * dim + j] = centred[s * dim + j]! - mean[j]!;
    const cov = await matmul(centred, dim, n, centred, dim, true);
    const dense = symmetricEigen(cov, dim);
    // 40 and 41 wanted: range finders of 72 and 73 columns (the factorisations' sums take four terms at a time).
    for (const k of [40, 41]) {
      const fast = await topEigenpairs(cov, dim, k, matmul);
      for (let i = 0; i < 20; i++) expect(fast.values[i]! / dense.values[i]!, `k ${k}`).toBeCloseTo(1, 3);
      // The leading eigenvector matches up to sign.
      let dot = 0;
      for (let r = 0; r < dim; r++) dot += fast.vectors[r]! * dense.vectors[r * dim]!;
      expect(Math.abs(dot), `k ${k}`).toBeGreaterThan(0.999);
    }
  });

  it('maps to unit vectors of outputDim; its id is stable for the same data and changes on re-learning', async () => {
    const dim = 16;
    const a = correlated(200, dim, 5);
    const b = correlated(300, dim, 6);
    const wa = await fitPcaWhitening(a, 200, dim, { outputDim: 8, power: 0.25, matmul });
    const wa2 = await fitPcaWhitening(a, 200, dim, { outputDim: 8, power: 0.25, matmul });
    const wb = await fitPcaWhitening(b, 300, dim, { outputDim: 8, power: 0.25, matmul });
    const ta = whiteningTransform(wa);
    expect(ta.id).toMatch(/^pca-8-[0-9a-f]{12}$/);
    expect(whiteningTransform(wa2).id).toBe(ta.id);
    expect(whiteningTransform(wb).id).not.toBe(ta.id);
    expect(ta).toMatchObject({ inputDim: dim, outputDim: 8 });
    const y = ta.apply(a.subarray(0, dim));
    expect(y.length).toBe(8);
    expect(Math.hypot(...y)).toBeCloseTo(1, 5);
    expect(() => ta.apply(new Float32Array(3))).toThrow(/takes 16 values/);
    await expect(fitPcaWhitening(a, 200, dim, { outputDim: 200, power: 0.25, matmul })).rejects.toThrow(/output dimensions/);
  });

  it('spreads the cosine of unrelated non-negative vectors (what GeM features are) towards 0', async () => {
    const rand = mulberry32(9);
    const dim = 24;
    const n = 300;
    const samples = new Float32Array(n * dim).map(() => 1 + rand());
    const raw = (i: number) => samples.subarray(i * dim, (i + 1) * dim);
    const cos = (x: Float32Array, y: Float32Array) => x.reduce((s, v, i) => s + v * y[i]!, 0) / (Math.hypot(...x) * Math.hypot(...y));
    expect(cos(raw(0), raw(1))).toBeGreaterThan(0.9);
    const centred = whiteningTransform(fitCenter(samples, n, dim));
    expect(centred.id).toMatch(/^center-[0-9a-f]{12}$/);
    const pca = whiteningTransform(await fitPcaWhitening(samples, n, dim, { outputDim: 16, power: 0.25, matmul }));
    for (const t of [centred, pca]) {
      let sum = 0;
      for (let i = 0; i < 20; i++) sum += Math.abs(cos(t.apply(raw(i)), t.apply(raw(i + 20))));
      expect(sum / 20).toBeLessThan(0.4);
    }
  });

  it('round-trips through its file encoding', async () => {
    const dim = 8;
    const samples = correlated(100, dim, 7);
    for (const w of [fitCenter(samples, 100, dim), await fitPcaWhitening(samples, 100, dim, { outputDim: 4, power: 0.25, matmul })]) {
      const bytes = encodeWhitening(w, { embedderId: 'm@1' });
      const { whitening, header } = decodeWhitening(bytes);
      expect(header['embedderId']).toBe('m@1');
      expect(whiteningTransform(whitening).id).toBe(whiteningTransform(w).id);
      expect(() => decodeWhitening(bytes.subarray(0, bytes.length - 4))).toThrow(/truncated/);
    }
    expect(() => decodeWhitening(Buffer.from('not a whitening file'))).toThrow(/not a whitening file/);
  });
});
