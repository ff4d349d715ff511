import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EMPTY_ID_DIGEST, sameIds, updateIdDigest } from '../base/id-digest.js';
import { AnnIndex, IdsMismatchError, type AnnParams } from './ann-index.js';

const params: AnnParams = { dimensions: 16, quantization: 'f16', connectivity: 16, expansionAdd: 0 };

function filled(n: number): AnnIndex {
  const index = AnnIndex.create(params);
  const flat = new Float32Array(n * params.dimensions).map((_, i) => Math.sin(i * 0.37) + 1.1);
  index.add(
    Array.from({ length: n }, (_, i) => i + 1),
    flat,
  );
  return index;
}

describe('AnnIndex files', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lookalike-ann-'));
    file = join(dir, 'x.usearch');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('saves atomically with a checksum trailer and loads what it saved', () => {
    filled(200).saveAtomic(file);
    expect(readdirSync(dir)).toEqual(['x.usearch']);
    const loaded = AnnIndex.load(file, params);
    expect(loaded.size).toBe(200);
    expect(loaded.containsAll([1, 100, 200])).toBe(true);
  });

  it('refuses damaged or foreign files before usearch reads them (never a crash or a huge allocation)', () => {
    filled(200).saveAtomic(file);
    const good = readFileSync(file);
    const damaged: [string, Buffer][] = [
      ['a flipped bit in the graph', Buffer.from(good).fill(good[good.length - 200]! ^ 1, good.length - 200, good.length - 199)],
      ['truncated', good.subarray(0, good.length - 1000)],
      ['no trailer', good.subarray(0, good.length - 48)],
      ['garbage that claims billions of vectors', Buffer.from('not an index, but long enough to have a trailer-sized tail....................')],
      ['empty', Buffer.alloc(0)],
    ];
    for (const [what, bytes] of damaged) {
      writeFileSync(file, bytes);
      expect(() => AnnIndex.load(file, params), what).toThrow();
    }
    // A valid file of other dimensions is refused by its header, not misread.
    writeFileSync(file, good);
    expect(() => AnnIndex.load(file, { ...params, dimensions: 32 })).toThrow(/vectors, expected/);
  });

  /** Byte offsets in a saved file of `n` vectors: inside the vector matrix, and inside the node levels. */
  const vectorByte = 8 + 5 * params.dimensions * 2 + 3;
  const levelByte = (n: number) => 8 + n * params.dimensions * 2 + 64 + 40 + 2 * 7;
  const flip = (bytes: Buffer, at: number) => {
    const copy = Buffer.from(bytes);
    copy[at] = copy[at]! ^ 0x10;
    return copy;
  };

  it('opens a good file memory-mapped and read-only, verifies it later, and loads it for writing', async () => {
    filled(200).saveAtomic(file);
    const mapped = AnnIndex.open(file, params);
    expect(mapped.readOnly).toBe(true);
    expect(mapped.verified).toBe(false);
    expect(mapped.size).toBe(200);
    expect(mapped.search(new Float32Array(params.dimensions).fill(1), 3)).toHaveLength(3);
    expect(() => mapped.add([201], new Float32Array(params.dimensions).fill(1))).toThrow(/read-only/);
    expect(await mapped.verify()).toBeUndefined();
    expect(mapped.verified).toBe(true);
    mapped.makeWritable();
    expect(mapped.readOnly).toBe(false);
    mapped.add([201], new Float32Array(params.dimensions).fill(1));
    mapped.saveAtomic(file);
    expect(AnnIndex.load(file, params).size).toBe(201);
  });

  it('can read the file into memory instead of mapping it (Windows), still unchangeable until verified', () => {
    filled(200).saveAtomic(file);
    const copy = AnnIndex.open(file, params, { map: false });
    expect(copy.mapped).toBe(false);
    expect(copy.readOnly).toBe(true);
    expect(() => copy.remove([1])).toThrow(/read-only/);
    copy.makeWritable();
    copy.remove([1]);
    expect(copy.size).toBe(199);

    writeFileSync(file, flip(readFileSync(file), vectorByte));
    expect(() => AnnIndex.open(file, params, { map: false }).makeWritable()).toThrow(/checksum mismatch/);
  });

  it('keeps a summary of the ids it holds through adds, removes and saves', () => {
    const index = filled(50);
    index.remove([3, 7, 999]);
    const ids = Array.from({ length: 50 }, (_, i) => i + 1).filter((id) => id !== 3 && id !== 7);
    expect(sameIds(index.ids!, updateIdDigest(EMPTY_ID_DIGEST, ids))).toBe(true);
    index.saveAtomic(file);
    expect(sameIds(AnnIndex.open(file, params).ids!, updateIdDigest(EMPTY_ID_DIGEST, ids))).toBe(true);
    // Another set of the same size differs in its summary.
    expect(sameIds(index.ids!, updateIdDigest(EMPTY_ID_DIGEST, [...ids.slice(1), 51]))).toBe(false);
    // The check against the catalog's ids happens before the file is mapped.
    expect(() => AnnIndex.open(file, params, { expectIds: updateIdDigest(EMPTY_ID_DIGEST, [...ids, 51]) })).toThrow(IdsMismatchError);
  });

  it('finds damage in the vectors in the background, and damage in the structure before usearch opens the file', async () => {
    filled(200).saveAtomic(file);
    const good = readFileSync(file);

    writeFileSync(file, flip(good, vectorByte));
    const mapped = AnnIndex.open(file, params);
    expect(await mapped.verify()).toMatch(/checksum mismatch/);
    expect(() => mapped.makeWritable()).toThrow(/checksum mismatch/);
    expect(() => AnnIndex.load(file, params)).toThrow(/checksum mismatch/);
    expect(() => AnnIndex.open(file, params, { verify: 'full' })).toThrow(/checksum mismatch/);

    writeFileSync(file, flip(good, levelByte(200)));
    expect(() => AnnIndex.open(file, params)).toThrow(/structure/);
  });

  it('still reads files of the first format (plain SHA-256 trailer), verified in full', () => {
    filled(200).saveAtomic(file);
    const good = readFileSync(file);
    const payload = good.subarray(0, good.length - 112);
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(payload.length));
    const v1 = Buffer.concat([payload, Buffer.from('LKIDX\0\0\x01', 'latin1'), length, createHash('sha256').update(payload).digest()]);
    writeFileSync(file, v1);
    const opened = AnnIndex.open(file, params);
    expect(opened.readOnly).toBe(false);
    expect(opened.ids).toBeUndefined();
    expect(opened.size).toBe(200);
    writeFileSync(file, flip(v1, vectorByte));
    expect(() => AnnIndex.open(file, params)).toThrow(/checksum mismatch/);
  });
});

describe('AnnIndex search breadth', () => {
  /** Gaussian vectors in 64 dimensions: no structure, the hardest case for a graph walk. */
  const dims = 64;
  const gaussian = (n: number, seed: number) => {
    let s = seed;
    const next = () => ((s = (s * 1664525 + 1013904223) >>> 0) + 0.5) / 2 ** 32;
    return Float32Array.from({ length: n * dims }, () => Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next()));
  };
  const n = 4000;
  const flat = gaussian(n, 7);
  const queries = gaussian(40, 99);
  const index = AnnIndex.create({ dimensions: dims, quantization: 'f32', connectivity: 8, expansionAdd: 0 });
  index.add(Array.from({ length: n }, (_, i) => i + 1), flat);

  const exactTop = (q: Float32Array, k: number): number[] => {
    const qn = Math.hypot(...q);
    const scored = Array.from({ length: n }, (_, i) => {
      const v = flat.subarray(i * dims, (i + 1) * dims);
      let dot = 0;
      for (let d = 0; d < dims; d++) dot += v[d]! * q[d]!;
      return { id: i + 1, score: dot / (qn * Math.hypot(...v)) };
    });
    return scored.sort((a, b) => b.score - a.score).slice(0, k).map((h) => h.id);
  };
  const recall = (breadth: number): number => {
    let hit = 0;
    for (let i = 0; i < 40; i++) {
      const q = queries.subarray(i * dims, (i + 1) * dims);
      const want = new Set(exactTop(q, 10));
      const found = index.search(q, 10, breadth);
      expect(found).toHaveLength(10);
      expect(found.map((h) => h.score)).toEqual(found.map((h) => h.score).sort((a, b) => b - a));
      hit += found.filter((h) => want.has(h.id)).length;
    }
    return hit / 400;
  };

  it('walks a wider part of the graph when asked, returning only the best k', () => {
    const narrow = recall(0);
    const wide = recall(1000);
    expect(narrow).toBeLessThan(0.99);
    expect(wide).toBeGreaterThan(narrow);
    expect(wide).toBeGreaterThanOrEqual(0.99);
  });

  it('gives each query of a batch what it gives alone, at the same breadth', () => {
    const many = index.searchMany(queries, 40, 5, 300);
    for (let i = 0; i < 40; i++) expect(many[i]).toEqual(index.search(queries.subarray(i * dims, (i + 1) * dims), 5, 300));
  });
});
