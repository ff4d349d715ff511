/** Phase 1 of indexing a collection: walk its root folders. A root that cannot be walked is offline, not empty. */
import type { CollectionRow } from '../catalog/collections.repo.js';
import type { Catalog } from '../catalog/catalog.js';
import { realRoots } from '../base/confine.js';
import type { Logger } from '../base/logger.js';
import { walk, type ScannedFile } from '../scan/walk.js';

export interface CollectionScan {
  roots: string[];
  /** Every file found, by path. */
  files: Map<string, ScannedFile>;
  /** Roots that could not be walked (an unplugged drive): their items are kept as they are. */
  offline: string[];
}

/**
 * Walks the collection's roots, following links only into its own folders.
 * @throws what the walk throws when `signal` aborts (the caller reports a cancelled run).
 */
export async function scanCollection(
  deps: { catalog: Catalog; logger: Logger },
  collection: CollectionRow,
  options: { signal?: AbortSignal | undefined; onFile?: (found: number) => void },
): Promise<CollectionScan> {
  const { catalog, logger } = deps;
  const { signal } = options;
  const files = new Map<string, ScannedFile>();
  const offline: string[] = [];
  const roots = catalog.collections.roots(collection.id).map((r) => r.path);
  // Resolved once, so a linked root still counts.
  const within = await realRoots(roots);
  for (const root of roots) {
    try {
      for await (const f of walk(root, { signal, logger, within })) {
        files.set(f.path, f);
        options.onFile?.(files.size);
      }
    } catch (err) {
      if (signal?.aborted) throw err;
      offline.push(root);
      logger.warn('root folder unavailable; its items are kept as they are', {
        root,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }
  return { roots, files, offline };
}
