/**
 * The statements that moved into the catalog from the features (dedupe, match, OCR, doctor, forget), on a real
 * SQLite file: what each repository method returns after the writes a feature makes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CollectionId } from '../../shared/types.js';
import { nullLogger } from '../base/logger.js';
import { openCatalog, type Catalog } from './catalog.js';
import type { NewIndexedItem } from './items.repo.js';
import { rawDatabase } from './raw-database.js';

const vector = Buffer.alloc(8, 1);

describe('catalog repositories', () => {
  let dir: string;
  let catalog: Catalog;
  let shop: CollectionId;
  let rival: CollectionId;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lookalike-repos-'));
    catalog = openCatalog(join(dir, 'catalog.sqlite'), nullLogger);
    shop = catalog.collections.ensure('shop').id;
    rival = catalog.collections.ensure('rival').id;
  });
  afterEach(() => {
    catalog.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const item = (collectionId: CollectionId, name: string, hash: string, modelId = 'm1'): NewIndexedItem => ({
    collectionId,
    path: `/p/${name}.jpg`,
    size: 10,
    mtimeMs: 5,
    hash: Buffer.from(hash),
    width: 2,
    height: 3,
    format: 'jpeg',
    modelId,
    dim: 4,
    vector,
  });

  it("knows an item by its OCR text, its product's title and brand, and its product's other photos' text", () => {
    const a = catalog.items.insertIndexed(item(shop, 'a', 'h1'));
    const b = catalog.items.insertIndexed(item(shop, 'b', 'h2'));
    const c = catalog.items.insertIndexed(item(shop, 'c', 'h3'));
    const lone = catalog.items.insertIndexed(item(shop, 'd', 'h4'));
    const silent = catalog.items.insertIndexed(item(rival, 'e', 'h5'));
    catalog.text.put({ itemId: a, text: 'MELLANMJOLK', lines: '[]', modelId: 'ocr1', madeAt: 7 });
    catalog.text.put({ itemId: b, text: 'ARLA 1,5%', lines: '[]', modelId: 'ocr1', madeAt: 7 });
    catalog.text.put({ itemId: lone, text: 'JUICE', lines: '[]', modelId: 'ocr1', madeAt: 7 });
    const { id } = catalog.products.upsert(shop, { sku: 'S1', title: 'Medium fat milk', brand: 'Arla', category: null, price: null, currency: null, url: null });
    catalog.products.setImages(shop, id, ['/p/a.jpg', '/p/b.jpg', '/p/c.jpg']);
    const known = catalog.text.knownTexts([a, c, lone, silent]);
    expect(known.get(a)!.split('\n').sort()).toEqual(['ARLA 1,5%', 'Arla', 'MELLANMJOLK', 'Medium fat milk']);
    // An item without text of its own is known by its product's.
    expect(known.get(c)!.split('\n').sort()).toEqual(['ARLA 1,5%', 'Arla', 'MELLANMJOLK', 'Medium fat milk']);
    expect(known.get(lone)).toBe('JUICE');
    expect(known.has(silent)).toBe(false);
    expect(catalog.text.knownTexts([c], 1).get(c)!.split('\n')).toEqual(['Medium fat milk', 'Arla', 'MELLANMJOLK']);
  });

  it('puts a journalled row back only where its path is free, with its embedding', () => {
    const first = catalog.items.insertIndexedUnlessTaken(item(shop, 'a', 'h1'));
    expect(first).toBeDefined();
    expect(catalog.items.insertIndexedUnlessTaken(item(shop, 'a', 'h2'))).toBeUndefined();
    // The same path in another collection is another item.
    expect(catalog.items.insertIndexedUnlessTaken(item(rival, 'a', 'h1'))).toBeDefined();
    expect(catalog.items.totals()).toEqual({ items: 2, vectors: 2, failed: 0, pending: 0 });
    expect(catalog.items.hash(first!)).toEqual(Buffer.from('h1'));
    expect(catalog.items.vector(first!)).toEqual({ modelId: 'm1', dim: 4, vector });
  });

  it('reads the embedded items of a scope with their hash and vector, by id', () => {
    const a = catalog.items.insertIndexed(item(shop, 'a', 'h1'));
    catalog.items.insertIndexed(item(shop, 'b', 'h2', 'm2'));
    const c = catalog.items.insertIndexed(item(rival, 'c', 'h3'));
    catalog.items.insertFailed({ collectionId: shop, path: '/p/bad.jpg', size: 1, mtimeMs: 1, hash: null, code: 'CORRUPT_IMAGE', reason: 'x' });
    const rows = catalog.items.embedded([shop, rival], 'm1');
    expect(rows.map((r) => r.id)).toEqual([a, c]);
    expect(rows[0]).toEqual({ ...catalog.items.get(a), hash: Buffer.from('h1'), vector, dim: 4, modelId: 'm1' });
    expect(catalog.items.embedded([], 'm1')).toEqual([]);
    expect(catalog.items.embeddedByOtherModel('m1').map((r) => r.path)).toEqual(['/p/b.jpg']);
    expect(catalog.items.indexedWithoutVector()).toEqual([]);
    rawDatabase(catalog).prepare('DELETE FROM embeddings WHERE item_id = ?').run(c);
    expect(catalog.items.indexedWithoutVector()).toEqual([{ id: c, path: '/p/c.jpg' }]);
    expect([...catalog.items.contentKeys()].map((k) => k.hash?.toString() ?? null)).toEqual(['h1', 'h2', 'h3', null]);
  });

  it('keeps OCR text per item and forgets a collection’s text when OCR is turned off', () => {
    const a = catalog.items.insertIndexed(item(shop, 'a', 'h1'));
    const b = catalog.items.insertIndexed(item(rival, 'b', 'h2'));
    expect(catalog.text.ocrEnabled(shop)).toBe(false);
    catalog.text.setOcrEnabled(shop, true);
    expect(catalog.text.ocrEnabled(shop)).toBe(true);
    catalog.text.put({ itemId: a, text: '牛奶 milk', lines: '[]', modelId: 'ocr1', madeAt: 7 });
    catalog.text.put({ itemId: b, text: 'tea', lines: '[]', modelId: 'ocr1', madeAt: 7 });
    expect(catalog.text.get(a)).toEqual({ itemId: a, text: '牛奶 milk', lines: '[]', modelId: 'ocr1', madeAt: 7 });
    expect(catalog.text.indexedItems(shop)).toEqual([{ id: a, path: '/p/a.jpg', modelId: 'ocr1' }]);
    expect(rawDatabase(catalog).prepare('SELECT fts_text FROM item_text WHERE item_id = ?').pluck().get(a)).toBe(' 牛  奶  milk');
    expect(catalog.text.clear(shop)).toEqual([a]);
    expect(catalog.text.get(a)).toBeUndefined();
    expect(catalog.text.get(b)?.text).toBe('tea');
  });

  it('records, replaces and forgets match decisions by content pair', () => {
    const [x, y, z] = [Buffer.from('x'), Buffer.from('y'), Buffer.from('z')];
    catalog.matchDecisions.set(x, y, 'rejected');
    catalog.matchDecisions.set(x, y, 'accepted');
    catalog.matchDecisions.set(x, z, 'rejected');
    const decisionOf = catalog.matchDecisions.lookup();
    expect([decisionOf(x, y), decisionOf(x, z), decisionOf(y, x)]).toEqual(['accepted', 'rejected', undefined]);
    expect(catalog.matchDecisions.accepted()).toEqual([{ oursHash: x, theirsHash: y }]);
    catalog.matchDecisions.set(x, y, null);
    expect(catalog.matchDecisions.accepted()).toEqual([]);
  });

  it('lists the contents of a collection that lack a signature of the current version', () => {
    catalog.items.insertIndexed(item(shop, 'b', 'h1'));
    catalog.items.insertIndexed(item(shop, 'a', 'h1'));
    catalog.items.insertIndexed(item(shop, 'c', 'h2'));
    catalog.items.insertIndexed(item(rival, 'd', 'h3'));
    expect(catalog.signatures.unsigned(shop, 2).map((r) => [r.hash.toString(), r.path])).toEqual([
      ['h1', '/p/a.jpg'],
      ['h2', '/p/c.jpg'],
    ]);
    catalog.signatures.put([{ hash: Buffer.from('h1'), signature: Buffer.from('sig') }], 2);
    expect(catalog.signatures.unsigned(shop, 2).map((r) => r.hash.toString())).toEqual(['h2']);
    // A signature of another version counts as missing.
    expect(catalog.signatures.unsigned(shop, 3).map((r) => r.hash.toString())).toEqual(['h1', 'h2']);
    const stored = catalog.signatures.lookup(2);
    expect([stored(Buffer.from('h1')), stored(Buffer.from('h2'))]).toEqual([Buffer.from('sig'), undefined]);
  });

  it('forgets a collection with what only its content had, and reports what it held', () => {
    const a = catalog.items.insertIndexed(item(shop, 'a', 'shared'));
    const b = catalog.items.insertIndexed(item(shop, 'b', 'only-shop'));
    catalog.items.insertIndexed(item(rival, 'c', 'shared'));
    catalog.signatures.put(
      [
        { hash: Buffer.from('shared'), signature: Buffer.from('s1') },
        { hash: Buffer.from('only-shop'), signature: Buffer.from('s2') },
      ],
      2,
    );
    catalog.matchDecisions.set(Buffer.from('only-shop'), Buffer.from('shared'), 'accepted');
    expect(catalog.forgetCollection(shop)).toEqual({ itemIds: [a, b], vectors: 2 });
    expect(catalog.collections.list().map((c) => c.name)).toEqual(['rival']);
    const stored = catalog.signatures.lookup(2);
    expect([stored(Buffer.from('shared')), stored(Buffer.from('only-shop'))]).toEqual([Buffer.from('s1'), undefined]);
    expect(catalog.matchDecisions.accepted()).toEqual([]);
    expect(catalog.integrity.problems()).toEqual([]);
  });
});
