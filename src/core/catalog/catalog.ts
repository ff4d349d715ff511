/** The catalog: one SQLite database and the repositories over it. */
import type { Logger } from '../logger.js';
import { CollectionsRepo } from './collections.repo.js';
import { openDatabase, type Db } from './database.js';
import { ItemsRepo } from './items.repo.js';
import { MetaRepo } from './meta.repo.js';

export interface Catalog {
  readonly file: string;
  readonly db: Db;
  readonly items: ItemsRepo;
  readonly collections: CollectionsRepo;
  readonly meta: MetaRepo;
  /** Runs `fn` in one write transaction (nested calls become savepoints). */
  transaction<T>(fn: () => T): T;
  close(): void;
}

/** @throws AppError DB_CORRUPT, PERMISSION_DENIED (see openDatabase). */
export function openCatalog(file: string, logger: Logger): Catalog {
  const db = openDatabase(file, { logger });
  return {
    file,
    db,
    items: new ItemsRepo(db),
    collections: new CollectionsRepo(db),
    meta: new MetaRepo(db),
    transaction: <T>(fn: () => T): T => db.transaction(fn).immediate(),
    close: () => db.close(),
  };
}
