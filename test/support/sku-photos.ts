/**
 * Synthetic embeddings of a catalog with one studio shot per SKU and several store photos per SKU (issue 20's
 * "evidence from a product's other photos", search/product-evidence.ts), for tests that write vectors to a real
 * catalog as the index job would. Each SKU has a product direction; store photos of one SKU sit close together; a
 * studio shot mixes its own product with the next SKU's, slightly more of the latter (another angle, another
 * light): no projection can tell it from that SKU's store photos, so the plain ranking picks the wrong studio shot.
 * A few light and camera directions shared by every photo with random weights are what a projection learned from
 * product data removes, so a folder holding these photos with their SKUs learns one (and its calibration).
 */
import { mulberry32 } from '../../src/core/base/linalg.js';

export interface SkuPhoto {
  /** File name: `studio-NN.jpg` or `store-NN-P.jpg` (NN the SKU's number, two digits). */
  file: string;
  sku: string;
  vector: Float32Array;
}

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
}

function unit(v: Float32Array): Float32Array {
  const n = Math.hypot(...v) || 1;
  return v.map((x) => x / n);
}

/** `skus` studio shots and `storePhotos` store photos per SKU, `dim`-dimensional unit vectors, seeded. */
export function studioAndStorePhotos(seed: number, skus: number, storePhotos: number, dim: number): { catalog: SkuPhoto[]; store: SkuPhoto[] } {
  const rand = mulberry32(seed);
  const randomVector = () => unit(Float32Array.from({ length: dim }, () => gaussian(rand)));
  const shared = Array.from({ length: 4 }, randomVector);
  const lit = (v: Float32Array) => {
    for (const d of shared) {
      const w = 1.2 * gaussian(rand);
      for (let j = 0; j < dim; j++) v[j] = v[j]! + w * d[j]!;
    }
    return unit(v);
  };
  const products = Array.from({ length: skus }, randomVector);
  const name = (s: number) => String(s).padStart(2, '0');
  const catalog: SkuPhoto[] = [];
  const store: SkuPhoto[] = [];
  for (let s = 0; s < skus; s++) {
    const product = products[s]!;
    const next = products[(s + 1) % skus]!;
    catalog.push({ file: `studio-${name(s)}.jpg`, sku: `SKU-${s}`, vector: lit(product.map((x, j) => 0.35 * x + 0.65 * next[j]!)) });
    const shelf = randomVector();
    for (let p = 0; p < storePhotos; p++) {
      const noise = randomVector();
      store.push({ file: `store-${name(s)}-${p}.jpg`, sku: `SKU-${s}`, vector: lit(product.map((x, j) => x + 0.8 * shelf[j]! + 0.25 * noise[j]!)) });
    }
  }
  return { catalog, store };
}
