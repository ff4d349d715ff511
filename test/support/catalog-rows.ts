/**
 * What another process sees committed in a data folder's catalog while `lookalike index` runs (kill tests and the
 * crash soak): embedded rows, and rows catalogued but waiting for their embedding (a progressive run's pending items).
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';

const WHERE = {
  indexed: 'model_id IS NOT NULL',
  pending: 'model_id IS NULL AND error_code IS NULL',
} as const;

/** Committed rows of that kind (0 while there is no catalog yet). */
export function committedRows(dataDir: string, kind: keyof typeof WHERE): number {
  try {
    // Opened as the kill test's own counter always was (read-write): a read-only connection may not open a WAL
    // catalog whose shared-memory file it cannot create.
    const db = new Database(join(dataDir, 'catalog.sqlite'), { fileMustExist: true });
    try {
      return db.prepare(`SELECT COUNT(*) FROM items WHERE ${WHERE[kind]}`).pluck().get() as number;
    } finally {
      db.close();
    }
  } catch {
    return 0;
  }
}
