/**
 * `lookalike eval` for same-product data on generated photos (the real `fast` model, SQLite, usearch): a folder of
 * products (one sub-folder each, several shots of one generated product: other crops, sizes, compression), and query
 * photos against a catalog collection with a CSV of truths. The numbers only have to be sane here; a wrong truth
 * must lower them, and bad input must say what is wrong.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scene } from '../support/synthetic.js';
import { runCli } from '../support/cli-run.js';
import { tempDir, TEST_MODEL, type TempDir } from './helpers.js';

const PRODUCTS = 20;

/** Shot `i` of product `p`: the same generated product, framed, sized and compressed differently. */
async function shot(p: number, i: number): Promise<Buffer> {
  const base = scene(4000 + p * 7, 400, 300);
  const crops = [
    { left: 0, top: 0, width: 400, height: 300 },
    { left: 30, top: 20, width: 340, height: 260 },
    { left: 0, top: 30, width: 360, height: 270 },
  ];
  return base.extract(crops[i % crops.length]!).resize(300 - 40 * i).jpeg({ quality: 90 - 15 * i }).toBuffer();
}

describe('lookalike eval, same product', () => {
  let tmp: TempDir;
  let products: string;
  let catalog: string;
  let queries: string;
  let data: string;

  beforeAll(async () => {
    tmp = tempDir('eval-same');
    products = join(tmp.path, 'products');
    catalog = join(tmp.path, 'catalog');
    queries = join(tmp.path, 'queries');
    data = join(tmp.path, 'data');
    for (const d of [catalog, queries]) mkdirSync(d, { recursive: true });
    const writes: Promise<void>[] = [];
    for (let p = 0; p < PRODUCTS; p++) {
      mkdirSync(join(products, `sku-${p}`), { recursive: true });
      for (let i = 0; i < 3; i++) writes.push(shot(p, i).then((b) => writeFileSync(join(products, `sku-${p}`, `shot-${i}.jpg`), b)));
      writes.push(shot(p, 0).then((b) => writeFileSync(join(catalog, `cat-${p}.jpg`), b)));
      writes.push(shot(p, 2).then((b) => writeFileSync(join(queries, `q-${p}.jpg`), b)));
    }
    await Promise.all(writes);
  });

  afterAll(() => tmp?.remove());

  it('measures a products folder leave-one-out: Recall@1/@5, mAP, verdicts; --learn learns from the folder names', async () => {
    const r = await runCli(['--model', TEST_MODEL, '--device', 'cpu', 'eval', products, '--products', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.lines[0]!);
    expect(Object.keys(report)).toEqual(['mode', 'model', 'dataset', 'retrieval', 'verdicts', 'seconds']);
    expect(report).toMatchObject({ mode: 'products', dataset: { queries: 60, products: PRODUCTS, catalog: 60, failed: 0 } });
    expect(report.retrieval.recallAt1).toBeGreaterThan(0.8);
    expect(report.retrieval.recallAt5).toBeGreaterThanOrEqual(report.retrieval.recallAt1);
    expect(report.retrieval.mapAt10).toBeGreaterThan(0.5);
    // `fast` has no built-in calibration: no verdicts, and the report says why.
    expect(report.verdicts).toMatchObject({ calibration: null, judged: 0 });
    const text = await runCli(['--model', TEST_MODEL, '--device', 'cpu', 'eval', products, '--products']);
    expect(text.stdout).toMatch(/Recall@1 +\d+\.\d%/);
    expect(text.stdout).toMatch(/verdicts +none: this model has no calibration/);

    // Learning from the 20 SKUs gives the folder its own calibration, and so verdicts with their precision.
    const learned = JSON.parse((await runCli(['--model', TEST_MODEL, '--device', 'cpu', 'eval', products, '--products', '--learn', '--json'])).lines[0]!);
    expect(learned.model.transform.kind).toMatch(/^(lda|wcw|center)$/);
    if (learned.verdicts.calibration === 'catalog') {
      expect(learned.verdicts.judged).toBe(60);
      expect(learned.verdicts.same.given + learned.verdicts.similar.given + learned.verdicts.different).toBe(60);
    }
  });

  it('measures query photos against a catalog collection from a CSV of truths (SKU or file)', async () => {
    const index = await runCli(['--data', data, '--model', TEST_MODEL, '--device', 'cpu', 'index', catalog, '--collection', 'shop']);
    expect(index.code, index.stderr).toBe(0);
    const csv = ['sku,image', ...Array.from({ length: PRODUCTS }, (_, p) => `SKU-${p},cat-${p}.jpg`)].join('\n');
    writeFileSync(join(tmp.path, 'products.csv'), csv);
    expect((await runCli(['--data', data, 'import', join(tmp.path, 'products.csv'), '--collection', 'shop'])).code).toBe(0);
    // Half the truths by SKU, half by catalog file; a header row.
    const truths = ['query,expected', ...Array.from({ length: PRODUCTS }, (_, p) => `q-${p}.jpg,${p % 2 === 0 ? `SKU-${p}` : `cat-${p}.jpg`}`)];
    writeFileSync(join(tmp.path, 'truth.csv'), truths.join('\n'));
    const r = await runCli(['--data', data, '--device', 'cpu', 'eval', queries, '--collection', 'shop', '--truth', join(tmp.path, 'truth.csv'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.lines[0]!);
    expect(report).toMatchObject({ mode: 'queries', dataset: { queries: PRODUCTS, products: PRODUCTS, catalog: PRODUCTS, failed: 0, unresolved: 0 } });
    expect(report.retrieval.recallAt1).toBeGreaterThan(0.8);

    // Truths that point at the wrong product score lower; one naming nothing is counted as unresolved.
    const wrong = ['query,expected', ...Array.from({ length: PRODUCTS }, (_, p) => `q-${p}.jpg,SKU-${(p + 1) % PRODUCTS}`), 'q-0.jpg,NO-SUCH-SKU'];
    writeFileSync(join(tmp.path, 'wrong.csv'), wrong.join('\n'));
    const w = JSON.parse((await runCli(['--data', data, '--device', 'cpu', 'eval', queries, '--collection', 'shop', '--truth', join(tmp.path, 'wrong.csv'), '--json'])).lines[0]!);
    expect(w.retrieval.recallAt1).toBeLessThan(0.2);
    expect(w.dataset.unresolved).toBe(1);

    // Bad input: a collection that does not exist, a missing CSV, options that do not go together.
    const missing = await runCli(['--data', data, 'eval', queries, '--collection', 'nope', '--truth', join(tmp.path, 'truth.csv')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/\(COLLECTION_NOT_FOUND\)/);
    const noCsv = await runCli(['--data', data, 'eval', queries, '--collection', 'shop', '--truth', join(tmp.path, 'none.csv')]);
    expect(noCsv.code).toBe(1);
    expect(noCsv.stderr).toMatch(/\(NOT_FOUND\)/);
    const half = await runCli(['--data', data, 'eval', queries, '--collection', 'shop']);
    expect(half.code).toBe(1);
    expect(half.stderr).toMatch(/--collection and --truth go together\. \(INVALID_INPUT\)/);
  });
});
