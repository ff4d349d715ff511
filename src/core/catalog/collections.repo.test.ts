import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nullLogger } from '../base/logger.js';
import { openCatalog, type Catalog } from './catalog.js';

describe('CollectionsRepo.resolve', () => {
  let dir: string;
  let catalog: Catalog;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lookalike-collections-'));
    catalog = openCatalog(join(dir, 'catalog.sqlite'), nullLogger);
    for (const name of ['shop', 'rival', 'archive']) catalog.collections.ensure(name);
  });
  afterEach(() => {
    catalog.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('means every collection, by name, when no names are given', () => {
    const all = ['archive', 'rival', 'shop'];
    expect(catalog.collections.resolve(undefined).map((c) => c.name)).toEqual(all);
    expect(catalog.collections.resolve([]).map((c) => c.name)).toEqual(all);
  });

  it('keeps the order first named and drops repeats', () => {
    expect(catalog.collections.resolve(['shop', 'archive', 'shop']).map((c) => c.name)).toEqual(['shop', 'archive']);
  });

  it('refuses an unknown name', () => {
    expect(() => catalog.collections.resolve(['shop', 'nope'])).toThrow(expect.objectContaining({ code: 'COLLECTION_NOT_FOUND' }));
  });
});
