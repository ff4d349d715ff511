/**
 * `lookalike eval` for same-product data: does the app find the same product in a different photo, and are its
 * verdicts right? Two protocols, both through the app's own search (transform, verdicts):
 *
 * - products folder (one sub-folder per product, several photos each): indexed into a temporary data folder; every
 *   photo queries all the others by its stored embedding, relevant = the other photos of its product. With
 *   `learn`, the sub-folder names are imported as SKUs first, so the folder learns its projection from them (the
 *   figures are then optimistic: the projection saw these very labels; hold products out to measure it fairly).
 * - queries against a catalog collection of the user's data folder, with a CSV of truths (query file, expected
 *   SKU or file): each query photo is decoded and embedded as a dropped photo is and searched in the collection;
 *   relevant = the catalog items of the expected SKU (imported product data), or the expected file. Read-only.
 *
 * Reported: Recall@1 / @5 (the first / first five hold a relevant item), mAP@10, and for the first hit's verdict
 * the precision and recall of "same product" (recall: right "same" verdicts / queries) and how often "similar" is
 * the right product.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { parse } from 'csv-parse/sync';
import { AppError } from '../shared/errors.js';
import { asItemId, type Progress } from '../shared/types.js';
import { createEngine, type Engine } from '../core/app/engine.js';
import { readFileSnapshot } from '../core/base/read-file.js';
import { decodeF16 } from '../core/base/f16.js';
import { nullLogger, type Logger } from '../core/base/logger.js';
import type { SearchHitRecord } from '../core/search/search.service.js';
import { retrievalMetrics, type RankedQuery } from '../core/eval/metrics.js';

export interface VerdictFigures {
  /** Queries whose first hit got a verdict (0 where the folder has no calibration). */
  judged: number;
  same: { given: number; precision: number | null; recall: number };
  similar: { given: number; rightProduct: number | null };
  different: number;
  calibration: 'catalog' | 'builtin' | null;
}

export interface SameProductReport {
  mode: 'products' | 'queries';
  model: { id: string; embedderId: string; transform: { kind: string; outputDim: number } | null };
  dataset: { queries: number; products: number; catalog: number; failed: number; unresolved: number };
  retrieval: { recallAt1: number; recallAt5: number; mapAt10: number };
  verdicts: VerdictFigures;
  seconds: number;
}

interface Judged {
  ranked: boolean[];
  relevant: number;
  first: SearchHitRecord | undefined;
}

function summarise(mode: SameProductReport['mode'], engine: Engine, judged: readonly Judged[], dataset: SameProductReport['dataset'], started: number): SameProductReport {
  const queries: RankedQuery[] = judged.map((j) => ({ ranked: j.ranked, relevant: j.relevant }));
  const m = retrievalMetrics(queries, [1, 5]);
  const scored = judged.filter((j) => j.relevant > 0);
  const v: VerdictFigures = { judged: 0, same: { given: 0, precision: null, recall: 0 }, similar: { given: 0, rightProduct: null }, different: 0, calibration: engine.model.calibration()?.source ?? null };
  let sameRight = 0;
  let similarRight = 0;
  for (const j of scored) {
    const verdict = j.first?.verdict;
    if (!verdict) continue;
    v.judged++;
    if (verdict === 'same') (v.same.given++, j.ranked[0] && sameRight++);
    else if (verdict === 'similar') (v.similar.given++, j.ranked[0] && similarRight++);
    else v.different++;
  }
  v.same.precision = v.same.given === 0 ? null : sameRight / v.same.given;
  v.same.recall = scored.length === 0 ? 0 : sameRight / scored.length;
  v.similar.rightProduct = v.similar.given === 0 ? null : similarRight / v.similar.given;
  const t = engine.model.transformInfo();
  return {
    mode,
    model: { id: engine.modelId, embedderId: engine.catalog.meta.get('embedder_id') ?? '', transform: t ? { kind: t.kind, outputDim: t.outputDim } : null },
    dataset: { ...dataset, queries: m.queries },
    retrieval: { recallAt1: m.recallAt[1] ?? 0, recallAt5: m.recallAt[5] ?? 0, mapAt10: m.mapAt10 },
    verdicts: v,
    seconds: (performance.now() - started) / 1000,
  };
}

export interface ProductsEvalOptions {
  /** One sub-folder per product. */
  folder: string;
  modelId?: string;
  device?: 'cpu' | 'gpu' | 'auto';
  /** Import the sub-folder names as SKUs so that the folder learns its projection from them (optimistic). */
  learn?: boolean;
  logger?: Logger;
  onProgress?: (p: Progress) => void;
  onStep?: (message: string) => void;
  signal?: AbortSignal;
}

/**
 * The products-folder protocol (see the module comment).
 * @throws AppError FOLDER_NOT_FOUND, INVALID_INPUT (fewer than two products with two photos), MODEL_*, CANCELLED.
 */
export async function evalProductsFolder(options: ProductsEvalOptions): Promise<SameProductReport> {
  const started = performance.now();
  const dataDir = mkdtempSync(join(tmpdir(), 'lookalike-eval-'));
  let engine: Engine | undefined;
  try {
    engine = await createEngine({
      dataDir,
      ...(options.modelId ? { modelId: options.modelId } : {}),
      ...(options.device ? { device: options.device } : {}),
      logger: options.logger ?? nullLogger,
    });
    const root = engine.library.addFolder('products', options.folder).roots[0]?.path ?? options.folder;
    const run = (): Promise<unknown> =>
      engine!.indexer.run(['products'], { ...(options.signal ? { signal: options.signal } : {}), ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
    const [summary] = (await run()) as { cancelled: boolean; failed: number }[];
    if (!summary || summary.cancelled) throw new AppError('CANCELLED', 'Evaluation cancelled while indexing.');
    const cid = engine.catalog.collections.require('products').id;
    const embedderId = engine.catalog.meta.get('embedder_id') ?? '';
    const items = engine.catalog.items.embeddedIds(cid, embedderId).flatMap((id) => {
      const item = engine!.catalog.items.get(id);
      const rel = item ? relative(root, item.path).split(sep) : [];
      return item && rel.length >= 2 && rel[0] !== '..' ? [{ id: id as number, path: item.path, product: rel[0]!, rel: rel.join('/') }] : [];
    });
    const perProduct = new Map<string, number>();
    for (const it of items) perProduct.set(it.product, (perProduct.get(it.product) ?? 0) + 1);
    const products = [...perProduct.values()].filter((n) => n >= 2).length;
    if (products < 2) throw new AppError('INVALID_INPUT', `${options.folder} needs at least two sub-folders (one per product) with two or more photos each; found ${products}.`);
    if (options.learn) {
      options.onStep?.(`learning from ${items.length} photos of ${perProduct.size} products (their folder names as SKUs)`);
      const csv = ['sku,image', ...items.map((it) => `${quote(it.product)},${quote(it.rel)}`)].join('\n');
      await engine.api['catalog:importCsv']({ collection: 'products', source: { kind: 'text', text: csv }, preview: false, previewRows: 0 });
      // The learning runs at the end of an index job, as after a user's import (nothing is re-embedded).
      await run();
    }
    const productOf = new Map(items.map((it) => [it.id, it.product]));
    options.onStep?.(`same product: ${items.length} leave-one-out queries`);
    const judged: Judged[] = [];
    for (const it of items) {
      if (options.signal?.aborted) throw new AppError('CANCELLED', 'Evaluation cancelled.');
      const stored = engine.catalog.items.vector(asItemId(it.id));
      if (!stored) continue;
      const hits = engine.search.byVector(decodeF16(stored.vector), { k: 10, exclude: [it.id] }, [cid]);
      judged.push({ ranked: hits.map((h) => productOf.get(h.id) === it.product), relevant: perProduct.get(it.product)! - 1, first: hits[0] });
    }
    return summarise('products', engine, judged, { queries: judged.length, products: perProduct.size, catalog: items.length, failed: summary.failed, unresolved: 0 }, started);
  } finally {
    await engine?.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export interface QueriesEvalOptions {
  /** The user's engine (read-only use). */
  engine: Engine;
  /** The catalog collection searched. */
  collection: string;
  /** Folder the truth CSV's query files are relative to. */
  queries: string;
  /** CSV: query file, expected SKU or catalog file (a header row is skipped when its first cell is not a file). */
  truth: string;
  signal?: AbortSignal;
  onStep?: (message: string) => void;
}

/**
 * The query-folder protocol (see the module comment).
 * @throws AppError COLLECTION_NOT_FOUND, NOT_FOUND (the CSV), INVALID_INPUT (an empty or malformed CSV), CANCELLED.
 */
export async function evalQueriesAgainstCatalog(options: QueriesEvalOptions): Promise<SameProductReport> {
  const started = performance.now();
  const { engine } = options;
  const collection = engine.catalog.collections.require(options.collection);
  const text = (await readFileSnapshot(options.truth, { maxBytes: 64 * 1024 * 1024 })).bytes.toString('utf8').replace(/^\uFEFF/, '');
  let rows: string[][];
  try {
    rows = parse(text, { relax_column_count: true, skip_empty_lines: true, trim: true, delimiter: [',', ';', '\t'] }) as string[][];
  } catch (err) {
    throw new AppError('INVALID_INPUT', `${options.truth} is not a CSV of (query file, expected SKU or file): ${(err as Error).message}`);
  }
  const exists = (p: string) => {
    try {
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  const queryPath = (cell: string) => (isAbsolute(cell) ? cell : resolve(options.queries, cell));
  if (rows[0] && !exists(queryPath(rows[0][0] ?? ''))) rows = rows.slice(1);
  const truths = rows.filter((r) => (r[0] ?? '') !== '' && (r[1] ?? '') !== '').map((r) => ({ query: queryPath(r[0]!), expected: r[1]! }));
  if (truths.length === 0) throw new AppError('INVALID_INPUT', `${options.truth} holds no (query file, expected SKU or file) rows.`);

  // Catalog items by SKU (imported product data) and by file (path relative to a root, or base name).
  const embedderId = engine.catalog.meta.get('embedder_id') ?? '';
  const ids = engine.catalog.items.embeddedIds(collection.id, embedderId);
  const items = engine.catalog.items.getMany(ids);
  const products = engine.catalog.products.forItems(ids);
  const roots = engine.catalog.collections.roots(collection.id).map((r) => r.path);
  const keysOf = (id: number): string[] => {
    const item = items.get(asItemId(id));
    if (!item) return [];
    const keys = [`file:${basename(item.path).toLowerCase()}`, `file:${item.path.toLowerCase()}`];
    for (const r of roots) if (item.path.startsWith(r + sep)) keys.push(`file:${relative(r, item.path).split(sep).join('/').toLowerCase()}`);
    const sku = products.get(asItemId(id))?.sku;
    if (sku) keys.push(`sku:${sku.toLowerCase()}`);
    return keys;
  };
  const byKey = new Map<string, number>();
  const keys = new Map<number, Set<string>>();
  for (const id of ids) {
    const k = new Set(keysOf(id));
    keys.set(id, k);
    for (const key of k) byKey.set(key, (byKey.get(key) ?? 0) + 1);
  }
  const expectedKey = (e: string): string | undefined => {
    const low = e.toLowerCase().split('\\').join('/');
    if (byKey.has(`sku:${low}`)) return `sku:${low}`;
    if (byKey.has(`file:${low}`)) return `file:${low}`;
    return undefined;
  };
  const judged: Judged[] = [];
  let failed = 0;
  let unresolved = 0;
  options.onStep?.(`same product: ${truths.length} queries against ${options.collection} (${ids.length} items)`);
  for (const t of truths) {
    if (options.signal?.aborted) throw new AppError('CANCELLED', 'Evaluation cancelled.');
    const key = expectedKey(t.expected);
    if (key === undefined) {
      unresolved++;
      continue;
    }
    let hits: SearchHitRecord[];
    try {
      hits = (await engine.search.byImage({ kind: 'path', path: t.query }, { k: 10, collections: [options.collection] })).hits;
    } catch {
      failed++;
      continue;
    }
    judged.push({ ranked: hits.map((h) => keys.get(h.id)?.has(key) ?? false), relevant: byKey.get(key)!, first: hits[0] });
  }
  const skus = new Set([...products.values()].map((p) => p.sku)).size;
  return summarise('queries', engine, judged, { queries: judged.length, products: skus, catalog: ids.length, failed, unresolved }, started);
}

function quote(cell: string): string {
  return /[",\n\r;\t]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
}
