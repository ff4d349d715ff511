/** Whether a collection's saved index file holds exactly the catalog's embedded ids, and how it is verified. */
import type { CollectionId } from '../../shared/types.js';
import { statSync } from 'node:fs';
import { AnnIndex, IdsMismatchError } from './ann-index.js';
import type { LoadedIndex, StoreContext } from './store-context.js';

/**
 * `fast`: the file's cheap checks and its trailer's id summary against the catalog's (one id at a time only
 * when either summary is missing). `thorough`: the whole file and every id.
 * @returns the index (mapped for `fast`, loaded for `thorough`), or why it cannot be used.
 */
export function loadChecked(ctx: StoreContext, collectionId: CollectionId, mode: 'fast' | 'thorough'): { index?: AnnIndex; problem?: string } {
  const file = ctx.files.fileOf(collectionId);
  const { params, source } = ctx;
  let summaryDisagrees = false;
  try {
    let index: AnnIndex;
    if (mode === 'thorough') {
      // Loaded rather than mapped: doctor may rebuild the file right after, and a mapped file cannot be replaced
      // on Windows.
      index = AnnIndex.load(file, params);
    } else {
      const expectIds = source.digest?.(collectionId);
      try {
        index = AnnIndex.open(file, params, expectIds ? { expectIds } : {});
      } catch (err) {
        if (!(err instanceof IdsMismatchError)) throw err;
        // Usually the file lags behind the catalog (a crash before its save) and is rebuilt below; comparing the
        // ids one by one first means a wrong summary could never make every open rebuild.
        summaryDisagrees = true;
        index = AnnIndex.load(file, params);
      }
      const held = index.ids;
      if (held && expectIds && !summaryDisagrees) {
        // The trailer's ids were compared before mapping; its count must also be what usearch read.
        return index.size === held.count ? { index } : { problem: mismatch(index.size, expectIds.count) };
      }
    }
    if (index.dimensions !== params.dimensions) {
      return { problem: `has dimension ${index.dimensions}, expected ${params.dimensions}` };
    }
    const ids = source.ids(collectionId);
    if (index.size !== ids.length || !index.containsAll(ids)) return { problem: mismatch(index.size, ids.length) };
    if (summaryDisagrees) {
      ctx.logger.warn(`vector index for collection ${collectionId} holds exactly the catalog's ids, but its summary of them differs`, { file });
    }
    return { index };
  } catch (err) {
    return { problem: isMissing(err, file) ? 'is missing' : `is unreadable (${err instanceof Error ? err.message : String(err)})` };
  }
}

/**
 * Verifies a mapped file's whole payload after `delayMs` (the first query after a start does not share the disk
 * and the cores with it); a damaged one is marked so that the next open() rebuilds it. Nothing happens once
 * `signal` aborts or the entry is no longer the collection's (`isCurrent`).
 */
export async function verifyLater(
  ctx: StoreContext,
  collectionId: CollectionId,
  entry: LoadedIndex,
  options: { delayMs: number; signal: AbortSignal; isCurrent: () => boolean },
): Promise<void> {
  const { signal, isCurrent } = options;
  if (options.delayMs > 0) {
    // unref: a short CLI command need not wait for it (close() cancels it anyway).
    await new Promise<void>((resolve) => setTimeout(resolve, options.delayMs).unref());
  }
  if (signal.aborted || !isCurrent() || !entry.index.readOnly) return;
  const problem = await entry.index.verify(signal);
  if (problem === undefined || !isCurrent()) return;
  entry.damaged = problem;
  ctx.logger.warn(`vector index for collection ${collectionId} ${problem}; it is rebuilt on next use`, {
    file: ctx.files.fileOf(collectionId),
  });
}

export function mismatch(held: number, expected: number): string {
  return `holds ${held} vectors but the catalog has ${expected} (or other ids)`;
}

function isMissing(err: unknown, file: string): boolean {
  if (err instanceof Error && /no such file/i.test(err.message)) return true;
  try {
    statSync(file);
    return false;
  } catch {
    return true;
  }
}
