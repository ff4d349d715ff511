/**
 * The catalog's SQLite connection, for tests and benches only: they check what was stored independently of the
 * repositories that stored it, and damage rows on purpose. App code goes through the repositories
 * (sql-boundary.test.ts refuses this import anywhere in src/ outside the catalog).
 */
import type { Catalog } from './catalog.js';
import type { Db } from './database.js';

const connections = new WeakMap<Catalog, Db>();

/** Called once by openCatalog. */
export function registerRawDatabase(catalog: Catalog, db: Db): void {
  connections.set(catalog, db);
}

/** @throws Error for a catalog that openCatalog did not open (a test double). */
export function rawDatabase(catalog: Catalog): Db {
  const db = connections.get(catalog);
  if (!db) throw new Error('rawDatabase: not a catalog opened by openCatalog');
  return db;
}
