/** Product CSV import, filters and free text combined with visual search, and category suggestions, end to end. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli as cli } from '../support/cli-run.js';
import type { Engine } from '../../src/core/app/engine.js';
import { scene, writeScene } from '../support/synthetic.js';
import { openTestEngine, tempDir, TEST_MODEL, type TempDir } from './helpers.js';

const FILES: Record<string, number> = {
  'dresses/linen-blue.jpg': 100,
  'dresses/linen-blue-back.jpg': 101,
  'hats/straw-1.jpg': 102,
  'hats/straw-2.jpg': 103,
  'shoes/run-1.png': 104,
  'shoes/run-1-side.png': 105,
  'misc/orphan.jpg': 106,
};

// Semicolons, a BOM, quoted fields (a semicolon inside one), a glob, two images in one cell, a repeated SKU row
// adding an image, a SKU whose image does not exist and a row without a SKU.
const FIRST_CSV =
  '\uFEFFProduct ID;Name;Brand;Category;Price;Currency;Image\r\n' +
  'D-1;"Linen dress; blue";Acme;Dresses;"49,90";EUR;dresses/linen-blue*.jpg\r\n' +
  'H-1;Straw hat;Zeta;Hats;19;EUR;straw-1.jpg|straw-2.jpg\r\n' +
  'S-1;Runner;Acme;Shoes;120;EUR;run-1.png\r\n' +
  'S-1;;;;;;shoes/run-1-side.png\r\n' +
  'X-9;Ghost;Acme;Dresses;10;EUR;ghost.jpg\r\n' +
  ';no sku;;;;;\r\n';

describe('products: CSV import, filters, text and visual search, categories (real model, SQLite FTS5)', () => {
  let tmp: TempDir;
  let engine: Engine;
  let data: string;
  const photo = (rel: string) => join(tmp.path, 'photos', rel);

  beforeAll(async () => {
    tmp = tempDir('products');
    data = join(tmp.path, 'data');
    await Promise.all(Object.entries(FILES).map(([rel, seed]) => writeScene(photo(rel), seed)));
    // An uncategorized near-copy of the dress, for the category vote.
    mkdirSync(join(tmp.path, 'photos', 'misc'), { recursive: true });
    writeFileSync(photo('misc/copy-of-dress.jpg'), await scene(100).resize(200).jpeg({ quality: 60 }).toBuffer());
    writeFileSync(join(tmp.path, 'first.csv'), FIRST_CSV);
    engine = await openTestEngine(data);
    engine.library.addFolder('shop', join(tmp.path, 'photos'));
  });

  afterAll(async () => {
    await engine?.close();
    tmp?.remove();
  });

  it('previews the first rows and the detected mapping without writing', async () => {
    const r = await engine.localApi['catalog:importCsv']({
      collection: 'shop',
      source: { kind: 'path', path: join(tmp.path, 'first.csv') },
      preview: true,
      previewRows: 2,
    });
    expect(r.summary).toBeNull();
    expect(r.delimiter).toBe(';');
    expect(r.mapping).toEqual({
      sku: 'Product ID',
      title: 'Name',
      brand: 'Brand',
      category: 'Category',
      price: 'Price',
      currency: 'Currency',
      url: null,
      image: 'Image',
    });
    expect(r.sample).toEqual([
      ['D-1', 'Linen dress; blue', 'Acme', 'Dresses', '49,90', 'EUR', 'dresses/linen-blue*.jpg'],
      ['H-1', 'Straw hat', 'Zeta', 'Hats', '19', 'EUR', 'straw-1.jpg|straw-2.jpg'],
    ]);
    expect(engine.catalog.products.count(engine.catalog.collections.require('shop').id)).toBe(0);
    // Over a transport a CSV path must lie inside a collection's folders (the text form has no such limit).
    await expect(
      engine.api['catalog:importCsv']({ collection: 'shop', source: { kind: 'path', path: join(tmp.path, 'first.csv') }, preview: true, previewRows: 1 }),
    ).rejects.toMatchObject({ code: 'PATH_OUTSIDE_ROOTS' });
    await expect(
      engine.api['catalog:importCsv']({ collection: 'shop', source: { kind: 'text', text: 'title\nx\n' }, preview: false, previewRows: 1 }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/No SKU column/) });
  });

  it('imports before indexing and reports unmatched rows and images (CLI)', async () => {
    await engine.close();
    const r = await cli(['--data', data, '--model', TEST_MODEL, 'import', join(tmp.path, 'first.csv'), '--collection', 'shop', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout).summary;
    expect(s).toMatchObject({ rows: 6, products: 4, inserted: 4, updated: 0, imagesLinked: 6, conflicts: [] });
    expect(s.skippedRows).toEqual([{ row: 6, reason: 'no SKU' }]);
    expect(s.unmatchedRows).toEqual([{ row: 5, sku: 'X-9', missing: ['ghost.jpg'] }]);
    expect(s.unmatchedImages).toEqual([photo('misc/copy-of-dress.jpg'), photo('misc/orphan.jpg')]);
    engine = await openTestEngine(data);
    const [summary] = await engine.indexer.run();
    expect(summary!.indexed).toBe(8);
  });

  it('carries the product on search hits and items:get; items indexed after the import are searchable by text', async () => {
    const { hits } = await engine.search.byImage({ kind: 'buffer', bytes: await scene(104).resize(160).jpeg().toBuffer() }, { k: 8 });
    expect(hits[0]).toMatchObject({
      path: photo('shoes/run-1.png'),
      product: { sku: 'S-1', title: 'Runner', brand: 'Acme', category: 'Shoes', price: 120, currency: 'EUR', url: null },
    });
    expect(hits.find((h) => h.path === photo('misc/orphan.jpg'))?.product).toBeNull();
    const item = await engine.api['items:get']({ id: hits[0]!.id });
    expect(item.product?.sku).toBe('S-1');
    const found = engine.search.byText({ text: 'linen dress' }, { k: 10 });
    expect(found.hits.map((h) => h.path).sort()).toEqual([photo('dresses/linen-blue-back.jpg'), photo('dresses/linen-blue.jpg')]);
  });

  it('filters by brand, category, price and text, alone and combined', () => {
    const paths = (filter: Parameters<Engine['search']['byText']>[0]) =>
      engine.search
        .byText(filter, { k: 50 })
        .hits.map((h) => h.path.slice(photo('').length + 1))
        .sort();
    expect(paths({ brand: ['acme'] })).toEqual(['dresses/linen-blue-back.jpg', 'dresses/linen-blue.jpg', 'shoes/run-1-side.png', 'shoes/run-1.png']);
    expect(paths({ priceMax: 50, priceMaxExclusive: true })).toEqual(['dresses/linen-blue-back.jpg', 'dresses/linen-blue.jpg', 'hats/straw-1.jpg', 'hats/straw-2.jpg']);
    expect(paths({ priceMin: 49.9, priceMax: 120 })).toEqual(['dresses/linen-blue-back.jpg', 'dresses/linen-blue.jpg', 'shoes/run-1-side.png', 'shoes/run-1.png']);
    expect(paths({ brand: ['Acme'], priceMin: 100 })).toEqual(['shoes/run-1-side.png', 'shoes/run-1.png']);
    expect(paths({ category: ['hats', 'shoes'], text: 'side' })).toEqual(['shoes/run-1-side.png']);
    // File names are searchable; words are prefixes only at the end; FTS syntax in the input is literal.
    expect(paths({ text: 'orphan' })).toEqual(['misc/orphan.jpg']);
    expect(paths({ text: 'S-1' })).toEqual(['shoes/run-1-side.png', 'shoes/run-1.png']);
    expect(paths({ text: 'NEAR( "' })).toEqual([]);
  });

  it('ranks the filtered candidates exactly by similarity', async () => {
    const query = await scene(102).resize(150).webp({ quality: 50 }).toBuffer();
    const all = await engine.search.byImage({ kind: 'buffer', bytes: query }, { k: 8 });
    const zeta = await engine.search.byImage({ kind: 'buffer', bytes: query }, { k: 8, filter: { brand: ['Zeta'] } });
    expect(zeta.hits.map((h) => h.path)).toEqual([photo('hats/straw-1.jpg'), photo('hats/straw-2.jpg')]);
    // Exact cosine over the stored (f16) vectors agrees with the index's scores.
    for (const h of zeta.hits) expect(h.score).toBeCloseTo(all.hits.find((a) => a.id === h.id)!.score, 2);
    const none = await engine.search.byImage({ kind: 'buffer', bytes: query }, { k: 8, filter: { brand: ['Nobody'] } });
    expect(none.hits).toEqual([]);
  });

  it('re-import updates products in place (comma CSV, glob, different mapping) and the text index follows', async () => {
    const csv = 'sku,name,maker,group,cost,file,link\nH-1,"Panama hat, straw",Zeta,Hats,25.00,hats/*.jpg,https://example.com/h1\n';
    const r = await engine.localApi['catalog:importCsv']({
      collection: 'shop',
      source: { kind: 'text', text: csv },
      mapping: { brand: 'maker', category: 'group', price: 'cost', image: 'file' },
      preview: false,
      previewRows: 0,
    });
    expect(r.summary).toMatchObject({ products: 1, inserted: 0, updated: 1, imagesLinked: 2 });
    expect(engine.catalog.products.count(engine.catalog.collections.require('shop').id)).toBe(4);
    const hits = engine.search.byText({ text: 'panama' }, { k: 10 }).hits;
    expect(hits).toHaveLength(2);
    expect(hits[0]!.product).toEqual({ sku: 'H-1', title: 'Panama hat, straw', brand: 'Zeta', category: 'Hats', price: 25, currency: null, url: 'https://example.com/h1' });
    expect(engine.search.byText({ text: 'straw hat' }, { k: 10 }).hits).toHaveLength(2);
    expect(engine.search.byText({ text: 'runner' }, { k: 10 }).hits).toHaveLength(2);
  });

  it('prints the product in search --json and honours --where and --text (CLI)', async () => {
    await engine.close();
    const query = join(tmp.path, 'q.jpg');
    writeFileSync(query, await scene(100).resize(180).jpeg().toBuffer());
    const r = await cli(['--data', data, '--model', TEST_MODEL, 'search', query, '--json', '--where', 'brand=Acme,price<100', '--text', 'linen']);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.results.map((h: { path: string }) => h.path)).toEqual([photo('dresses/linen-blue.jpg'), photo('dresses/linen-blue-back.jpg')]);
    expect(out.results[0].product).toMatchObject({ sku: 'D-1', brand: 'Acme', price: 49.9 });
    const plain = await cli(['--data', data, '--model', TEST_MODEL, 'search', query, '--json', '-k', '10']);
    const orphan = JSON.parse(plain.stdout).results.find((h: { path: string }) => h.path === photo('misc/orphan.jpg'));
    expect(orphan).toBeDefined();
    expect(orphan.product).toBeUndefined();
    const find = await cli(['--data', data, 'find', '--text', 'runner', '--where', 'price>=100', '--json']);
    expect(JSON.parse(find.stdout).results.map((h: { product: { sku: string } }) => h.product.sku)).toEqual(['S-1', 'S-1']);
    const bad = await cli(['--data', data, 'find', '--where', 'colour=red']);
    expect(bad.code).toBe(2);
    engine = await openTestEngine(data);
  });

  it('suggests categories by neighbour vote and accepts them in bulk', async () => {
    const s = await engine.api['categories:suggest']({ k: 1, minConfidence: 0 });
    expect(s.uncategorized).toBe(2);
    const copy = s.suggestions.find((x) => x.item.path === photo('misc/copy-of-dress.jpg'));
    expect(copy).toMatchObject({ category: 'Dresses', confidence: 1, votes: 1 });
    const strict = await engine.api['categories:suggest']({ k: 5, minConfidence: 0.99 });
    expect(strict.suggestions.length).toBeLessThanOrEqual(s.suggestions.length);
    const accepted = await engine.api['categories:accept']({ k: 1, minConfidence: 0.5 });
    expect(accepted.accepted).toBe(2);
    const dresses = engine.search.byText({ category: ['dresses'] }, { k: 10 }).hits.map((h) => h.path);
    expect(dresses).toContain(photo('misc/copy-of-dress.jpg'));
    expect((await engine.api['categories:suggest']({ k: 1, minConfidence: 0 })).uncategorized).toBe(0);
  });

  it('carries the product in dupes --json and match --json (CLI)', async () => {
    await writeScene(join(tmp.path, 'rivals', 'their-runner.jpg'), 104);
    engine.library.addFolder('rivals', join(tmp.path, 'rivals'));
    await engine.indexer.run(['rivals']);
    await engine.close();
    const dupes = await cli(['--data', data, '--model', TEST_MODEL, 'dupes', '--collection', 'shop', '--json']);
    expect(dupes.stderr).toBe('');
    const group = JSON.parse(dupes.stdout).groups.find((g: { keeper: string }) => g.keeper === photo('dresses/linen-blue.jpg'));
    expect(group).toMatchObject({ keeperProduct: { sku: 'D-1' }, items: [{ path: photo('misc/copy-of-dress.jpg') }] });
    expect(group.items[0].product).toBeUndefined();
    const match = await cli(['--data', data, '--model', TEST_MODEL, 'match', '--ours', 'shop', '--theirs', 'rivals', '--json']);
    expect(match.stderr).toBe('');
    const row = match.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .find((r: { ours: string }) => r.ours === photo('shoes/run-1.png'));
    expect(row.product).toMatchObject({ sku: 'S-1', title: 'Runner' });
    expect(row.matches[0]).toMatchObject({ path: join(tmp.path, 'rivals', 'their-runner.jpg') });
    expect(row.matches[0].product).toBeUndefined();
    engine = await openTestEngine(data);
  });
});
