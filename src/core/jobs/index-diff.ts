/**
 * Phase 2 of indexing a collection, and its end: what the scan found against the catalog's rows. A file whose size
 * and mtime match its row is unchanged and not read; a new or changed file is work. A row whose file was not found
 * (and is not under an offline root) has vanished: it is a candidate for a move (same content found under another
 * path) until the run has seen every file, and leaves the catalog at the end when no file claimed it.
 */
import { stat } from 'node:fs/promises';
import type { CollectionId } from '../../shared/types.js';
import type { Catalog } from '../catalog/catalog.js';
import type { ScanRow } from '../catalog/items.repo.js';
import { isInside } from '../base/confine.js';
import type { ScannedFile } from '../scan/walk.js';
import type { VectorStore } from '../vectors/vector-store.js';
import type { CollectionScan } from './index-scan.js';

/** A file to read: new, changed, or previously failed. */
export interface Work {
  file: ScannedFile;
  /** The file's current row when it has one (a changed or previously failed file). */
  existing?: ScanRow;
}

export interface CatalogDiff {
  work: Work[];
  /** Indexed rows whose file is unchanged. */
  unchanged: number;
  vanished: Vanished;
}

/**
 * Compares the scan with the collection's rows. `cropAverage`: the kind of vector the run stores; an indexed row of
 * the other kind is work (embedded again), and never the source of a move. `downscale`: the collection now takes
 * photos over the pixel limit, so an unchanged file refused as too large is work again.
 */
export function diffWithCatalog(catalog: Catalog, collectionId: CollectionId, scan: CollectionScan, cropAverage = false, downscale = false): CatalogDiff {
  const rows = catalog.items.scanRows(collectionId);
  const rowByPath = new Map(rows.map((r) => [r.path, r]));
  const work: Work[] = [];
  let unchanged = 0;
  for (const file of scan.files.values()) {
    const row = rowByPath.get(file.path);
    if (!row) work.push({ file });
    else if (row.size !== file.size || row.mtimeMs !== file.mtimeMs || (row.indexed && row.averaged !== cropAverage)) work.push({ file, existing: row });
    else if (row.indexed) unchanged += 1;
    else if (downscale && row.errorCode === 'IMAGE_TOO_LARGE') work.push({ file, existing: row });
  }
  const vanished = rows.filter((r) => !scan.files.has(r.path) && !underAny(r.path, scan.offline));
  return { work, unchanged, vanished: new Vanished(vanished, cropAverage) };
}

/** The rows whose files the scan did not find. */
export class Vanished {
  private readonly byHash = new Map<string, ScanRow[]>();
  private readonly claimed = new Set<number>();

  constructor(
    private readonly rows: readonly ScanRow[],
    cropAverage = false,
  ) {
    for (const r of rows) {
      if (!r.indexed || !r.hash || r.averaged !== cropAverage) continue;
      const key = r.hash.toString('hex');
      this.byHash.set(key, [...(this.byHash.get(key) ?? []), r]);
    }
  }

  /** An indexed vanished row with this content that no other file claimed yet, now claimed (the file moved). */
  claim(hash: Buffer): ScanRow | undefined {
    const from = this.byHash.get(hash.toString('hex'))?.find((r) => !this.claimed.has(r.id));
    if (from) this.claimed.add(from.id);
    return from;
  }

  /** The unclaimed rows not under an offline root: their files are gone. */
  gone(offline: readonly string[]): ScanRow[] {
    return this.rows.filter((r) => !this.claimed.has(r.id) && !underAny(r.path, offline));
  }
}

/**
 * Removes what is gone, only after a complete pass (the vanished rows were the candidates for moves). A root that went
 * away during the run (a drive unplugged mid-scan) is offline, not emptied.
 * @returns the number of rows removed.
 */
export async function removeGone(
  deps: { catalog: Catalog; vectors: VectorStore },
  collectionId: CollectionId,
  scan: CollectionScan,
  vanished: Vanished,
): Promise<number> {
  const offline = [...scan.offline];
  for (const root of scan.roots) if (!offline.includes(root) && !(await isFolder(root))) offline.push(root);
  const gone = vanished.gone(offline);
  if (gone.length === 0) return 0;
  deps.catalog.transaction(() => {
    for (const r of gone) deps.catalog.items.delete(r.id);
  });
  deps.vectors.remove(
    collectionId,
    gone.filter((r) => r.indexed).map((r) => r.id),
  );
  return gone.length;
}

function underAny(path: string, roots: readonly string[]): boolean {
  return roots.some((root) => isInside(path, root));
}

async function isFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
