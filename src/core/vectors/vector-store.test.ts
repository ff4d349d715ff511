import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import usearch from 'usearch';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../base/logger.js';
import type { CollectionId } from '../../shared/types.js';
import { EMPTY_ID_DIGEST, updateIdDigest } from '../base/id-digest.js';
import { AnnIndex } from './ann-index.js';
import { identityTransform, type VectorTransform } from './transform.js';
import { GRAPH, searchBreadth, VectorStore, type EmbeddingSource } from './vector-store.js';

const C1 = 1 as CollectionId;
const C2 = 2 as CollectionId;
const DIM = 8;

function unit(seed: number): Float32Array {
  const v = new Float32Array(DIM).map((_, i) => Math.sin(seed * 7.3 + i * 1.7));
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

describe('VectorStore', () => {
  let dir: string;
  let catalog: Map<CollectionId, Map<number, Float32Array>>;
  let lines: string[];
  const source: EmbeddingSource = {
    ids: (cid) => [...(catalog.get(cid)?.keys() ?? [])].sort((a, b) => a - b),
    vectors: (cid) => [...(catalog.get(cid)?.entries() ?? [])].map(([id, vector]) => ({ id, vector })),
  };
  /**
   * A transform that reverses each vector and only works in bulk: a rebuild (or a search) that fell back to one
   * vector at a time would throw. `before` runs ahead of each bulk call.
   */
  const reversedInBulk = (id: string, before: (count: number) => Promise<void>): VectorTransform => ({
    id,
    inputDim: DIM,
    outputDim: DIM,
    apply: () => {
      throw new Error('transformed one vector at a time');
    },
    applyMany: async (raws, count) => {
      await before(count);
      const out = new Float32Array(raws.length);
      for (let r = 0; r < count; r++) for (let d = 0; d < DIM; d++) out[r * DIM + d] = raws[r * DIM + DIM - 1 - d]!;
      return out;
    },
  });
  /** The same source read in pages, as the catalog offers it. */
  const paged: EmbeddingSource = {
    ...source,
    page: (cid, afterId, limit) => [...(catalog.get(cid)?.entries() ?? [])].filter(([id]) => id > afterId).sort((a, b) => a[0] - b[0]).slice(0, limit).map(([id, vector]) => ({ id, vector })),
  };
  const store = (transform: VectorTransform = identityTransform(DIM)) =>
    new VectorStore({ dir, embedderId: 'test@1', transform, source, logger: createLogger({ sink: (l) => lines.push(l) }) });
  const put = (s: VectorStore, cid: CollectionId, ids: number[]) => {
    const m = catalog.get(cid) ?? new Map<number, Float32Array>();
    catalog.set(cid, m);
    for (const id of ids) m.set(id, unit(id));
    s.add(cid, ids.map((id) => ({ id, vector: unit(id) })));
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lookalike-vectors-'));
    catalog = new Map();
    lines = [];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('searches per collection and merges several by score', () => {
    const s = store();
    s.open(C1);
    s.open(C2);
    put(s, C1, [1, 2, 3]);
    put(s, C2, [10, 11]);
    const one = s.search([C1], unit(2), 2);
    expect(one.map((h) => h.id)[0]).toBe(2);
    expect(one[0]!.score).toBeCloseTo(1, 2);
    expect(one.every((h) => h.collectionId === C1)).toBe(true);
    const both = s.search([C1, C2], unit(11), 10);
    expect(both).toHaveLength(5);
    expect(both[0]).toMatchObject({ id: 11, collectionId: C2 });
    expect(both.map((h) => h.score)).toEqual([...both.map((h) => h.score)].sort((a, b) => b - a));
  });

  it('saves atomically and reloads without a rebuild when consistent', () => {
    const s = store();
    s.open(C1);
    put(s, C1, [1, 2, 3]);
    s.save();
    expect(readdirSync(dir)).toEqual([`vectors-c1-${s.stamp}.usearch`]);
    const again = store();
    expect(again.size(C1)).toBe(3);
    expect(lines).toEqual([]);
  });

  it('rebuilds from the source when the file is missing, corrupt or out of date', () => {
    const s = store();
    s.open(C1);
    put(s, C1, [1, 2, 3]);
    s.save();
    const file = s.fileOf(C1);

    rmSync(file);
    expect(store().size(C1)).toBe(3);
    expect(lines.join('\n')).toMatch(/is missing: rebuilding it from 3 stored embeddings/);

    lines = [];
    writeFileSync(file, 'garbage');
    expect(store().search([C1], unit(3), 1)[0]?.id).toBe(3);
    expect(lines.join('\n')).toMatch(/is unreadable/);

    lines = [];
    catalog.get(C1)!.set(4, unit(4));
    expect(store().size(C1)).toBe(4);
    expect(lines.join('\n')).toMatch(/holds 3 vectors but the catalog has 4/);

    lines = [];
    catalog.get(C1)!.delete(1);
    catalog.get(C1)!.set(5, unit(5));
    expect(store().search([C1], unit(5), 1)[0]?.id).toBe(5);
    expect(lines.join('\n')).toMatch(/other ids/);
  });

  it('keeps one file per collection: a new transform means a new stamp, a rebuild, and the old file goes', () => {
    const s = store();
    s.open(C1);
    put(s, C1, [1, 2]);
    s.save();
    const halve: VectorTransform = {
      id: 'first-half',
      inputDim: DIM,
      outputDim: DIM / 2,
      apply: (raw) => raw.slice(0, DIM / 2),
    };
    const t = store(halve);
    expect(t.stamp).not.toBe(s.stamp);
    expect(t.size(C1)).toBe(2);
    expect(readdirSync(dir)).toEqual([`vectors-c1-${t.stamp}.usearch`]);
    expect(t.search([C1], unit(2), 1)[0]?.id).toBe(2);
  });

  it('builds with the app\'s graph, and rebuilds a file made with another one (an index from before a change of it)', () => {
    const older = new VectorStore({ dir, embedderId: 'test@1', transform: identityTransform(DIM), source, logger: createLogger({ sink: () => {} }), connectivity: 16, expansionAdd: 0 });
    older.open(C1);
    put(older, C1, [1, 2, 3]);
    older.save();
    const s = store();
    expect(s.params).toMatchObject(GRAPH);
    expect(s.stamp).not.toBe(older.stamp);
    expect(s.search([C1], unit(3), 1)[0]?.id).toBe(3);
    expect(lines.join('\n')).toMatch(/rebuilding it from 3 stored embeddings/);
    s.save();
    expect(readdirSync(dir)).toEqual([`vectors-c1-${s.stamp}.usearch`]);
    // usearch records the degree in the file: the saved graph is the app's.
    const saved = new usearch.Index({ dimensions: DIM, metric: usearch.MetricKind.Cos, quantization: usearch.ScalarKind.F16, connectivity: 0, expansion_add: 0, expansion_search: 0, multi: false });
    saved.load(s.fileOf(C1));
    expect(Number(saved.connectivity())).toBe(GRAPH.connectivity);
  });

  it('rebuilds every collection under a new transform in bulk pages, with progress, and skips a valid file', async () => {
    const s = store();
    s.open(C1);
    s.open(C2);
    put(s, C1, Array.from({ length: 2500 }, (_, i) => i + 1));
    put(s, C2, [9001, 9002]);
    s.save();
    let bulkRows = 0;
    const bulkOnly = reversedInBulk('reversed', async (count) => {
      bulkRows += count;
    });
    const t = new VectorStore({ dir, embedderId: 'test@1', transform: bulkOnly, source: paged, logger: createLogger({ sink: (l) => lines.push(l) }) });
    const progress: [number, number, number][] = [];
    await t.openAll([C1, C2], { onProgress: (cid, done, total) => progress.push([cid, done, total]) });
    expect(bulkRows).toBe(2502);
    expect(progress).toEqual([
      [C1, 2048, 2500],
      [C1, 2500, 2500],
      [C2, 2, 2],
    ]);
    expect(readdirSync(dir).sort()).toEqual([`vectors-c1-${t.stamp}.usearch`, `vectors-c2-${t.stamp}.usearch`]);
    // The files hold the transformed vectors: a reversed query finds its item.
    const reversed = (v: Float32Array) => v.slice().reverse();
    expect(t.searchPrepared([C1], reversed(unit(1234)), 1)[0]?.id).toBe(1234);

    // A second pass finds both files valid: nothing is transformed again.
    bulkRows = 0;
    const u = new VectorStore({ dir, embedderId: 'test@1', transform: bulkOnly, source: paged, logger: createLogger({ sink: () => {} }) });
    await u.openAll([C1, C2]);
    expect(bulkRows).toBe(0);
    expect(u.size(C1)).toBe(2500);
  });

  it('serves searches from the part rebuilt so far, never starting a second rebuild or saving a half-built index', async () => {
    const s = store();
    s.open(C1);
    put(s, C1, Array.from({ length: 2500 }, (_, i) => i + 1));
    s.save();
    const gates: (() => void)[] = [];
    const reversedBulk = reversedInBulk('reversed-gated', () => new Promise<void>((resolve) => gates.push(resolve)));
    const t = new VectorStore({ dir, embedderId: 'test@1', transform: reversedBulk, source: paged, logger: createLogger({ sink: () => {} }) });
    const rebuilt = t.openAll([C1]);
    const q = (id: number) => unit(id).slice().reverse();
    const until = async (n: number) => {
      while (gates.length < n) await new Promise((r) => setTimeout(r, 1));
    };
    await until(1);
    expect(t.searchPrepared([C1], q(5), 1)).toEqual([]);
    t.save();
    expect(readdirSync(dir).some((f) => f.includes(t.stamp))).toBe(false);
    gates[0]!();
    await until(2);
    // The first page is in (8-dim test vectors repeat, so found by score, not id).
    expect(t.searchPrepared([C1], q(5), 1)[0]?.score).toBeCloseTo(1, 3);
    expect(t.size(C1)).toBe(2048);
    gates[1]!();
    await rebuilt;
    expect(t.size(C1)).toBe(2500);
    expect(t.searchPrepared([C1], q(2400), 1)[0]?.score).toBeCloseTo(1, 3);
    expect(readdirSync(dir)).toEqual([`vectors-c1-${t.stamp}.usearch`]);
  });

  it('stops a bulk rebuild between pages when cancelled, leaving the rest to the next open', async () => {
    const s = store();
    s.open(C1);
    put(s, C1, Array.from({ length: 3000 }, (_, i) => i + 1));
    s.save();
    const abort = new AbortController();
    const halve: VectorTransform = {
      id: 'first-half',
      inputDim: DIM,
      outputDim: DIM / 2,
      apply: (raw) => raw.slice(0, DIM / 2),
      applyMany: async (raws, count) => {
        abort.abort();
        const out = new Float32Array(count * (DIM / 2));
        for (let r = 0; r < count; r++) out.set(raws.subarray(r * DIM, r * DIM + DIM / 2), (r * DIM) / 2);
        return out;
      },
    };
    const t = new VectorStore({ dir, embedderId: 'test@1', transform: halve, source: paged, logger: createLogger({ sink: () => {} }) });
    await t.openAll([C1], { signal: abort.signal });
    expect(readdirSync(dir).some((f) => f.includes(t.stamp))).toBe(false);
    expect(t.size(C1)).toBe(3000);
  });

  it('starts empty collections silently and drops a collection\'s files', () => {
    const s = store();
    expect(s.search([C2], unit(1), 3)).toEqual([]);
    s.save();
    expect(lines).toEqual([]);
    // Searching an empty collection writes nothing (a read must never write).
    expect(s.diskBytes()).toBe(0);
    s.add(C2, [{ id: 901, vector: unit(1) }]);
    s.save();
    expect(s.diskBytes()).toBeGreaterThan(0);
    s.drop(C2);
    expect(readdirSync(dir)).toEqual([]);
  });

  describe('opening a saved index', () => {
    let idsCalls: number;
    /** A catalog that summarises its ids, as the real one does (ItemsRepo.embeddedIdDigest). */
    const summarising: EmbeddingSource = {
      ids: (cid) => {
        idsCalls += 1;
        return source.ids(cid);
      },
      vectors: (cid) => source.vectors(cid),
      digest: (cid) => updateIdDigest(EMPTY_ID_DIGEST, source.ids(cid)),
    };
    const fastStore = (verifyDelayMs = 0) =>
      new VectorStore({ dir, embedderId: 'test@1', transform: identityTransform(DIM), source: summarising, verifyDelayMs, logger: createLogger({ sink: (l) => lines.push(l) }) });
    /** Flips a byte inside the stored vectors (not the structure the cheap checks cover). */
    const damageVectors = (file: string) => {
      const bytes = readFileSync(file);
      bytes[8 + DIM * 2 + 1] = bytes[8 + DIM * 2 + 1]! ^ 0x20;
      writeFileSync(file, bytes);
    };
    beforeEach(() => {
      const s = fastStore();
      s.open(C1);
      put(s, C1, [1, 2, 3]);
      s.close();
      idsCalls = 0;
    });

    it('takes the fast path on a good file: mapped, checked by its id summary, verified in the background', async () => {
      const s = fastStore();
      const index = s.open(C1);
      expect(index.readOnly).toBe(true);
      expect(idsCalls).toBe(0);
      expect(s.search([C1], unit(2), 1)[0]?.id).toBe(2);
      await s.verified();
      expect(index.verified).toBe(true);
      expect(lines).toEqual([]);
      // Changing it loads it into memory first; the saved file reopens on the fast path.
      put(s, C1, [4]);
      expect(index.readOnly).toBe(false);
      s.close();
      expect(fastStore().size(C1)).toBe(4);
      expect(lines).toEqual([]);
    });

    it('compares ids one by one when the summaries differ: rebuilds a file that lags, keeps a right one', () => {
      catalog.get(C1)!.delete(1);
      catalog.get(C1)!.set(5, unit(5));
      expect(fastStore().search([C1], unit(5), 1)[0]?.id).toBe(5);
      expect(lines.join('\n')).toMatch(/holds 3 vectors but the catalog has 3 \(or other ids\): rebuilding/);

      // A summary that is itself wrong (the file holds exactly the catalog's ids) costs a warning, not a rebuild.
      lines = [];
      const wrongSummary = new VectorStore({
        dir,
        embedderId: 'test@1',
        transform: identityTransform(DIM),
        source: { ...summarising, digest: () => updateIdDigest(EMPTY_ID_DIGEST, [99]) },
        logger: createLogger({ sink: (l) => lines.push(l) }),
      });
      expect(wrongSummary.search([C1], unit(5), 1)[0]?.id).toBe(5);
      expect(lines.join('\n')).toMatch(/holds exactly the catalog's ids, but its summary of them differs/);
      expect(lines.join('\n')).not.toMatch(/rebuilding/);
    });

    it('detects damage the cheap checks miss, and rebuilds on the next use', async () => {
      const s = fastStore();
      const file = s.fileOf(C1);
      damageVectors(file);
      expect(s.open(C1).readOnly).toBe(true);
      await s.verified();
      expect(lines.join('\n')).toMatch(/checksum mismatch \(the file is damaged\); it is rebuilt on next use/);
      expect(s.search([C1], unit(3), 1)[0]?.id).toBe(3);
      expect(lines.join('\n')).toMatch(/damaged\): rebuilding it from 3 stored embeddings/);
      expect(AnnIndex.load(file, s.params).size).toBe(3);
    });

    it('never saves a damaged file under a fresh checksum: changing it verifies it first and rebuilds', () => {
      // Verification would only start after a minute: the add must find the damage itself.
      const s = fastStore(60_000);
      damageVectors(s.fileOf(C1));
      expect(s.open(C1).readOnly).toBe(true);
      put(s, C1, [4]);
      expect(lines.join('\n')).toMatch(/checksum mismatch \(the file is damaged\)\): rebuilding it from 4 stored embeddings/);
      expect(s.size(C1)).toBe(4);
      s.close();
      expect(AnnIndex.load(s.fileOf(C1), s.params).size).toBe(4);
    });
  });
});

describe('searchBreadth', () => {
  it('walks wider as an index grows, within the latency budget measured at a million vectors', () => {
    expect(searchBreadth(0)).toBe(256);
    expect(searchBreadth(100_000)).toBe(256);
    expect(searchBreadth(316_228)).toBe(512);
    expect(searchBreadth(1_000_000)).toBe(1024);
    expect(searchBreadth(50_000_000)).toBe(1024);
    const sizes = [1e3, 1e5, 2e5, 5e5, 1e6, 2e6];
    sizes.slice(1).forEach((n, i) => expect(searchBreadth(n)).toBeGreaterThanOrEqual(searchBreadth(sizes[i]!)));
  });
});
