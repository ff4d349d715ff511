import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import type { CollectionId } from '../../shared/types.js';
import { identityTransform, type VectorTransform } from './transform.js';
import { VectorStore, type EmbeddingSource } from './vector-store.js';

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

  it('starts empty collections silently and drops a collection\'s files', () => {
    const s = store();
    expect(s.search([C2], unit(1), 3)).toEqual([]);
    s.save();
    expect(lines).toEqual([]);
    expect(s.diskBytes()).toBeGreaterThan(0);
    s.drop(C2);
    expect(readdirSync(dir)).toEqual([]);
  });
});
