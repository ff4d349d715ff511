/**
 * `doctor`: checks that a data folder is whole (SQLite integrity, the catalog's own invariants, every vector index
 * against the catalog, thumbnails and temp files nobody owns, a stale lock, roots and catalogued files that are
 * gone) and, with `repair`, rebuilds what can be rebuilt from the catalog and the user's files. What cannot be
 * rebuilt (a damaged catalog, missing photos) is reported with what the user can do about it.
 */
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Catalog } from '../catalog/catalog.js';
import type { ModelState } from '../models/model-state.js';
import { acquireDataDirLock, lockHolder, LOCK_FILE } from '../base/data-dir-lock.js';
import { isInside } from '../base/confine.js';
import { listThumbnails, thumbKey } from '../thumbs/thumbnails.js';
import { findLeftovers, removeLeftovers } from './leftovers.js';

export type CheckStatus = 'ok' | 'problem' | 'repaired' | 'unrepairable';

export interface DoctorCheck {
  id: 'integrity' | 'invariants' | 'vectors' | 'thumbnails' | 'temp-files' | 'lock' | 'roots' | 'files' | 'failed' | 'pending';
  title: string;
  status: CheckStatus;
  /** What was found (and done); at most a screenful, with a count of the rest. */
  details: string[];
  /** How many things the check found wrong (before any repair). */
  count: number;
  ms: number;
}

export interface DoctorReport {
  dataDir: string;
  /** True when nothing is left to fix: every check is `ok` or `repaired`. */
  healthy: boolean;
  checks: DoctorCheck[];
  seconds: number;
}

export interface DoctorOptions {
  repair?: boolean;
}

const MAX_DETAILS = 20;

/** The open data folder the doctor examines (an Engine is one; a feature may not name the app above it). */
export interface DoctorSubject {
  readonly dataDir: string;
  readonly catalog: Catalog;
  readonly model: Pick<ModelState, 'vectors'>;
}

/**
 * Runs every check (and, with `repair`, the repairs) on an open engine's data folder.
 * @throws AppError DATA_DIR_LOCKED when repairing while another process indexes the folder.
 */
export async function runDoctor(engine: DoctorSubject, options: DoctorOptions = {}): Promise<DoctorReport> {
  const started = performance.now();
  const repair = options.repair ?? false;
  const { catalog, dataDir } = engine;
  const checks: DoctorCheck[] = [];
  const run = (id: DoctorCheck['id'], title: string, fn: () => Omit<DoctorCheck, 'id' | 'title' | 'ms'>) => {
    const t0 = performance.now();
    const result = fn();
    const details = result.details.length > MAX_DETAILS
      ? [...result.details.slice(0, MAX_DETAILS), `... and ${result.details.length - MAX_DETAILS} more`]
      : result.details;
    checks.push({ id, title, ...result, details, ms: Math.round(performance.now() - t0) });
  };
  const fixed = (count: number, details: string[]) => ({ status: (repair ? 'repaired' : 'problem') as CheckStatus, count, details });
  const ok = (details: string[] = []) => ({ status: 'ok' as CheckStatus, count: 0, details });

  // The lock first: repairing needs the folder to itself, and a stale lock is itself a finding.
  run('lock', 'data folder lock', () => {
    const holder = lockHolder(dataDir);
    if (!holder) return ok();
    if (!holder.stale) return ok([`PID ${holder.pid} (${holder.purpose}) is using the folder; indexes may show its work in progress`]);
    if (repair) rmSync(join(dataDir, LOCK_FILE), { force: true });
    return fixed(1, [`left by PID ${holder.pid} (${holder.purpose} since ${holder.since}), which is no longer running`]);
  });
  const release = repair ? acquireDataDirLock(dataDir, 'doctor --repair') : () => undefined;
  try {
    run('integrity', 'catalog integrity (SQLite)', () => {
      const problems = catalog.integrity.problems();
      if (problems.length === 0) return ok();
      if (!repair) return { status: 'problem', count: problems.length, details: problems };
      catalog.integrity.repair();
      const left = catalog.integrity.problems();
      if (left.length === 0) return { status: 'repaired', count: problems.length, details: [...problems, 'rebuilt the SQLite indexes'] };
      return {
        status: 'unrepairable',
        count: problems.length,
        details: [
          ...left,
          'the catalog is damaged beyond rebuilding its indexes: restore a backup of catalog.sqlite, or index your folders again into a new --data folder',
        ],
      };
    });

    run('invariants', 'catalog consistency', () => {
      const embedderId = catalog.meta.get('embedder_id');
      const noVector = catalog.items.indexedWithoutVector();
      const foreign = embedderId ? catalog.items.embeddedByOtherModel(embedderId) : [];
      const bad = [...noVector.map((r) => ({ ...r, why: 'indexed but has no embedding' })), ...foreign.map((r) => ({ ...r, why: 'embedded by another model' }))];
      if (bad.length === 0) return ok();
      if (repair) {
        // Dropping the rows makes the next `lookalike index` embed those files again with the folder's model.
        catalog.transaction(() => {
          for (const r of bad) catalog.items.delete(r.id);
        });
      }
      return fixed(bad.length, [
        ...bad.map((r) => `${r.path}: ${r.why}`),
        repair ? 'removed those rows; the next `lookalike index` embeds the files again' : 'repair removes the rows so the next index embeds them again',
      ]);
    });

    run('vectors', 'vector indexes match the catalog', () => {
      const store = engine.model.vectors();
      const collections = catalog.collections.list();
      const details: string[] = [];
      let count = 0;
      if (store) {
        for (const c of collections) {
          const problem = store.check(c.id);
          if (problem === undefined) continue;
          count += 1;
          if (repair) {
            const n = store.rebuildAndSave(c.id);
            details.push(`${c.name}: the index ${problem}; rebuilt from the catalog (${n} vectors)`);
          } else {
            details.push(`${c.name}: the index ${problem}`);
          }
        }
        const stray = store.strayFiles(new Set(collections.map((c) => c.id)));
        for (const f of stray) {
          count += 1;
          details.push(`${f}: not used by any collection${repair ? '; deleted' : ''}`);
          if (repair) rmSync(f, { force: true });
        }
      }
      return count === 0 ? ok() : fixed(count, details);
    });

    run('thumbnails', 'cached thumbnails', () => {
      const keys = new Map<number, string>();
      for (const r of catalog.items.contentKeys()) keys.set(r.id, thumbKey(r.hash, r.size, r.mtimeMs));
      const orphans = listThumbnails(dataDir).filter((t) => keys.get(t.id) !== t.key);
      if (orphans.length === 0) return ok();
      const bytes = orphans.reduce((sum, t) => sum + sizeOf(t.path), 0);
      if (repair) for (const t of orphans) rmSync(t.path, { force: true });
      return fixed(orphans.length, [`${orphans.length} thumbnails (${bytes} bytes) of items that are gone or changed${repair ? ': deleted' : ''}`]);
    });

    run('temp-files', 'temporary files of stopped processes', () => {
      const found = repair ? removeLeftovers(dataDir, { thumbs: true }) : findLeftovers(dataDir, { thumbs: true });
      return found.length === 0 ? ok() : fixed(found.length, found.map((f) => `${f.path}${repair ? ': deleted' : ''}`));
    });

    const offline = new Set<string>();
    run('roots', 'collection folders are reachable', () => {
      const details: string[] = [];
      for (const c of catalog.collections.list()) {
        for (const r of catalog.collections.roots(c.id)) {
          if (isFolder(r.path)) continue;
          offline.add(r.path);
          details.push(`${c.name}: ${r.path} is missing or not a folder (an unplugged drive?); its items are kept as they are`);
        }
      }
      return details.length === 0 ? ok() : { status: 'unrepairable', count: details.length, details };
    });

    run('files', 'catalogued files exist', () => {
      const missing: string[] = [];
      for (const c of catalog.collections.list()) {
        const roots = catalog.collections.roots(c.id).map((r) => r.path);
        for (const row of catalog.items.scanRows(c.id)) {
          if (roots.some((r) => offline.has(r) && isInside(row.path, r))) continue;
          if (!isFile(row.path)) missing.push(`${c.name}: ${row.path}`);
        }
      }
      if (missing.length === 0) return ok();
      return {
        status: 'unrepairable',
        count: missing.length,
        details: [...missing, 'these files are gone: restore them, or run `lookalike index` to drop them from the catalog'],
      };
    });

    // One read of the totals for both checks below.
    const { failed, pending } = catalog.items.totals();
    run('failed', 'files that could not be indexed', () => {
      return ok(failed === 0 ? [] : [`${failed} files were recorded with a reason; see \`lookalike errors\``]);
    });

    // Not a fault: a progressive run stopped before its embedding pass (or still in it) leaves catalogued files that
    // duplicates already see and search does not yet; the next index run embeds them in place.
    run('pending', 'catalogued files waiting for their embedding', () => {
      return ok(pending === 0 ? [] : [`${pending} files are catalogued (duplicates see them) but not searchable yet; \`lookalike index\` embeds them`]);
    });
  } finally {
    release();
  }
  return {
    dataDir,
    healthy: checks.every((c) => c.status === 'ok' || c.status === 'repaired'),
    checks,
    seconds: (performance.now() - started) / 1000,
  };
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
