import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../src/core/base/linalg.js';
import { localIntrinsicDimension, manifoldSynthesizer, nearestNeighbourCosines, synthesizeVectors, uniformUnitVectors } from './bench-vectors.js';

/** A stand-in for real embeddings: 20 "products", 15 unit vectors around each. */
function clusteredBase(dim: number, clusters = 20, perCluster = 15): { base: Float32Array; count: number } {
  const centres = uniformUnitVectors(clusters, dim, 99);
  const rand = mulberry32(5);
  const count = clusters * perCluster;
  const base = new Float32Array(count * dim);
  for (let r = 0; r < count; r++) {
    const c = r % clusters;
    let norm = 0;
    for (let d = 0; d < dim; d++) {
      const x = centres[c * dim + d]! + (rand() - 0.5) * 0.08;
      base[r * dim + d] = x;
      norm += x * x;
    }
    for (let d = 0; d < dim; d++) base[r * dim + d]! /= Math.sqrt(norm);
  }
  return { base, count };
}

const mean = (xs: ArrayLike<number>) => Array.from(xs).reduce((a, b) => a + b, 0) / xs.length;

describe('synthesizeVectors', () => {
  const dim = 256;
  const { base, count } = clusteredBase(dim);

  it('is deterministic by seed', () => {
    const a = synthesizeVectors(base, count, dim, 50, 7);
    expect(synthesizeVectors(base, count, dim, 50, 7)).toEqual(a);
    expect(synthesizeVectors(base, count, dim, 50, 8)).not.toEqual(a);
  });

  it('makes unit vectors of the right count', () => {
    const n = 123;
    const out = synthesizeVectors(base, count, dim, n, 1);
    expect(out.length).toBe(n * dim);
    for (let s = 0; s < n; s++) {
      let norm = 0;
      for (let d = 0; d < dim; d++) norm += out[s * dim + d]! ** 2;
      expect(Math.sqrt(norm)).toBeCloseTo(1, 5);
    }
  });

  it('keeps the base set clustered: nearest neighbours are far closer than among uniform random vectors', () => {
    const n = count;
    const synthetic = mean(nearestNeighbourCosines(synthesizeVectors(base, count, dim, n, 3), n, dim));
    const uniform = mean(nearestNeighbourCosines(uniformUnitVectors(n, dim, 3), n, dim));
    const real = mean(nearestNeighbourCosines(base, count, dim));
    expect(uniform).toBeLessThan(0.5);
    expect(synthetic).toBeGreaterThan(uniform + 0.2);
    // Noisier than the (very tight) base clusters.
    expect(synthetic).toBeLessThan(real);
  });

  it('lies near the base vectors, unlike uniform random vectors', () => {
    const n = 200;
    const closestBase = (set: Float32Array) => {
      const best: number[] = [];
      for (let s = 0; s < n; s++) {
        let top = -Infinity;
        for (let b = 0; b < count; b++) {
          let dot = 0;
          for (let d = 0; d < dim; d++) dot += set[s * dim + d]! * base[b * dim + d]!;
          top = Math.max(top, dot);
        }
        best.push(top);
      }
      return mean(best);
    };
    expect(closestBase(synthesizeVectors(base, count, dim, n, 4))).toBeGreaterThan(closestBase(uniformUnitVectors(n, dim, 4)) + 0.3);
  });

  it('refuses a base too small to mix', () => {
    expect(() => synthesizeVectors(base, 1, dim, 5, 1)).toThrow(/at least 2/);
  });
});

describe('nearestNeighbourCosines', () => {
  it('finds each vector its closest other vector', () => {
    const set = Float32Array.from([1, 0, 0.8, 0.6, 0, 1]);
    const nn = nearestNeighbourCosines(set, 3, 2);
    expect(Array.from(nn).map((x) => Number(x.toFixed(6)))).toEqual([0.8, 0.8, 0.6]);
  });
});

describe('manifoldSynthesizer', () => {
  const dim = 64;
  const { base, count } = clusteredBase(dim);

  it('is deterministic by seed and makes unit vectors', () => {
    const make = manifoldSynthesizer(base, count, dim);
    const a = make(40, 7);
    expect(make(40, 7)).toEqual(a);
    expect(make(40, 8)).not.toEqual(a);
    for (let s = 0; s < 40; s++) expect(Math.hypot(...a.subarray(s * dim, (s + 1) * dim))).toBeCloseTo(1, 5);
  });

  it('spreads neighbourhoods in fewer directions than full-rank noise does', () => {
    const queries = manifoldSynthesizer(base, count, dim)(100, 1);
    const manifold = localIntrinsicDimension(queries, 100, manifoldSynthesizer(base, count, dim)(count, 2), count, dim);
    const isotropic = localIntrinsicDimension(queries, 100, synthesizeVectors(base, count, dim, count, 2), count, dim);
    expect(manifold).toBeLessThan(isotropic);
  });

  it('refuses a base too small to mix', () => {
    expect(() => manifoldSynthesizer(base, 1, dim)).toThrow(/at least 2/);
  });
});

describe('localIntrinsicDimension', () => {
  /** `n` unit vectors in 32 dimensions whose spread lies in the first `free` of them. */
  const spanning = (n: number, free: number, seed: number) => {
    const g = uniformUnitVectors(n, free, seed);
    const out = new Float32Array(n * 32);
    for (let i = 0; i < n; i++) {
      out[i * 32] = 3; // a common direction keeps every point on one side of the sphere
      for (let d = 0; d < free; d++) out[i * 32 + 1 + d] = g[i * free + d]!;
      const norm = Math.hypot(...out.subarray(i * 32, (i + 1) * 32));
      for (let d = 0; d < 32; d++) out[i * 32 + d]! /= norm;
    }
    return out;
  };

  it('tells a set spread in 2 directions from one spread in 20', () => {
    const low = localIntrinsicDimension(spanning(50, 2, 1), 50, spanning(2000, 2, 2), 2000, 32);
    const high = localIntrinsicDimension(spanning(50, 20, 1), 50, spanning(2000, 20, 2), 2000, 32);
    expect(low).toBeLessThan(4);
    expect(high).toBeGreaterThan(8);
  });
});
