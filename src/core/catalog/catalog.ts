/** The catalog: one SQLite database and the repositories over it. */
import type { Logger } from '../base/logger.js';
import { CollectionsRepo } from './collections.repo.js';
import { classifySqliteError, openDatabase, type Db } from './database.js';
import { ItemsRepo } from './items.repo.js';
import { MetaRepo } from './meta.repo.js';
import { ProductsRepo } from './products.repo.js';
import { RegionsRepo } from './regions.repo.js';

export interface Catalog {
  readonly file: string;
  readonly db: Db;
  readonly items: ItemsRepo;
  readonly collections: CollectionsRepo;
  readonly meta: MetaRepo;
  readonly products: ProductsRepo;
  readonly regions: RegionsRepo;
  /**
   * Runs `fn` in one write transaction (nested calls become savepoints); on any error nothing of it is kept.
   * @throws AppError DISK_FULL, DATA_DIR_LOCKED, DB_CORRUPT... for SQLite's own failures; `fn`'s errors as thrown.
   */
  transaction<T>(fn: () => T): T;
  /**
   * A number that moves whenever another connection (another process, or another engine in this one) has committed
   * to the catalog since the last call; never for this connection's own commits. One read of SQLite's shared memory
   * (~10 µs): what a reader checks before trusting what it cached from the catalog.
   */
  dataVersion(): number;
  close(): void;
}

/** @throws AppError DB_CORRUPT, PERMISSION_DENIED (see openDatabase). */
export function openCatalog(file: string, logger: Logger): Catalog {
  const db = openDatabase(file, { logger });
  const dataVersion = db.prepare('PRAGMA data_version').pluck();
  return {
    file,
    db,
    items: new ItemsRepo(db),
    collections: new CollectionsRepo(db),
    meta: new MetaRepo(db),
    products: new ProductsRepo(db),
    regions: new RegionsRepo(db),
    transaction: <T>(fn: () => T): T => {
      try {
        return db.transaction(fn).immediate();
      } catch (err) {
        throw isSqliteError(err) ? classifySqliteError(err, file) : err;
      }
    },
    dataVersion: () => dataVersion.get() as number,
    close: () => db.close(),
  };
}

/** better-sqlite3's own errors carry an `SQLITE_*` code; anything else came from the caller's code. */
function isSqliteError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && String((err as { code: unknown }).code).startsWith('SQLITE_');
}
