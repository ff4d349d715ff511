/** Collections and their root folders, failures and catalog statistics. */
import { accessSync, constants, statSync } from 'node:fs';
import { isAbsolute, resolve, sep } from 'node:path';
import type { z } from 'zod';
import type { StatsSchema } from '../../shared/api.js';
import { AppError } from '../../shared/errors.js';
import { asItemId, type CollectionId } from '../../shared/types.js';
import type { Catalog } from '../catalog/catalog.js';
import type { CollectionCounts, CollectionRow, RootRow } from '../catalog/collections.repo.js';
import type { FailedRecord } from '../catalog/items.repo.js';
import { classifyFsError } from '../base/read-file.js';
import type { ModelState } from '../models/model-state.js';
import { refusedForPixels } from '../images/decode.js';
import { confineToRoots } from '../base/confine.js';
import { expandHome } from '../base/home-path.js';
import { refuseSystemFolder } from '../base/system-folders.js';

export interface CollectionInfo {
  id: CollectionId;
  name: string;
  roots: RootRow[];
  /** Indexed items (with a vector). */
  itemCount: number;
  failedCount: number;
  /** Catalogued and waiting for their embedding (a progressive run's second pass); absent: none. */
  pendingCount?: number;
  ocr: boolean;
  /** Product regions on (LibraryService.setRegions). */
  regions: boolean;
  /** Photos over the pixel limit indexed downscaled (LibraryService.setDownscale). */
  downscale: boolean;
}

export type CatalogStats = z.output<typeof StatsSchema>;

export class LibraryService {
  constructor(private readonly deps: { catalog: Catalog; model: ModelState }) {}

  listCollections(): CollectionInfo[] {
    const counts = this.deps.catalog.collections.counts();
    const ocr = this.deps.catalog.collections.ocrEnabled();
    return this.deps.catalog.collections.list().map((c) => this.info(c, counts.get(c.id), ocr.has(c.id)));
  }

  /**
   * Turns a collection's product regions on or off: its vectors then average in the crop of each photo's main object
   * (~1.45× the indexing work). Its next index run re-embeds the photos embedded the other way.
   * @throws AppError COLLECTION_NOT_FOUND
   */
  setRegions(name: string, enabled: boolean): CollectionInfo {
    const c = this.deps.catalog.collections.require(name);
    this.deps.catalog.regions.setEnabled(c.id, enabled);
    return this.collection(c.name);
  }

  /** @throws AppError COLLECTION_NOT_FOUND */
  collection(name: string): CollectionInfo {
    const c = this.deps.catalog.collections.require(name);
    return this.info(c, this.deps.catalog.collections.counts().get(c.id), this.deps.catalog.collections.ocrEnabled().has(c.id));
  }

  /**
   * Adds a folder to a collection (creating the collection). A folder inside an existing root adds nothing; a
   * folder that contains existing roots replaces them. Indexing is a separate step (`index:start`).
   * `~` and `~/x` name the home folder.
   * @throws AppError FOLDER_NOT_FOUND, NOT_A_FOLDER, PERMISSION_DENIED, INVALID_INPUT (relative path), SYSTEM_FOLDER
   *   (the file system's root, a system folder or a pseudo file system such as /proc).
   */
  addFolder(collection: string, path: string, reference = false): CollectionInfo {
    const dir = normalizeDir(path);
    let st;
    try {
      st = statSync(dir);
    } catch (err) {
      const e = classifyFsError(err, dir);
      throw e.code === 'NOT_FOUND' ? new AppError('FOLDER_NOT_FOUND', `No such folder: ${dir}`, { cause: err }) : e;
    }
    if (!st.isDirectory()) throw new AppError('NOT_A_FOLDER', `Not a folder: ${dir}`);
    // stat succeeds on a folder its user may not open; indexing it would then fail file by file.
    try {
      accessSync(dir, constants.R_OK | constants.X_OK);
    } catch (err) {
      throw new AppError('PERMISSION_DENIED', `No permission to read the folder ${dir}`, { cause: err });
    }
    // A root makes everything under it reachable through the transports (search by path, CSV import).
    refuseSystemFolder(dir, 'a library folder');
    const { catalog } = this.deps;
    catalog.transaction(() => {
      const c = catalog.collections.ensure(collection);
      const roots = catalog.collections.roots(c.id);
      if (roots.some((r) => r.path === dir || isInside(dir, r.path))) {
        if (roots.some((r) => r.path === dir)) catalog.collections.addRoot(c.id, dir, reference);
        return;
      }
      for (const r of roots) if (isInside(r.path, dir)) catalog.collections.removeRoot(c.id, r.path);
      catalog.collections.addRoot(c.id, dir, reference);
    });
    return this.collection(collection);
  }

  /**
   * Removes a root folder and its items (those not also under another root) from the catalog and the index.
   * @throws AppError COLLECTION_NOT_FOUND, NOT_FOUND (not a root of that collection).
   */
  removeFolder(collection: string, path: string): CollectionInfo {
    const dir = normalizeDir(path);
    const { catalog } = this.deps;
    const c = catalog.collections.require(collection);
    // Verified against the catalog before the rows it is checked against change.
    const vectors = this.deps.model.vectors();
    vectors?.open(c.id);
    const removedVectors: number[] = [];
    catalog.transaction(() => {
      if (!catalog.collections.removeRoot(c.id, dir)) {
        throw new AppError('NOT_FOUND', `"${dir}" is not a folder of collection "${collection}".`);
      }
      const remaining = catalog.collections.roots(c.id).map((r) => r.path);
      for (const item of catalog.items.under(c.id, dir, sep)) {
        if (remaining.some((r) => isInside(item.path, r))) continue;
        catalog.items.delete(item.id);
        if (item.indexed) removedVectors.push(item.id);
      }
    });
    if (vectors && removedVectors.length > 0) {
      vectors.remove(c.id, removedVectors);
      vectors.save(c.id);
    }
    return this.collection(collection);
  }

  /** Files that could not be indexed and why. @throws AppError COLLECTION_NOT_FOUND */
  errors(collection?: string): (FailedRecord & { downscalable: boolean })[] {
    const cid = collection === undefined ? undefined : this.deps.catalog.collections.require(collection).id;
    return this.deps.catalog.items.failed(cid).map((f) => ({ ...f, downscalable: f.code === 'IMAGE_TOO_LARGE' && refusedForPixels(f.reason) }));
  }

  /**
   * The real path of an item's file for a transport to open: it must lie inside its own collection's folders
   * (a file swapped for a link out of them, or a row pointing elsewhere, is refused).
   * @throws AppError ITEM_NOT_FOUND, PATH_OUTSIDE_ROOTS, NOT_FOUND (the file is gone)
   */
  async itemFile(id: number): Promise<string> {
    const { catalog } = this.deps;
    const item = catalog.items.require(asItemId(id));
    return confineToRoots(
      item.path,
      catalog.collections.roots(item.collectionId).map((r) => r.path),
    );
  }

  /**
   * A file path a transport asks to read (a query image): it must lie inside some collection's folders.
   * @throws AppError PATH_OUTSIDE_ROOTS, NOT_FOUND
   */
  async confinePath(path: string): Promise<string> {
    const { catalog } = this.deps;
    const roots = catalog.collections.list().flatMap((c) => catalog.collections.roots(c.id).map((r) => r.path));
    return confineToRoots(path, roots);
  }

  /** Counts per collection, the model, index and catalog sizes (opening an index verifies it against the catalog). */
  stats(): CatalogStats {
    const { catalog, model } = this.deps;
    const totals = catalog.items.totals();
    const vectors = model.vectors();
    const collections = this.listCollections();
    const vectorCount = vectors ? collections.reduce((sum, c) => sum + vectors.size(c.id), 0) : 0;
    return {
      modelId: model.modelId,
      dimensions: Number(catalog.meta.get('dimensions') ?? 0),
      itemCount: totals.items,
      vectorCount,
      failedCount: totals.failed,
      ...(totals.pending > 0 ? { pendingCount: totals.pending } : {}),
      indexBytes: vectors?.diskBytes() ?? 0,
      catalogBytes: catalogBytes(catalog.file),
      collections: collections.map((c) => ({ name: c.name, itemCount: c.itemCount, failedCount: c.failedCount, ...(c.pendingCount ? { pendingCount: c.pendingCount } : {}) })),
    };
  }

  /**
   * Lets a collection's photos over the pixel limit be indexed from a reduced decode (or refuses them again); its
   * next index run retries the ones refused.
   * @throws AppError COLLECTION_NOT_FOUND
   */
  setDownscale(name: string, on: boolean): CollectionInfo {
    const c = this.deps.catalog.collections.require(name);
    this.deps.catalog.collections.setDownscale(c.id, on);
    return this.collection(c.name);
  }

  private info(c: CollectionRow, counts: CollectionCounts | undefined, ocr: boolean): CollectionInfo {
    return {
      id: c.id,
      name: c.name,
      roots: this.deps.catalog.collections.roots(c.id),
      itemCount: counts?.itemCount ?? 0,
      failedCount: counts?.failedCount ?? 0,
      ...(counts?.pendingCount ? { pendingCount: counts.pendingCount } : {}),
      ocr,
      regions: this.deps.catalog.regions.enabled(c.id),
      downscale: this.deps.catalog.collections.downscale(c.id),
    };
  }
}

function normalizeDir(given: string): string {
  const path = expandHome(given);
  if (!isAbsolute(path)) throw new AppError('INVALID_INPUT', `A folder path must be absolute (start with / or ~/): ${given}`);
  return resolve(path);
}

/** Whether `path` lies strictly inside `dir`. */
function isInside(path: string, dir: string): boolean {
  return path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

function catalogBytes(file: string): number {
  let total = 0;
  for (const f of [file, `${file}-wal`]) {
    try {
      total += statSync(f).size;
    } catch {
      // The WAL exists only while a connection is open.
    }
  }
  return total;
}
