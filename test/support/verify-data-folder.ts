/**
 * The crash-safety oracle: after any sequence of killed and completed runs, a data folder must hold every valid
 * image exactly once, an index file with exactly the catalog's vectors, a clean SQLite integrity check, no
 * temporary file and no lock, and must answer a search. Used by the kill tests and the soak run.
 */
import { readdirSync } from 'node:fs';
import { runDoctor, type DoctorReport } from '../../src/core/doctor/doctor.js';
import { createEngine } from '../../src/core/app/engine.js';
import { nullLogger } from '../../src/core/base/logger.js';
import { rawDatabase } from '../../src/core/catalog/raw-database.js';

export interface ExpectedContent {
  collection: string;
  /** Absolute paths that must each be indexed exactly once. */
  indexed: readonly string[];
  /** Absolute paths that must each be recorded as failed exactly once. */
  failed?: readonly string[];
  /** How many indexed files to search for (each must find itself first). Default 3. */
  searches?: number;
}

export interface Verification {
  problems: string[];
  doctor: DoctorReport | undefined;
}

const LEFTOVER = /(\.tmp(-\d+)?$|\.stale-\d+$|^index\.lock$)/;

/** Checks a data folder that no process is using. @returns the problems found (none: all good). */
export async function verifyDataFolder(dataDir: string, expected: ExpectedContent): Promise<Verification> {
  const problems: string[] = [];
  // Before the engine opens: opening removes dead processes' temp files, and the point is that none are left.
  for (const name of readdirSync(dataDir)) if (LEFTOVER.test(name)) problems.push(`left behind: ${name}`);

  const engine = await createEngine({ dataDir, logger: nullLogger });
  let doctor: DoctorReport | undefined;
  try {
    // The doctor reads the index files as they are on disk (nothing is rebuilt before it looks).
    doctor = await runDoctor(engine);
    for (const c of doctor.checks) if (c.status !== 'ok') problems.push(`doctor ${c.id}: ${c.details.join('; ')}`);

    const c = engine.catalog.collections.findByName(expected.collection);
    if (!c) {
      problems.push(`no collection ${expected.collection}`);
      return { problems, doctor };
    }
    const rows = rawDatabase(engine.catalog)
      .prepare('SELECT path, model_id IS NOT NULL AS indexed, error_code FROM items WHERE collection_id = ?')
      .all(c.id) as { path: string; indexed: number; error_code: string | null }[];
    const count = (path: string, indexed: boolean) => rows.filter((r) => r.path === path && (r.indexed === 1) === indexed).length;
    for (const p of expected.indexed) {
      const n = count(p, true);
      if (n !== 1) problems.push(`${p}: indexed ${n} times`);
    }
    for (const p of expected.failed ?? []) {
      const n = count(p, false);
      if (n !== 1) problems.push(`${p}: recorded as failed ${n} times`);
    }
    const known = new Set([...expected.indexed, ...(expected.failed ?? [])]);
    for (const r of rows) if (!known.has(r.path)) problems.push(`${r.path}: unexpected row (${r.error_code ?? 'indexed'})`);

    const stats = engine.library.stats();
    const mine = stats.collections.find((x) => x.name === expected.collection);
    if (stats.vectorCount !== stats.itemCount) problems.push(`${stats.vectorCount} vectors for ${stats.itemCount} indexed rows`);
    if (mine?.itemCount !== expected.indexed.length) problems.push(`${mine?.itemCount} indexed, expected ${expected.indexed.length}`);
    const embeddings = rawDatabase(engine.catalog).prepare('SELECT COUNT(*) FROM embeddings').pluck().get() as number;
    if (embeddings !== stats.itemCount) problems.push(`${embeddings} embeddings for ${stats.itemCount} indexed rows`);

    const step = Math.max(1, Math.floor(expected.indexed.length / (expected.searches ?? 3)));
    for (let i = 0; i < expected.indexed.length && i / step < (expected.searches ?? 3); i += step) {
      const path = expected.indexed[i]!;
      const { hits } = await engine.search.byImage({ kind: 'path', path }, { k: 1, collections: [expected.collection] });
      if (hits[0]?.path !== path) problems.push(`search for ${path} found ${hits[0]?.path ?? 'nothing'}`);
    }
  } finally {
    await engine.close();
  }
  return { problems, doctor };
}
