import { describe, expect, it } from 'vitest';
import { detectMapping, globToRegExp, ImageResolver, parseCsv, parsePrice, resolveMapping } from './csv-import.js';

describe('parseCsv', () => {
  it('reads comma-separated UTF-8 with a BOM and quoted fields (commas, quotes, new lines inside)', () => {
    const text = '\uFEFFsku,title,price\r\nA1,"Linen dress, blue",12.50\r\nA2,"The ""Big"" hat\nwith brim",9\r\n';
    const p = parseCsv(Buffer.from(text, 'utf8'));
    expect(p.delimiter).toBe(',');
    expect(p.headers).toEqual(['sku', 'title', 'price']);
    expect(p.records).toEqual([
      ['A1', 'Linen dress, blue', '12.50'],
      ['A2', 'The "Big" hat\nwith brim', '9'],
    ]);
  });

  it('detects semicolons even when commas appear in quoted headers and values', () => {
    const p = parseCsv('SKU;"Name, full";Preis\nB1;"Kleid; rot";12,50\nB2;Hut;3\n');
    expect(p.delimiter).toBe(';');
    expect(p.headers).toEqual(['SKU', 'Name, full', 'Preis']);
    expect(p.records[0]).toEqual(['B1', 'Kleid; rot', '12,50']);
  });

  it('pads short rows, skips blank lines, and refuses a file without a header', () => {
    const p = parseCsv('sku,title,brand\nA\n\n\nB,x\n');
    expect(p.records).toEqual([
      ['A', '', ''],
      ['B', 'x', ''],
    ]);
    expect(() => parseCsv('')).toThrow(/no header/);
    expect(() => parseCsv('a,b\n"unterminated,1\n')).toThrow(/Malformed CSV/);
  });
});

describe('column mapping', () => {
  it('detects common header names, each column used once', () => {
    expect(detectMapping(['Product ID', 'Product Name', 'Manufacturer', 'Product Type', 'Unit Price', 'Currency', 'Link', 'Image File'])).toEqual({
      sku: 'Product ID',
      title: 'Product Name',
      brand: 'Manufacturer',
      category: 'Product Type',
      price: 'Unit Price',
      currency: 'Currency',
      url: 'Link',
      image: 'Image File',
    });
    expect(detectMapping(['foo', 'bar']).sku).toBeNull();
  });

  it('lets a given mapping override detection, case-insensitively, and names a missing column', () => {
    const m = resolveMapping(['Art', 'Name', 'image'], { sku: 'art', image: 'Name' });
    expect(m).toMatchObject({ sku: 'Art', image: 'Name', title: null });
    expect(() => resolveMapping(['a'], { sku: 'nope' })).toThrow(/no column "nope"/);
  });
});

describe('parsePrice', () => {
  it.each([
    ['12.50', 12.5],
    ['12,50', 12.5],
    ['1.234,50 €', 1234.5],
    ['$1,234.50', 1234.5],
    ['EUR 7', 7],
    ['free', null],
  ])('%s → %s', (raw, expected) => expect(parsePrice(raw)).toBe(expected));
});

describe('image references', () => {
  const root = '/shop';
  const files = ['a/red-1.jpg', 'a/red-2.jpg', 'b/Blue.PNG', 'b/red-1.jpg', 'c d/x,y.jpg'].map((rel) => ({
    path: `${root}/${rel}`,
    rel,
    name: rel.split('/').pop()!,
  }));
  const r = new ImageResolver(files);

  it('globs: * within a folder, ** across folders, ? and classes', () => {
    expect(globToRegExp('a/*.jpg').test('a/red-1.jpg')).toBe(true);
    expect(globToRegExp('a/*.jpg').test('a/x/red-1.jpg')).toBe(false);
    expect(globToRegExp('**/red-?.jpg').test('red-1.jpg')).toBe(true);
    expect(globToRegExp('red-[12].jpg').test('red-2.jpg')).toBe(true);
    expect(r.resolve('a/red-*.jpg')).toEqual(['/shop/a/red-1.jpg', '/shop/a/red-2.jpg']);
    expect(r.resolve('red-1*')).toEqual(['/shop/a/red-1.jpg', '/shop/b/red-1.jpg']);
  });

  it('file names (then case-insensitively), relative and absolute paths', () => {
    expect(r.resolve('red-2.jpg')).toEqual(['/shop/a/red-2.jpg']);
    expect(r.resolve('blue.png')).toEqual(['/shop/b/Blue.PNG']);
    expect(r.resolve('b/red-1.jpg')).toEqual(['/shop/b/red-1.jpg']);
    expect(r.resolve('./a\\red-1.jpg')).toEqual(['/shop/a/red-1.jpg']);
    expect(r.resolve('/shop/a/red-1.jpg')).toEqual(['/shop/a/red-1.jpg']);
    expect(r.resolve('missing.jpg')).toEqual([]);
  });
});

describe('toFtsQuery', () => {
  it('quotes every word (FTS5 syntax stays literal), the last as a prefix, CJK one token per character', async () => {
    const { toFtsQuery } = await import('../catalog/products.repo.js');
    expect(toFtsQuery('linen  dress')).toBe('"linen" AND "dress"*');
    expect(toFtsQuery('NEAR( "x" OR')).toBe('"NEAR(" AND "x" AND "OR"*');
    expect(toFtsQuery('连衣裙')).toBe('"连  衣  裙"*');
    expect(toFtsQuery(' ,; "" ')).toBeNull();
  });
});
