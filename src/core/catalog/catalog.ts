/**
 * The catalog: one SQLite database and the repositories over it. The connection stays in here: features read and
 * write through the repositories (sql-boundary.test.ts keeps SQL out of the rest of src/).
 */
import type { CollectionId } from '../../shared/types.js';
import type { Logger } from '../base/logger.js';
import { CollectionsRepo } from './collections.repo.js';
import { classifySqliteError, openDatabase } from './database.js';
import { DedupeJournalRepo } from './dedupe-journal.repo.js';
import { forgetCollectionRows, type ForgottenRows } from './forget-collection.js';
import { IntegrityRepo } from './integrity.repo.js';
import { ItemsRepo } from './items.repo.js';
import { MatchDecisionsRepo } from './match-decisions.repo.js';
import { MetaRepo } from './meta.repo.js';
import { ProductsRepo } from './products.repo.js';
import { registerRawDatabase } from './raw-database.js';
import { SignaturesRepo } from './signatures.repo.js';
import { TextRepo } from './text.repo.js';
import { RegionsRepo } from './regions.repo.js';
import { QueryHistoryRepo } from './query-history.repo.js';

export interface Catalog {
  readonly file: string;
  readonly items: ItemsRepo;
  readonly collections: CollectionsRepo;
  readonly meta: MetaRepo;
  readonly products: ProductsRepo;
  /** OCR text and the per-collection OCR setting. */
  readonly text: TextRepo;
  /** Perceptual signatures by content. */
  readonly signatures: SignaturesRepo;
  /** Dedupe actions with their undo data, and the "not duplicates" pairs. */
  readonly dedupeJournal: DedupeJournalRepo;
  readonly matchDecisions: MatchDecisionsRepo;
  /** SQLite's integrity checks and their repair (`doctor`). */
  readonly integrity: IntegrityRepo;
  readonly regions: RegionsRepo;
  /** The last queries (the search panel's history). */
  readonly history: QueryHistoryRepo;
  /**
   * Runs `fn` in one write transaction (nested calls become savepoints); on any error nothing of it is kept.
   * @throws AppError DISK_FULL, DATA_DIR_LOCKED, DB_CORRUPT... for SQLite's own failures; `fn`'s errors as thrown.
   */
  transaction<T>(fn: () => T): T;
  /**
   * Deletes a collection and every row derived from its content (its undo journal, and the signatures, "not
   * duplicates" pairs and match decisions of content no other collection has), overwriting them, then rewrites the
   * file and empties the WAL so no old copy of them is left (see forget-collection.ts). Not inside a transaction.
   * @throws AppError DISK_FULL, DATA_DIR_LOCKED... (then nothing is deleted)
   */
  forgetCollection(id: CollectionId): ForgottenRows;
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
  const transaction = <T>(fn: () => T): T => {
    try {
      return db.transaction(fn).immediate();
    } catch (err) {
      throw isSqliteError(err) ? classifySqliteError(err, file) : err;
    }
  };
  const catalog: Catalog = {
    file,
    items: new ItemsRepo(db),
    collections: new CollectionsRepo(db),
    meta: new MetaRepo(db),
    products: new ProductsRepo(db),
    text: new TextRepo(db),
    signatures: new SignaturesRepo(db),
    dedupeJournal: new DedupeJournalRepo(db),
    matchDecisions: new MatchDecisionsRepo(db),
    integrity: new IntegrityRepo(db),
    transaction,
    forgetCollection: (id) => forgetCollectionRows(db, id, { file, logger, transaction }),
    regions: new RegionsRepo(db),
    history: new QueryHistoryRepo(db),
    dataVersion: () => dataVersion.get() as number,
    close: () => db.close(),
  };
  registerRawDatabase(catalog, db);
  return catalog;
}

/** better-sqlite3's own errors carry an `SQLITE_*` code; anything else came from the caller's code. */
function isSqliteError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && String((err as { code: unknown }).code).startsWith('SQLITE_');
}
