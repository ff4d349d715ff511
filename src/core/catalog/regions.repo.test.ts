import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nullLogger } from '../base/logger.js';
import { openCatalog, type Catalog } from './catalog.js';
import type { ItemRegion } from './regions.repo.js';
import { rawDatabase } from './raw-database.js';

const vector = Buffer.alloc(8, 1);
const box = { x: 10, y: 20, width: 100, height: 100, area: 0.2 };

describe('product regions in the catalog (migration 0005)', () => {
  let dir: string;
  let catalog: Catalog;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lookalike-regions-'));
    catalog = openCatalog(join(dir, 'catalog.sqlite'), nullLogger);
  });
  afterEach(() => {
    catalog.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const insert = (collection: string, path: string, region?: ItemRegion) =>
    catalog.items.insertIndexed({
      collectionId: catalog.collections.ensure(collection).id,
      path,
      size: 1,
      mtimeMs: 1,
      hash: Buffer.from('same content'),
      width: 200,
      height: 200,
      format: 'jpeg',
      modelId: 'm1',
      dim: 4,
      vector,
      ...(region ? { region } : {}),
    });

  it('stores the main box with the item, and the opt-in per collection', () => {
    const a = insert('a', '/a/1.jpg', { box, averaged: true });
    const b = insert('b', '/b/1.jpg');
    expect(catalog.regions.get(a)).toEqual({ box, averaged: true });
    expect(catalog.regions.get(b)).toBeUndefined();
    const cid = catalog.collections.require('a').id;
    expect(catalog.regions.enabled(cid)).toBe(false);
    catalog.regions.setEnabled(cid, true);
    expect(catalog.regions.enabled(cid)).toBe(true);
    expect(catalog.items.scanRows(cid).map((r) => r.averaged)).toEqual([true]);
    expect(catalog.items.scanRows(catalog.collections.require('b').id).map((r) => r.averaged)).toEqual([false]);
  });

  it('copies a vector by content only of the same kind, with its box', () => {
    const a = insert('a', '/a/1.jpg', { box, averaged: true });
    expect(catalog.items.vectorByHash(Buffer.from('same content'), 'm1', true)).toMatchObject({ itemId: a, region: { box, averaged: true } });
    expect(catalog.items.vectorByHash(Buffer.from('same content'), 'm1', false)).toBeUndefined();
    const b = insert('b', '/b/1.jpg', { box, averaged: false });
    expect(catalog.items.vectorByHash(Buffer.from('same content'), 'm1', false)).toMatchObject({ itemId: b });
  });

  it('forgets the box of a vector replaced by another model, and of a deleted item', () => {
    const a = insert('a', '/a/1.jpg', { box, averaged: true });
    catalog.items.replaceVector(a, 'm2', 4, vector);
    expect(catalog.regions.get(a)).toBeUndefined();
    const b = insert('a', '/a/2.jpg', { box, averaged: false });
    catalog.items.delete(b);
    expect(rawDatabase(catalog).prepare('SELECT COUNT(*) FROM item_regions').pluck().get()).toBe(0);
  });
});
