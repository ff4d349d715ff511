/**
 * The staging database of a model switch (`reembed.sqlite`, next to the catalog): the new model's vector, or why
 * there is none, for each item re-embedded so far. A file of its own rather than a catalog table: the catalog is not
 * written until the switch (the folder keeps searching with its old vectors), a cancelled switch resumes from what
 * is staged, and a finished one deletes the file.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

export const STAGING_FILE = 'reembed.sqlite';

export interface StagedRow {
  item_id: number;
  hash: Buffer | null;
  vector: Buffer | null;
  error_code: string | null;
  error_reason: string | null;
}

/** The staging of one data folder; opened per job, deleted after a successful switch. */
export class ReembedStagingRepo {
  private readonly db: Database.Database;

  /** Opens (creating if needed) the staging; what it holds for another embedder or dimension (`target`) is discarded. */
  constructor(dataDir: string, target: { embedderId: string; dim: number }) {
    this.db = new Database(join(dataDir, STAGING_FILE));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
      CREATE TABLE IF NOT EXISTS staged (
        item_id      INTEGER PRIMARY KEY,
        hash         BLOB,
        vector       BLOB,
        error_code   TEXT,
        error_reason TEXT
      ) STRICT;
      CREATE INDEX IF NOT EXISTS staged_hash ON staged (hash) WHERE vector IS NOT NULL;
    `);
    const key = `${target.embedderId}/${target.dim}`;
    const have = this.db.prepare("SELECT value FROM meta WHERE key = 'target'").pluck().get() as string | undefined;
    if (have !== key) {
      this.db.transaction(() => {
        this.db.exec('DELETE FROM staged');
        this.db.prepare("INSERT INTO meta (key, value) VALUES ('target', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(key);
      })();
    }
  }

  /** The items staged so far. */
  ids(): Set<number> {
    return new Set(this.db.prepare('SELECT item_id FROM staged').pluck().all() as number[]);
  }

  /** A staged vector of this content, if any. */
  vectorByHash(hash: Buffer): Buffer | undefined {
    return this.db.prepare('SELECT vector FROM staged WHERE hash = ? AND vector IS NOT NULL LIMIT 1').pluck().get(hash) as Buffer | undefined;
  }

  /** Stages one batch, in one transaction. */
  put(rows: readonly StagedRow[]): void {
    const insert = this.db.prepare(
      'INSERT OR REPLACE INTO staged (item_id, hash, vector, error_code, error_reason) VALUES (@item_id, @hash, @vector, @error_code, @error_reason)',
    );
    this.db.transaction(() => {
      for (const r of rows) insert.run(r);
    })();
  }

  /** Every staged row, by item id. */
  *all(): IterableIterator<StagedRow> {
    yield* this.db.prepare('SELECT item_id, hash, vector, error_code, error_reason FROM staged ORDER BY item_id').iterate() as IterableIterator<StagedRow>;
  }

  get isOpen(): boolean {
    return this.db.open;
  }

  close(): void {
    this.db.close();
  }
}

/** Deletes a data folder's staging database and its WAL files. */
export function removeStaging(dataDir: string): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(join(dataDir, STAGING_FILE + suffix), { force: true });
}
