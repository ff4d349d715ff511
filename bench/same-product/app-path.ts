/**
 * The app's own code for capabilities 2 and 4, fed with the bench's cached descriptors (the `acc` variant is the
 * app's stored vector, cosine 1.0000000 against `openEmbedder`): a temporary catalog (real SQLite) holds the
 * folder's photos as f16 embeddings with their SKUs linked as an import links them; the app's ModelState learns
 * the folder's transform (the unsupervised whitening, then the product-data check) exactly as after an index run;
 * queries go through the learned VectorTransform; verdicts through vectors/calibration.ts with the calibration
 * the folder ends up with (its own, or the built-in one).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCatalog, type Catalog } from '../../src/core/catalog/catalog.js';
import { encodeF16 } from '../../src/core/base/f16.js';
import { nullLogger } from '../../src/core/base/logger.js';
import { ModelState } from '../../src/core/models/model-state.js';
import type { Calibration } from '../../src/core/vectors/calibration.js';
import type { VectorTransform } from '../../src/core/vectors/transform.js';
import { DEFAULT_WHITENING_POLICY, type WhiteningPolicy } from '../../src/core/vectors/whitening-store.js';
import { asCollectionId } from '../../src/shared/types.js';

export const ACCURATE = 'accurate@2.1.0+d172fc0182a7';

export interface FolderPhoto {
  path: string;
  vector: Float32Array;
  /** The SKU its import names (undefined: not labelled). */
  sku: string | undefined;
}

export interface AppSpace {
  transform: VectorTransform;
  kind: string;
  calibration: Calibration | undefined;
  /** What the product-data check measured (when it ran). */
  supervision: { kept: boolean; tried: string; current: number; candidate: number; queries: number } | undefined;
  seconds: number;
}

/** A data folder holding `photos`, its transform learned by the app under `policy`. */
export async function appSpace(photos: readonly FolderPhoto[], policy: WhiteningPolicy): Promise<AppSpace> {
  const dir = mkdtempSync(join(tmpdir(), 'lookalike-bench-app-'));
  let catalog: Catalog | undefined;
  let model: ModelState | undefined;
  try {
    catalog = openCatalog(join(dir, 'catalog.sqlite'), nullLogger);
    const c = catalog;
    const dim = photos[0]!.vector.length;
    c.transaction(() => {
      c.meta.set('model_id', 'accurate');
      c.meta.set('embedder_id', ACCURATE);
      c.meta.set('dimensions', String(dim));
      const collectionId = asCollectionId(c.collections.ensure('folder').id);
      const bySku = new Map<string, string[]>();
      photos.forEach((p, i) => {
        c.items.insertIndexed({
          collectionId,
          path: p.path,
          size: 1,
          mtimeMs: 1,
          hash: Buffer.from(String(i).padEnd(32, '.')),
          width: 1,
          height: 1,
          format: 'jpeg',
          modelId: ACCURATE,
          dim,
          vector: encodeF16(p.vector),
        });
        if (p.sku !== undefined) bySku.set(p.sku, [...(bySku.get(p.sku) ?? []), p.path]);
      });
      for (const [sku, paths] of bySku) {
        const { id } = c.products.upsert(collectionId, { sku, title: null, brand: null, category: null, price: null, currency: null, url: null });
        c.products.setImages(collectionId, id, paths);
      }
    });
    model = new ModelState({
      catalog,
      dataDir: dir,
      logger: nullLogger,
      whitening: policy,
      openEmbedder: () => Promise.reject(new Error('the bench embeds nothing')),
    });
    const t0 = performance.now();
    await model.updateWhitening();
    const seconds = (performance.now() - t0) / 1000;
    const transform = model.transform()!;
    const info = model.transformInfo()!;
    // The record is in the stored file's header; the model state exposes the calibration.
    const { readWhitening } = await import('../../src/core/vectors/whitening-store.js');
    const stored = readWhitening(dir, ACCURATE, dim, nullLogger);
    return { transform, kind: info.kind, calibration: model.calibration(), supervision: stored?.supervision, seconds };
  } finally {
    await model?.close();
    catalog?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The app's policy with or without learning from product data. */
export function policyWith(learn: boolean, overrides: Partial<WhiteningPolicy> = {}): WhiteningPolicy {
  const { supervision, ...rest } = DEFAULT_WHITENING_POLICY;
  return { ...rest, ...(learn && supervision ? { supervision } : {}), ...overrides };
}
