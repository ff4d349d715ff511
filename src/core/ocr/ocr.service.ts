/**
 * OCR as an optional, per-collection indexing step (off by default): the text read from each indexed image is
 * stored with its line boxes (for the detail view) and joins the FTS5 index, so "photos containing this text"
 * is a text search.
 */
import { AppError } from '../../shared/errors.js';
import type { ItemId } from '../../shared/types.js';
import type { Catalog } from '../catalog/catalog.js';
import type { Logger } from '../base/logger.js';
import { OCR_MODEL_ID, OcrEngine, type OcrLine } from './ocr-engine.js';

export interface OcrRunSummary {
  collection: string;
  /** Items read in this run. */
  processed: number;
  /** Of those, items where some text was found. */
  withText: number;
  failed: number;
  /** Items already read by this OCR model, skipped. */
  skipped: number;
  seconds: number;
}

export interface OcrServiceDeps {
  catalog: Catalog;
  logger: Logger;
  /** Tests may pass their own engine. */
  engine?: OcrEngine;
}

export class OcrService {
  private readonly engine: OcrEngine;

  constructor(private readonly deps: OcrServiceDeps) {
    this.engine = deps.engine ?? new OcrEngine();
  }

  /** @throws AppError COLLECTION_NOT_FOUND */
  isEnabled(collection: string): boolean {
    const { id } = this.deps.catalog.collections.require(collection);
    return this.deps.catalog.text.ocrEnabled(id);
  }

  /**
   * Turns OCR on or off for a collection; turning it off forgets the text read so far.
   * @throws AppError COLLECTION_NOT_FOUND
   */
  setEnabled(collection: string, enabled: boolean): { collection: string; enabled: boolean } {
    const { catalog } = this.deps;
    const c = catalog.collections.require(collection);
    catalog.transaction(() => {
      catalog.text.setOcrEnabled(c.id, enabled);
      if (!enabled) catalog.products.refreshFts(c.id, catalog.text.clear(c.id));
    });
    return { collection: c.name, enabled };
  }

  /**
   * Reads the text of every indexed item of the collection not yet read by this OCR model. One unreadable file
   * is counted as failed and the run goes on.
   * @throws AppError COLLECTION_NOT_FOUND, INVALID_INPUT (OCR is off for the collection), MODEL_MISSING / MODEL_INVALID, CANCELLED
   */
  async run(collection: string, options: { signal?: AbortSignal; onItem?: (done: number, total: number) => void } = {}): Promise<OcrRunSummary> {
    const started = performance.now();
    const { catalog, logger } = this.deps;
    const c = catalog.collections.require(collection);
    if (!this.isEnabled(c.name)) {
      throw new AppError('INVALID_INPUT', `OCR is off for ${c.name}; turn it on with \`lookalike ocr --collection "${c.name}" --enable\`.`);
    }
    const all = catalog.text.indexedItems(c.id);
    const todo = all.filter((r) => r.modelId !== OCR_MODEL_ID);
    const summary: OcrRunSummary = { collection: c.name, processed: 0, withText: 0, failed: 0, skipped: all.length - todo.length, seconds: 0 };
    if (todo.length > 0) await this.engine.load();
    let pending: { id: ItemId; text: string; lines: OcrLine[] }[] = [];
    const flush = () => {
      if (pending.length === 0) return;
      const batch = pending;
      pending = [];
      catalog.transaction(() => {
        const kept: ItemId[] = [];
        for (const r of batch) {
          // The item may have gone (a concurrent rescan); its text goes with it.
          if (!catalog.items.get(r.id)) continue;
          catalog.text.put({ itemId: r.id, text: r.text, lines: JSON.stringify(r.lines), modelId: OCR_MODEL_ID, madeAt: Date.now() });
          kept.push(r.id);
        }
        catalog.products.refreshFts(c.id, kept);
      });
    };
    for (const [n, item] of todo.entries()) {
      if (options.signal?.aborted) {
        flush();
        throw new AppError('CANCELLED', 'OCR cancelled.');
      }
      try {
        const result = await this.engine.recognize(item.path);
        pending.push({ id: item.id, text: result.text, lines: result.lines });
        summary.processed += 1;
        if (result.text !== '') summary.withText += 1;
      } catch (err) {
        summary.failed += 1;
        logger.warn('OCR failed for an image; skipped', { path: item.path, error: err instanceof Error ? err.message : String(err) });
      }
      if (pending.length >= 32) flush();
      options.onItem?.(n + 1, todo.length);
    }
    flush();
    summary.seconds = (performance.now() - started) / 1000;
    return summary;
  }

  /** The text read from an item, with its lines' boxes; null when OCR has not read it. @throws AppError ITEM_NOT_FOUND */
  text(id: ItemId): { text: string; lines: OcrLine[] } | null {
    this.deps.catalog.items.require(id);
    const r = this.deps.catalog.text.get(id);
    return r ? { text: r.text, lines: JSON.parse(r.lines) as OcrLine[] } : null;
  }

  /**
   * The text of an image that is not in the catalog (a query photo), its lines joined with new lines.
   * @throws AppError MODEL_MISSING / MODEL_INVALID; sharp's error for an undecodable image
   */
  async read(bytes: Buffer): Promise<string> {
    return (await this.engine.recognize(bytes)).text;
  }

  close(): Promise<void> {
    return this.engine.close();
  }
}
