/**
 * `forget`: removes every byte the app derived from a collection: its rows (collection, roots, items,
 * embeddings, and what deduplication and matching keep about its content, scrubbed from the catalog file by
 * Catalog.forgetCollection), its vector index files and its cached thumbnails. The user's own image files are
 * never touched.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import type { api } from '../../shared/api.js';
import { AppError } from '../../shared/errors.js';
import type { Catalog } from '../catalog/catalog.js';
import { acquireDataDirLock } from '../base/data-dir-lock.js';
import type { Logger } from '../base/logger.js';
import type { ModelState } from '../models/model-state.js';
import { listThumbnails } from '../thumbs/thumbnails.js';

export type ForgetResult = z.output<(typeof api)['library:forget']['output']>;

export interface ForgetDeps {
  catalog: Catalog;
  model: ModelState;
  dataDir: string;
  logger: Logger;
  /** Whether this engine is indexing right now (then nothing is forgotten: INDEX_BUSY). */
  indexRunning: () => boolean;
}

/**
 * Forgets a collection.
 * @throws AppError COLLECTION_NOT_FOUND, INDEX_BUSY (this engine indexes), DATA_DIR_LOCKED (another process does)
 */
export function forgetCollection(deps: ForgetDeps, name: string): ForgetResult {
  const { catalog, dataDir } = deps;
  const collection = catalog.collections.require(name);
  if (deps.indexRunning()) throw new AppError('INDEX_BUSY', 'An index job is running; cancel it or wait, then forget the collection.');
  const release = acquireDataDirLock(dataDir, `forget ${name}`);
  try {
    const cid = collection.id;
    const forgotten = catalog.forgetCollection(cid);
    const ids = new Set<number>(forgotten.itemIds);
    const { vectors } = forgotten;

    // Files after rows: a crash in between leaves only orphans, which `doctor --repair` removes.
    deps.model.vectors()?.drop(cid);
    for (const file of readdirSafe(dataDir)) {
      if (new RegExp(`^vectors-c${cid}-[0-9a-f]+\\.usearch(\\.tmp-\\d+)?$`).test(file)) rmSync(join(dataDir, file), { force: true });
    }
    let thumbnails = 0;
    for (const t of listThumbnails(dataDir)) {
      if (!ids.has(t.id)) continue;
      rmSync(t.path, { force: true });
      thumbnails += 1;
    }
    deps.logger.info('collection forgotten', { collection: name, items: ids.size, vectors, thumbnails });
    return { collection: name, items: ids.size, vectors, thumbnails };
  } finally {
    release();
  }
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
