/**
 * The folder's learned vector transform end to end on the real `fast` model: index → learn (centre, then PCA) at
 * the end of the index job → indexes rebuilt under the new stamp → search still finds near-copies first, while
 * unrelated photos no longer score near 1; re-learned after growth; kept across restarts.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/core/app/engine.js';
import { scene, writeScene } from '../support/synthetic.js';
import { decodeF16 } from '../../src/core/base/f16.js';
import { WHITENING_FILE, type WhiteningPolicy } from '../../src/core/vectors/whitening-store.js';
import { asItemId } from '../../src/shared/types.js';
import { openTestEngine, recordingLogger, tempDir, type TempDir } from './helpers.js';

/** Small thresholds so that a few dozen generated photos walk through every stage. */
const POLICY: WhiteningPolicy = { centerMin: 8, pcaMin: 40, regrow: 1.5, maxDim: 512, power: 0.25, sampleCap: 4096 };

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i]!, 0);

describe('catalog-adapted whitening through the engine', () => {
  let tmp: TempDir;
  let data: string;
  let photos: string;
  let engine: Engine;
  let copy: string;

  const addScenes = (from: number, to: number) => Promise.all(Array.from({ length: to - from }, (_, i) => writeScene(join(photos, `p${from + i}.jpg`), 500 + from + i)));
  const indexFiles = () => readdirSync(data).filter((f) => f.endsWith('.usearch'));
  const top = (hits: { path: string }[]) => hits[0]?.path;

  beforeAll(async () => {
    tmp = tempDir('whitening');
    data = join(tmp.path, 'data');
    photos = join(tmp.path, 'photos');
    await addScenes(0, 12);
    copy = join(tmp.path, 'copy-of-p3.jpg');
    writeFileSync(copy, await scene(503).resize(200).jpeg({ quality: 45 }).toBuffer());
    engine = await openTestEngine(data, { whitening: POLICY });
    engine.library.addFolder('shop', photos);
  });

  afterAll(async () => {
    await engine?.close();
    tmp?.remove();
  });

  it('starts raw, centres from centerMin photos and spreads the scores of unrelated photos', async () => {
    await engine.indexer.run();
    expect(engine.model.transformInfo()).toMatchObject({ kind: 'center', samples: 12 });
    const { hits } = await engine.search.byImage({ kind: 'path', path: copy }, { k: 12 });
    expect(top(hits)).toBe(join(photos, 'p3.jpg'));
    expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score + 0.3);
    // Raw GeM vectors of unrelated photos are close to parallel; centred, they are not.
    const stored = (id: number) => decodeF16(engine.catalog.items.vector(asItemId(id))!.vector);
    const tail = hits.slice(6);
    const rawMean = tail.reduce((s, h) => s + cosine(stored(hits[0]!.id), stored(h.id)), 0) / tail.length;
    const centredMean = tail.reduce((s, h) => s + h.score, 0) / tail.length;
    expect(rawMean).toBeGreaterThan(0.8);
    expect(centredMean).toBeLessThan(rawMean - 0.4);
  });

  it('learns a PCA-whitening once the folder has pcaMin photos and rebuilds the index under a new stamp', async () => {
    const before = indexFiles();
    await addScenes(12, 42);
    const lines = recordingLogger();
    await engine.close();
    engine = await openTestEngine(data, { whitening: POLICY, logger: lines });
    await engine.indexer.run();
    const info = engine.model.transformInfo();
    expect(info).toMatchObject({ kind: 'pca', samples: 42, outputDim: 10 });
    expect(info!.id).toMatch(/^pca-10-/);
    expect(readdirSync(data)).toContain(WHITENING_FILE);
    expect(lines.lines.join('\n')).toMatch(/learned the vector transform/);
    // The old index file is gone, the new one has another stamp.
    const after = indexFiles();
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(before[0]);
    const { hits } = await engine.search.byImage({ kind: 'path', path: copy }, { k: 5, expand: false });
    expect(top(hits)).toBe(join(photos, 'p3.jpg'));
    expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score + 0.2);
    // Query expansion (on by default once whitened) keeps the near-copy first.
    const expanded = await engine.search.byImage({ kind: 'path', path: copy }, { k: 5 });
    expect(top(expanded.hits)).toBe(join(photos, 'p3.jpg'));
  });

  it('keeps the transform across restarts and re-learns only after the folder grew by the regrow factor', async () => {
    const id = engine.model.transformInfo()!.id;
    await engine.close();
    const lines = recordingLogger();
    engine = await openTestEngine(data, { whitening: POLICY, logger: lines });
    expect(engine.model.transformInfo()!.id).toBe(id);
    await addScenes(42, 55); // 55 < 1.5 × 42: no re-learning
    await engine.indexer.run();
    expect(engine.model.transformInfo()!.id).toBe(id);
    expect(lines.lines.join('\n')).not.toMatch(/rebuilding it from/);
    await addScenes(55, 64); // 64 ≥ 63
    await engine.indexer.run();
    expect(engine.model.transformInfo()).toMatchObject({ kind: 'pca', samples: 64 });
    expect(engine.model.transformInfo()!.id).not.toBe(id);
    const { hits } = await engine.search.byImage({ kind: 'path', path: copy }, { k: 3 });
    expect(top(hits)).toBe(join(photos, 'p3.jpg'));
  });
});
