/** SQLite's own view of the catalog file: integrity and foreign-key checks, and the repair of what they find. */
import type { Db } from './database.js';

export class IntegrityRepo {
  constructor(private readonly db: Db) {}

  /** What SQLite's integrity and foreign-key checks report, one line each; empty when the file is sound. */
  problems(): string[] {
    const rows = this.db.pragma('integrity_check') as { integrity_check: string }[];
    const problems = rows.map((r) => r.integrity_check).filter((m) => m !== 'ok');
    const fk = this.db.pragma('foreign_key_check') as { table: string; rowid: number; parent: string }[];
    for (const v of fk) problems.push(`${v.table} row ${v.rowid} refers to a missing ${v.parent} row`);
    return problems;
  }

  /**
   * Rebuilds every index from its table (damaged indexes are the common case after a bad sector or a copy
   * mid-write) and removes the rows that point at rows which are gone.
   */
  repair(): void {
    this.db.exec('REINDEX');
    for (const v of this.db.pragma('foreign_key_check') as { table: string; rowid: number }[]) {
      this.db.prepare(`DELETE FROM "${v.table.replaceAll('"', '""')}" WHERE rowid = ?`).run(v.rowid);
    }
  }
}
