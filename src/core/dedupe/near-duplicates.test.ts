import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CollectionId } from '../../shared/types.js';
import { nullLogger } from '../base/logger.js';
import { createMatMul, mulberry32 } from '../base/linalg.js';
import { identityTransform, type VectorTransform } from '../vectors/transform.js';
import { VectorStore } from '../vectors/vector-store.js';
import { fitPcaWhitening, whiteningTransform } from '../vectors/whitening.js';
import { embeddingNeighboursIn } from './near-duplicates.js';

const C1 = 1 as CollectionId;
const C2 = 2 as CollectionId;
const RAW = 48;

/** Clustered raw embeddings: a few centres plus noise, so neighbour lists have close calls. */
function embeddings(n: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  const centres = Array.from({ length: 6 }, () => Float32Array.from({ length: RAW }, () => rand() - 0.5));
  const out = new Float32Array(n * RAW);
  for (let i = 0; i < n; i++) {
    const c = centres[i % centres.length]!;
    for (let d = 0; d < RAW; d++) out[i * RAW + d] = c[d]! + 0.3 * (rand() - 0.5);
  }
  return out;
}

const row = (m: Float32Array, i: number) => m.subarray(i * RAW, (i + 1) * RAW);

describe('embeddingNeighboursIn', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lookalike-neighbours-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function check(transform: VectorTransform, exactPrepare: boolean): Promise<void> {
    const data = embeddings(400, 7);
    // The bulk search walks at usearch's default breadth: compare with single searches at the same breadth.
    const store = new VectorStore({ dir, embedderId: 'test@1', transform, source: { ids: () => [], vectors: () => [] }, logger: nullLogger, searchBreadth: 0 });
    store.open(C1);
    store.open(C2);
    // Ids 1..300 in one collection, 301..400 in another: the bulk search merges them as search() does.
    store.add(C1, Array.from({ length: 300 }, (_, i) => ({ id: i + 1, vector: row(data, i) })));
    store.add(C2, Array.from({ length: 100 }, (_, i) => ({ id: i + 301, vector: row(data, i + 300) })));
    const count = 150;
    const queries = data.slice(0, count * RAW);
    const neighbours = embeddingNeighboursIn(store, [C1, C2]);
    const prepared = await neighbours.prepare(queries, count);
    const dim = transform.outputDim;
    expect(prepared).toHaveLength(count * dim);
    for (let q = 0; q < count; q++) {
      const one = store.prepare(row(queries, q));
      const bulk = prepared.subarray(q * dim, (q + 1) * dim);
      if (exactPrepare) expect(bulk).toEqual(one);
      else for (let d = 0; d < dim; d++) expect(bulk[d]).toBeCloseTo(one[d]!, 5);
    }
    const found = neighbours.search(prepared, count, 12);
    expect(found).toHaveLength(count);
    for (let q = 0; q < count; q++) {
      // Each query's hits are those of a search for it alone (same prepared vector).
      expect(found[q]).toEqual(store.searchPrepared([C1, C2], prepared.subarray(q * dim, (q + 1) * dim), 12));
      expect(found[q]!.map((h) => h.id)).toContain(q + 1);
    }
    store.close();
  }

  it('transforms in bulk and finds for each query what a search for it alone finds (no learned transform)', async () => {
    await check(identityTransform(RAW), true);
  });

  it('does so through a learned PCA-whitening, its matrix product equal to the per-vector transform', async () => {
    const matmul = await createMatMul();
    try {
      const w = await fitPcaWhitening(embeddings(400, 11), 400, RAW, { outputDim: 16, power: 0.25, matmul });
      const transform = whiteningTransform(w);
      expect(transform.applyMany).toBeDefined();
      await check(transform, false);
    } finally {
      await matmul.close();
    }
  });

  it('finds nothing, for every query, when the catalog has no model', async () => {
    const neighbours = embeddingNeighboursIn(undefined, [C1]);
    const prepared = await neighbours.prepare(embeddings(3, 1), 3);
    expect(neighbours.search(prepared, 3, 5)).toEqual([[], [], []]);
  });
});
