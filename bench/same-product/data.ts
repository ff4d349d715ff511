/**
 * grocery-dev as the bench uses it: products, their family and iconic photo, the labelled store photos, and
 * the splits (tuning only ever sees train/: a stratified 25% of each product's train photos are the dev queries,
 * the rest the fit set that any projection is learned from; val/ is reported, never tuned on).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32 } from '../../src/core/base/linalg.js';

export type Family = 'Fruit' | 'Vegetables' | 'Packages';
export const FAMILIES: readonly Family[] = ['Fruit', 'Vegetables', 'Packages'];

export interface Product {
  id: number;
  name: string;
  family: Family;
  iconic: string;
  description: string;
}

export interface Photo {
  path: string;
  product: number;
}

export interface GroceryData {
  products: Product[];
  train: Photo[];
  val: Photo[];
  /** Train photos split by product: dev queries (25%) and the fit set (75%). */
  devQueries: Photo[];
  fit: Photo[];
  /** Products whose labels a product-disjoint check may learn from (about 60), and the held-out rest. */
  seenProducts: Set<number>;
}

function readList(root: string, file: string): Photo[] {
  return readFileSync(join(root, file), 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const [path, fine] = line.split(',').map((s) => s.trim());
      return { path: join(root, path!), product: Number(fine) };
    });
}

function shuffled<T>(items: readonly T[], rand: () => number): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

export function loadGrocery(root: string, seed = 20): GroceryData {
  const rows = readFileSync(join(root, 'classes.csv'), 'utf8').trim().split('\n').slice(1);
  const products = rows.map((row): Product => {
    const f = row.split(',');
    const iconic = join(root, f[4]!.trim());
    const family = f[4]!.split('/')[2] as Family;
    if (!FAMILIES.includes(family)) throw new Error(`unknown family in ${row}`);
    return { id: Number(f[1]), name: f[0]!, family, iconic, description: join(root, f[5]!.trim()) };
  });
  const train = readList(root, 'train.txt');
  const val = readList(root, 'val.txt');
  const rand = mulberry32(seed);
  const devQueries: Photo[] = [];
  const fit: Photo[] = [];
  for (const p of products) {
    const mine = shuffled(train.filter((t) => t.product === p.id), rand);
    const k = Math.round(mine.length * 0.25);
    devQueries.push(...mine.slice(0, k));
    fit.push(...mine.slice(k));
  }
  // Product-disjoint: 60 products seen, 21 held out, stratified by family.
  const seenProducts = new Set<number>();
  for (const fam of FAMILIES) {
    const ids = shuffled(products.filter((p) => p.family === fam).map((p) => p.id), rand);
    ids.slice(0, Math.round((ids.length * 60) / products.length)).forEach((id) => seenProducts.add(id));
  }
  return { products, train, val, devQueries, fit, seenProducts };
}

/** Every n-th of the clothes-train photos (sorted), as unrelated distractors in the catalog. */
export function clothesDistractors(root: string, count: number): string[] {
  const all = readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => readdirSync(join(root, d.name)).sort().map((f) => join(root, d.name, f)))
    .sort();
  const step = Math.max(1, Math.floor(all.length / count));
  return all.filter((_, i) => i % step === 0).slice(0, count);
}
