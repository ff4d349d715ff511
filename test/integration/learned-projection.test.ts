/**
 * The projection learned from product data, end to end on a real catalog (SQLite), the real ONNX matrix kernels
 * and real usearch indexes: synthetic embeddings are written to the catalog as the index job would, products are
 * imported from CSV, the transform is learned as after an index run, and the app's search by item answers.
 *
 * - "helps": each SKU's photos share a product direction, and every photo carries a strong nuisance (a few shared
 *   "lighting / shelf" directions with large random weights) that swamps it: the unsupervised transform ranks by
 *   nuisance, the within-SKU whitening removes it. The learned projection must be kept and measurably raise the
 *   share of items whose nearest other item is of the same SKU.
 * - "no gain": clean clusters that the unsupervised transform already separates perfectly: the check must refuse
 *   the learned projection, and the folder keeps its transform (id unchanged).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/core/app/engine.js';
import { mulberry32 } from '../../src/core/base/linalg.js';
import { DEFAULT_SUPERVISION_POLICY, readWhitening, type WhiteningPolicy } from '../../src/core/vectors/whitening-store.js';
import { importSkus, insertSyntheticItems, SYNTHETIC_EMBEDDER } from '../support/synthetic-catalog.js';
import { openTestEngine, recordingLogger, tempDir, type TempDir } from './helpers.js';

const DIM = 64;
const EMBEDDER = SYNTHETIC_EMBEDDER;
/** PCA from 100 photos, so that the base is the app's PCA-whitening; learning from 10 SKUs on. */
const POLICY: WhiteningPolicy = {
  centerMin: 16,
  pcaMin: 100,
  regrow: 1.5,
  maxDim: 512,
  power: 0.25,
  sampleCap: 4096,
  supervision: { ...DEFAULT_SUPERVISION_POLICY, minSkus: 10 },
};

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
}

function unit(v: Float32Array): Float32Array {
  const n = Math.hypot(...v) || 1;
  return v.map((x) => x / n);
}

interface Photo {
  file: string;
  sku: string;
  vector: Float32Array;
}

/** `skus` products × `photos` photos; `nuisance` scales the shared nuisance directions (0: clean clusters). */
function syntheticCatalog(seed: number, skus: number, photos: number, nuisance: number): Photo[] {
  const rand = mulberry32(seed);
  const nuisanceDirs = Array.from({ length: 4 }, () => unit(Float32Array.from({ length: DIM }, () => gaussian(rand))));
  const out: Photo[] = [];
  for (let s = 0; s < skus; s++) {
    const product = unit(Float32Array.from({ length: DIM }, () => gaussian(rand)));
    for (let p = 0; p < photos; p++) {
      const v = Float32Array.from(product, (x) => x + 0.15 * gaussian(rand));
      for (const d of nuisanceDirs) {
        const w = nuisance * gaussian(rand);
        for (let j = 0; j < DIM; j++) v[j] = v[j]! + w * d[j]!;
      }
      out.push({ file: `sku${s}-${p}.jpg`, sku: `SKU-${s}`, vector: unit(v) });
    }
  }
  return out;
}

function catalogWith(engine: Engine, folder: string, photos: readonly Photo[]): Map<number, string> {
  mkdirSync(folder, { recursive: true });
  const ids = insertSyntheticItems(engine, 'shop', folder, photos);
  return new Map(ids.map((id, i) => [id, photos[i]!.sku]));
}

async function importProducts(engine: Engine, photos: readonly Photo[]): Promise<void> {
  await importSkus(engine, 'shop', photos);
}

/** Share of items whose nearest other item (the app's search by item, usearch) has the same SKU. */
async function nearestSkuRate(engine: Engine, skuOf: Map<number, string>): Promise<number> {
  let right = 0;
  for (const [id, sku] of skuOf) {
    const { hits } = await engine.search.byImage({ kind: 'item', id }, { k: 1, exclude: [id], expand: false });
    if (hits[0] && skuOf.get(hits[0].id) === sku) right++;
  }
  return right / skuOf.size;
}

describe('projection learned from product data', () => {
  let tmp: TempDir | undefined;
  let engine: Engine | undefined;
  afterEach(async () => {
    await engine?.close();
    tmp?.remove();
    engine = undefined;
  });

  it('is learned, kept and raises the nearest-SKU rate where photos of one SKU differ by a shared nuisance', async () => {
    tmp = tempDir('learned');
    const data = join(tmp.path, 'data');
    const lines = recordingLogger();
    engine = await openTestEngine(data, { whitening: POLICY, logger: lines });
    const photos = syntheticCatalog(1, 40, 6, 1.2);
    const skuOf = catalogWith(engine, join(tmp.path, 'shop'), photos);
    // Without product data: the unsupervised PCA-whitening, as today.
    expect(await engine.models.refreshTransform()).toBe(true);
    expect(engine.model.transformInfo()).toMatchObject({ kind: 'pca' });
    const before = await nearestSkuRate(engine, skuOf);

    await importProducts(engine, photos);
    expect(await engine.models.refreshTransform()).toBe(true);
    const info = engine.model.transformInfo()!;
    // Every photo labelled: the LDA step, min(80, SKUs − 1) directions.
    expect(info).toMatchObject({ kind: 'lda', outputDim: 39 });
    expect(info.id).toMatch(/^lda-39-/);
    const after = await nearestSkuRate(engine, skuOf);
    expect(before).toBeLessThan(0.7);
    expect(after).toBeGreaterThan(before + 0.2);
    const stored = readWhitening(data, EMBEDDER, DIM, lines)!;
    expect(stored.supervision).toMatchObject({ kept: true, tried: 'lda', skus: 40, labelled: 240 });
    expect(stored.supervision!.candidate).toBeGreaterThan(stored.supervision!.current + 0.02);
    // The verdict calibration comes from the held-out SKUs of this catalog.
    expect(engine.model.calibration()).toMatchObject({ source: 'catalog' });
    expect(engine.model.calibration()!.samples).toBeGreaterThan(100);

    // Search reads as verdicts: find-similar of a photo calls the other photos of its SKU the same product with a
    // high chance, and the first hit of another SKU not; a text-only hit has no verdict (no photo to compare).
    const [queryId, sku] = [...skuOf][0]!;
    const { hits } = await engine.search.byImage({ kind: 'item', id: queryId }, { k: 12, expand: false });
    const others = hits.filter((h) => h.id !== queryId);
    const mine = others.filter((h) => skuOf.get(h.id) === sku);
    const foreign = others.filter((h) => skuOf.get(h.id) !== sku);
    expect(mine.length).toBeGreaterThan(2);
    expect(mine.filter((h) => h.verdict === 'same').length).toBeGreaterThanOrEqual(Math.ceil(mine.length / 2));
    expect(mine[0]!.confidence!).toBeGreaterThan(0.75);
    expect(foreign[0]!.verdict).not.toBe('same');
    expect(foreign[0]!.confidence!).toBeLessThan(0.5);
    const text = engine.search.byText({ text: 'Product' }, { k: 3 });
    expect(text.hits[0]).toMatchObject({ matchedBy: 'text', verdict: null, confidence: null });

    // Nothing changed: nothing is re-learned. A re-import (product data changed) re-checks, same numbers, same id.
    expect(await engine.models.refreshTransform()).toBe(false);
    await engine.close();
    engine = await openTestEngine(data, { whitening: POLICY, logger: lines });
    expect(engine.model.transformInfo()!.id).toBe(info.id);
    expect(await nearestSkuRate(engine, skuOf)).toBeCloseTo(after, 5);
  });

  it('uses the within-SKU whitening alone when only part of the folder is labelled', async () => {
    tmp = tempDir('learned-part');
    engine = await openTestEngine(join(tmp.path, 'data'), { whitening: POLICY });
    const photos = syntheticCatalog(2, 40, 6, 1.2);
    catalogWith(engine, join(tmp.path, 'shop'), photos);
    // Half of the SKUs labelled.
    await importProducts(engine, photos.filter((p) => Number(p.sku.slice(4)) % 2 === 0));
    await engine.models.refreshTransform();
    expect(engine.model.transformInfo()).toMatchObject({ kind: 'wcw' });
  });

  it('is refused where the folder’s transform already separates the SKUs, and the transform stays as it was', async () => {
    tmp = tempDir('learned-refused');
    const data = join(tmp.path, 'data');
    const lines = recordingLogger();
    engine = await openTestEngine(data, { whitening: POLICY, logger: lines });
    const photos = syntheticCatalog(3, 40, 6, 0);
    const skuOf = catalogWith(engine, join(tmp.path, 'shop'), photos);
    await engine.models.refreshTransform();
    const before = engine.model.transformInfo()!;
    expect(before.kind).toBe('pca');
    const rate = await nearestSkuRate(engine, skuOf);
    await importProducts(engine, photos);
    expect(await engine.models.refreshTransform()).toBe(false);
    expect(engine.model.transformInfo()!.id).toBe(before.id);
    expect(await nearestSkuRate(engine, skuOf)).toBe(rate);
    const stored = readWhitening(data, EMBEDDER, DIM, lines)!;
    expect(stored.kind).toBe('pca');
    expect(stored.supervision).toMatchObject({ kept: false, skus: 40 });
    expect(lines.lines.join('\n')).toMatch(/did not improve the vector transform/);
    // The refusal is remembered for this product data: no second check.
    const checks = lines.lines.filter((l) => /did not improve/.test(l)).length;
    await engine.models.refreshTransform();
    expect(lines.lines.filter((l) => /did not improve/.test(l)).length).toBe(checks);
  });
});
