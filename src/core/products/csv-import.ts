/**
 * Product data from CSV: parsing (UTF-8 with or without BOM, comma or semicolon, quoted fields), column mapping
 * (given or detected from common header names), and linking each SKU to its image files in a collection, where
 * the image column holds file names, relative paths or globs, several per cell (`|`, `;`, `,` or new lines
 * between them) or one per repeated row. Re-importing updates products in place.
 */
import { relative, sep } from 'node:path';
import { parse } from 'csv-parse/sync';
import { AppError } from '../../shared/errors.js';
import type { CollectionId } from '../../shared/types.js';
import type { Catalog } from '../catalog/catalog.js';
import type { ProductRecord } from '../catalog/products.repo.js';
import type { Logger } from '../base/logger.js';
import { readFileSnapshot } from '../base/read-file.js';
import { walk } from '../scan/walk.js';

export const PRODUCT_FIELDS = ['sku', 'title', 'brand', 'category', 'price', 'currency', 'url', 'image'] as const;
export type ProductField = (typeof PRODUCT_FIELDS)[number];
/** Field → header name (null: not mapped). */
export type ColumnMapping = Record<ProductField, string | null>;

/** Normalised header names recognised for each field, best first. */
const SYNONYMS: Record<ProductField, readonly string[]> = {
  sku: ['sku', 'skuid', 'productid', 'itemid', 'articlenumber', 'articleno', 'article', 'artnr', 'productcode', 'itemnumber', 'partnumber', 'code', 'ref', 'reference', 'id'],
  title: ['title', 'name', 'productname', 'producttitle', 'itemname', 'bezeichnung', 'nom'],
  brand: ['brand', 'manufacturer', 'vendor', 'make', 'marke', 'marque', 'label'],
  category: ['category', 'categories', 'productcategory', 'producttype', 'type', 'department', 'kategorie', 'categorie'],
  price: ['price', 'unitprice', 'saleprice', 'retailprice', 'amount', 'cost', 'preis', 'prix'],
  currency: ['currency', 'currencycode', 'cur', 'waehrung', 'devise'],
  url: ['url', 'link', 'producturl', 'productlink', 'webpage', 'page'],
  image: ['image', 'images', 'imagepath', 'imagefile', 'imagename', 'imagefilename', 'filename', 'file', 'picture', 'pictures', 'photo', 'photos', 'img', 'imagesrc', 'imageurl'],
};

const normalizeHeader = (h: string): string => h.normalize('NFKC').toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');

/** Detects the mapping from header names; each header is used for one field at most. */
export function detectMapping(headers: readonly string[]): ColumnMapping {
  const normalized = headers.map(normalizeHeader);
  const used = new Set<number>();
  const mapping = Object.fromEntries(PRODUCT_FIELDS.map((f) => [f, null])) as ColumnMapping;
  for (const field of PRODUCT_FIELDS) {
    for (const synonym of SYNONYMS[field]) {
      const i = normalized.findIndex((h, n) => !used.has(n) && h === synonym);
      if (i >= 0) {
        mapping[field] = headers[i]!;
        used.add(i);
        break;
      }
    }
  }
  return mapping;
}

/**
 * Applies a user's partial mapping (field → header, case-insensitive) over the detected one.
 * @throws AppError INVALID_INPUT naming a header the file does not have.
 */
export function resolveMapping(headers: readonly string[], given: Partial<Record<ProductField, string>> | undefined): ColumnMapping {
  const mapping = detectMapping(headers);
  for (const [field, column] of Object.entries(given ?? {}) as [ProductField, string][]) {
    if (!column) continue;
    const match = headers.find((h) => h === column) ?? headers.find((h) => h.toLowerCase() === column.toLowerCase());
    if (match === undefined) {
      throw new AppError('INVALID_INPUT', `The CSV has no column "${column}" (for ${field}); its columns are: ${headers.join(', ')}.`);
    }
    for (const f of PRODUCT_FIELDS) if (mapping[f] === match) mapping[f] = null;
    mapping[field] = match;
  }
  return mapping;
}

export interface ParsedCsv {
  delimiter: ',' | ';' | '\t';
  headers: string[];
  /** Data records (the header excluded), each as long as `headers`. */
  records: string[][];
}

/** Picks the delimiter that splits the header line into the most fields (outside quotes). */
function sniffDelimiter(text: string): ParsedCsv['delimiter'] {
  let line = '';
  let quoted = false;
  for (const ch of text.replace(/^\uFEFF/, '')) {
    if (ch === '"') quoted = !quoted;
    if (!quoted && (ch === '\n' || ch === '\r')) break;
    if (!quoted) line += ch;
  }
  const count = (d: string) => line.split(d).length - 1;
  const candidates = [',', ';', '\t'] as const;
  return candidates.reduce((best, d) => (count(d) > count(best) ? d : best), ',' as ParsedCsv['delimiter']);
}

/**
 * Parses CSV text or bytes.
 * @throws AppError INVALID_INPUT for malformed CSV (with the line) or a file without a header row.
 */
export function parseCsv(input: string | Buffer): ParsedCsv {
  const text = typeof input === 'string' ? input : input.toString('utf8');
  const delimiter = sniffDelimiter(text);
  let rows: string[][];
  try {
    rows = parse(text, { bom: true, delimiter, relax_column_count: true, skip_empty_lines: true, trim: true }) as string[][];
  } catch (err) {
    throw new AppError('INVALID_INPUT', `Malformed CSV: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const [header, ...records] = rows;
  if (!header || header.every((h) => h === '')) throw new AppError('INVALID_INPUT', 'The CSV has no header row.');
  const headers = header.map((h, i) => h || `column${i + 1}`);
  return {
    delimiter,
    headers,
    records: records.map((r) => headers.map((_, i) => r[i] ?? '')).filter((r) => r.some((v) => v !== '')),
  };
}

/** A price as written in shops: "12.50", "12,50", "1.234,50", "$12", "12 EUR". Null when not a number. */
export function parsePrice(raw: string): number | null {
  let s = raw.replace(/[^\d.,-]/g, '');
  if (s === '' || !/\d/.test(s)) return null;
  const lastComma = s.lastIndexOf(',');
  const lastDot = s.lastIndexOf('.');
  if (lastComma > lastDot) s = s.replace(/\./g, '').replace(',', '.');
  else s = s.replace(/,/g, '');
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

const CURRENCY_SYMBOLS: Record<string, string> = { '€': 'EUR', $: 'USD', '£': 'GBP', '¥': 'JPY', '₹': 'INR', CHF: 'CHF' };

function currencyOf(price: string): string | null {
  for (const [symbol, code] of Object.entries(CURRENCY_SYMBOLS)) if (price.includes(symbol)) return code;
  const m = /\b([A-Z]{3})\b/.exec(price);
  return m ? m[1]! : null;
}

/** A glob (`*`, `**`, `?`, `[...]`) as an anchored regular expression over '/'-separated paths. */
export function globToRegExp(glob: string, flags = ''): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        i += 1;
        if (glob[i + 1] === '/') {
          i += 1;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += `[${glob.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, flags);
}

const isGlob = (s: string) => /[*?[]/.test(s);

/** A collection's image files, by absolute path, with their '/'-separated paths relative to their root. */
interface ImageFile {
  path: string;
  rel: string;
  name: string;
}

/** Resolves image references (file name, relative or absolute path, glob) to a collection's files. */
export class ImageResolver {
  private readonly byName = new Map<string, ImageFile[]>();
  private readonly byNameLower = new Map<string, ImageFile[]>();

  constructor(readonly files: readonly ImageFile[]) {
    for (const f of files) {
      push(this.byName, f.name, f);
      push(this.byNameLower, f.name.toLowerCase(), f);
    }
  }

  /** The files a reference names; tried as written first, then case-insensitively. */
  resolve(ref: string): string[] {
    const value = ref.trim().replace(/\\/g, '/').replace(/^\.\//, '');
    if (value === '') return [];
    if (isGlob(value)) {
      const target = (f: ImageFile) => (value.includes('/') ? f.rel : f.name);
      let re = globToRegExp(value);
      let hits = this.files.filter((f) => re.test(target(f)) || (value.includes('/') && re.test(f.path.replace(/\\/g, '/'))));
      if (hits.length === 0) {
        re = globToRegExp(value, 'i');
        hits = this.files.filter((f) => re.test(target(f)));
      }
      return hits.map((f) => f.path);
    }
    if (value.includes('/')) {
      const exact = this.files.filter((f) => f.path.replace(/\\/g, '/') === value || f.rel === value || f.rel.endsWith(`/${value}`));
      if (exact.length > 0) return exact.map((f) => f.path);
      const lower = value.toLowerCase();
      return this.files.filter((f) => f.rel.toLowerCase() === lower || f.rel.toLowerCase().endsWith(`/${lower}`)).map((f) => f.path);
    }
    return (this.byName.get(value) ?? this.byNameLower.get(value.toLowerCase()) ?? []).map((f) => f.path);
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Splits an image cell into references, unless the whole cell names a file. */
function imageRefs(cell: string, resolver: ImageResolver): string[] {
  const whole = cell.trim();
  if (whole === '') return [];
  if (resolver.resolve(whole).length > 0) return [whole];
  return whole
    .split(/[|;,\n\r]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export interface ImportCsvOptions {
  collection: string;
  /** The CSV: a file to read, or its text. */
  source: { kind: 'path'; path: string } | { kind: 'text'; text: string };
  mapping?: Partial<Record<ProductField, string>>;
  /** Only parse and return the first rows and the mapping; nothing is written. */
  preview?: boolean;
  previewRows?: number;
}

export interface UnmatchedRow {
  /** 1-based data row (the header is row 0) where the SKU first appears. */
  row: number;
  sku: string;
  /** Image references that matched no file (empty: the row names no image). */
  missing: string[];
}

export interface ImportCsvSummary {
  rows: number;
  products: number;
  inserted: number;
  updated: number;
  imagesLinked: number;
  /** Rows skipped for having no SKU. */
  skippedRows: { row: number; reason: string }[];
  /** SKUs with image references that match no file, or with no image at all. */
  unmatchedRows: UnmatchedRow[];
  /** The collection's image files that no row names. */
  unmatchedImages: string[];
  /** Files named by more than one SKU (the last one keeps the file). */
  conflicts: { path: string; skus: string[] }[];
}

export interface ImportCsvResult {
  collection: string;
  delimiter: string;
  headers: string[];
  mapping: ColumnMapping;
  /** The first data rows as parsed. */
  sample: string[][];
  /** Null in preview mode. */
  summary: ImportCsvSummary | null;
}

export interface ImportDeps {
  catalog: Catalog;
  logger: Logger;
}

/** Lists a collection's image files (its roots walked, plus catalog rows of roots now offline). */
async function collectionImages(deps: ImportDeps, collectionId: CollectionId): Promise<ImageFile[]> {
  const roots = deps.catalog.collections.roots(collectionId).map((r) => r.path);
  const seen = new Map<string, ImageFile>();
  const relTo = (path: string) => {
    const root = roots.filter((r) => path === r || path.startsWith(r.endsWith(sep) ? r : r + sep)).sort((a, b) => b.length - a.length)[0];
    return (root ? relative(root, path) : path).split(sep).join('/');
  };
  const add = (path: string) => {
    if (!seen.has(path)) seen.set(path, { path, rel: relTo(path), name: path.split(/[\\/]/).pop() ?? path });
  };
  for (const root of roots) {
    try {
      for await (const f of walk(root, { logger: deps.logger })) if (!f.refused) add(f.path);
    } catch (err) {
      deps.logger.warn('cannot read a root for the CSV import; using the catalog', { root, error: err instanceof Error ? err.message : String(err) });
    }
  }
  for (const r of deps.catalog.items.scanRows(collectionId)) add(r.path);
  return [...seen.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
}

/**
 * A product CSV larger than this is refused unread: it is parsed whole in memory (a 100,000-product CSV is some tens of
 * MB; the transports' text source is capped at 50 MB by the contract).
 */
export const MAX_CSV_BYTES = 256 * 1024 * 1024;

/**
 * Imports (or previews) a product CSV into a collection.
 * @throws AppError COLLECTION_NOT_FOUND, NOT_FOUND (the file), INVALID_INPUT (malformed CSV, unknown column, no SKU column)
 */
export async function importCsv(deps: ImportDeps, options: ImportCsvOptions): Promise<ImportCsvResult> {
  const collection = deps.catalog.collections.require(options.collection);
  let text: string | Buffer;
  if (options.source.kind === 'text') text = options.source.text;
  else {
    const path = options.source.path;
    text = (await readFileSnapshot(path, {
      maxBytes: MAX_CSV_BYTES,
      tooLarge: (size, max) => new AppError('PAYLOAD_TOO_LARGE', `The CSV file is ${size} bytes, more than the limit of ${max}.`),
    })).bytes;
  }
  const parsed = parseCsv(text);
  const mapping = resolveMapping(parsed.headers, options.mapping);
  const base = {
    collection: collection.name,
    delimiter: parsed.delimiter,
    headers: parsed.headers,
    mapping,
    sample: parsed.records.slice(0, options.previewRows ?? 10),
  };
  if (options.preview) return { ...base, summary: null };
  if (mapping.sku === null) {
    throw new AppError('INVALID_INPUT', `No SKU column found among: ${parsed.headers.join(', ')}; map one with sku=<column>.`);
  }

  const col = Object.fromEntries(PRODUCT_FIELDS.map((f) => [f, mapping[f] === null ? -1 : parsed.headers.indexOf(mapping[f])])) as Record<ProductField, number>;
  const cell = (r: string[], f: ProductField): string => (col[f] < 0 ? '' : (r[col[f]] ?? '').trim());
  const resolver = new ImageResolver(await collectionImages(deps, collection.id));

  interface Draft {
    row: number;
    product: ProductRecord;
    paths: Set<string>;
    missing: string[];
    hadImage: boolean;
  }
  const drafts = new Map<string, Draft>();
  const skippedRows: ImportCsvSummary['skippedRows'] = [];
  parsed.records.forEach((r, i) => {
    const row = i + 1;
    const sku = cell(r, 'sku');
    if (sku === '') {
      skippedRows.push({ row, reason: 'no SKU' });
      return;
    }
    const priceText = cell(r, 'price');
    const fields: ProductRecord = {
      sku,
      title: cell(r, 'title') || null,
      brand: cell(r, 'brand') || null,
      category: cell(r, 'category') || null,
      price: priceText ? parsePrice(priceText) : null,
      currency: (cell(r, 'currency') || (priceText ? currencyOf(priceText) : null))?.toUpperCase() ?? null,
      url: cell(r, 'url') || null,
    };
    let draft = drafts.get(sku);
    if (!draft) {
      draft = { row, product: fields, paths: new Set(), missing: [], hadImage: false };
      drafts.set(sku, draft);
    } else {
      // A repeated SKU adds images; its non-empty fields fill the ones still empty.
      for (const k of ['title', 'brand', 'category', 'price', 'currency', 'url'] as const) {
        if (draft.product[k] === null && fields[k] !== null) (draft.product as unknown as Record<string, unknown>)[k] = fields[k];
      }
    }
    for (const ref of imageRefs(cell(r, 'image'), resolver)) {
      draft.hadImage = true;
      const found = resolver.resolve(ref);
      if (found.length === 0) draft.missing.push(ref);
      for (const p of found) draft.paths.add(p);
    }
  });

  const owner = new Map<string, string[]>();
  for (const d of drafts.values()) for (const p of d.paths) push(owner, p, d.product.sku);
  let inserted = 0;
  let updated = 0;
  let imagesLinked = 0;
  deps.catalog.transaction(() => {
    for (const d of drafts.values()) {
      const { id, inserted: isNew } = deps.catalog.products.upsert(collection.id, d.product);
      if (isNew) inserted += 1;
      else updated += 1;
      // Without an image column the links made by an earlier import stay.
      if (mapping.image !== null) deps.catalog.products.setImages(collection.id, id, [...d.paths]);
      imagesLinked += d.paths.size;
    }
    deps.catalog.products.refreshFts(collection.id);
  });

  const linked = new Set(deps.catalog.products.linkedPaths(collection.id));
  const summary: ImportCsvSummary = {
    rows: parsed.records.length,
    products: drafts.size,
    inserted,
    updated,
    imagesLinked,
    skippedRows,
    unmatchedRows: [...drafts.values()]
      .filter((d) => d.missing.length > 0 || (mapping.image !== null && d.paths.size === 0))
      .map((d) => ({ row: d.row, sku: d.product.sku, missing: d.missing })),
    unmatchedImages: resolver.files.map((f) => f.path).filter((p) => !linked.has(p)),
    conflicts: [...owner.entries()].filter(([, skus]) => skus.length > 1).map(([path, skus]) => ({ path, skus })),
  };
  deps.logger.info('CSV imported', { collection: collection.name, products: summary.products, images: imagesLinked });
  return { ...base, summary };
}

