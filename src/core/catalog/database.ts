/**
 * Opens the catalog (one SQLite file per data folder) in WAL mode with foreign keys on, and brings its schema up
 * to date with the numbered migrations. SQLite's native errors are classified here, once, into AppError codes.
 */
import { existsSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { AppError, isAppError } from '../../shared/errors.js';
import type { Logger } from '../base/logger.js';
import { migrations as allMigrations, type Migration } from './migrations/index.js';

export type Db = Database.Database;

export interface OpenDatabaseOptions {
  logger: Logger;
  /** Milliseconds a writer waits for another process's lock before SQLITE_BUSY (default 5000). */
  busyTimeoutMs?: number;
  migrations?: readonly Migration[];
}

/**
 * Opens (creating if needed) the catalog at `file` and applies pending migrations.
 * @throws AppError DB_CORRUPT when the file is not a usable database or comes from a newer app version.
 */
export function openDatabase(file: string, options: OpenDatabaseOptions): Db {
  const migrations = options.migrations ?? allMigrations;
  let db: Db | undefined;
  try {
    db = new Database(file, { timeout: options.busyTimeoutMs ?? 5000 });
    db.pragma('journal_mode = WAL');
    // NORMAL is durable in WAL mode except for the last transactions before a power cut, which the index job
    // redoes on its next run anyway.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db, migrations, options.logger);
    return db;
  } catch (err) {
    db?.close();
    const classified = classifySqliteError(err, file);
    if (classified.code !== 'DISK_FULL' || !existsSync(file)) throw classified;
    return openOnFullDisk(file, options, migrations, classified);
  }
}

/**
 * A catalog on a full disk, for reading: SQLite cannot size its shared-memory file (`-shm`, 32 KB) there, which the
 * first access to a WAL database needs, so every command failed, searches included. In exclusive locking mode
 * SQLite keeps that index in its own memory instead; the price is that other processes wait for this connection
 * (SQLITE_BUSY after the busy timeout) until it closes, which on a full disk only delays what would fail anyway.
 * Writes fail with SQLITE_FULL (DISK_FULL) until space is freed.
 * @throws AppError `full` when the catalog needs a migration (a write), or cannot be read this way either.
 */
function openOnFullDisk(file: string, options: OpenDatabaseOptions, migrations: readonly Migration[], full: AppError): Db {
  let db: Db | undefined;
  try {
    db = new Database(file, { timeout: options.busyTimeoutMs ?? 5000, fileMustExist: true });
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('foreign_keys = ON');
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current < (migrations.at(-1)?.version ?? 0)) throw full;
    migrate(db, migrations, options.logger);
    options.logger.warn('the disk holding the catalog is full: it is open for reading, and other processes wait until this one ends', { file });
    return db;
  } catch (err) {
    db?.close();
    throw isAppError(err) ? err : full;
  }
}

function migrate(db: Db, migrations: readonly Migration[], logger: Logger): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new AppError(
      'DB_CORRUPT',
      `The catalog has schema version ${current}, newer than this app understands (${latest}); update Lookalike or use another --data folder.`,
    );
  }
  for (const m of migrations) {
    if (m.version <= current) continue;
    if (applyMigration(db, m)) logger.info('catalog migrated', { version: m.version, name: m.name });
  }
}

/**
 * Applies one migration in a write transaction taken up front, unless the catalog already has it: two processes
 * opening a fresh data folder at once (an index run and a search started together) both read version 0, and the
 * second then waited for the first's write and ran 0001 again ("table image_signatures already exists"). BEGIN
 * IMMEDIATE makes the second wait *before* it reads the version it decides on.
 * @returns whether this connection applied it.
 */
export function applyMigration(db: Db, m: Migration): boolean {
  // The pragma is a no-op inside a transaction, so it is set around it.
  if (m.foreignKeysOff) db.pragma('foreign_keys = OFF');
  try {
    return db
      .transaction(() => {
        if ((db.pragma('user_version', { simple: true }) as number) >= m.version) return false;
        m.up(db);
        if (m.foreignKeysOff) {
          const broken = db.pragma('foreign_key_check') as unknown[];
          if (broken.length > 0) throw new AppError('DB_CORRUPT', `Migration ${m.version} (${m.name}) would leave ${broken.length} broken references; the catalog is unchanged.`);
        }
        db.pragma(`user_version = ${m.version}`);
        return true;
      })
      .immediate();
  } finally {
    if (m.foreignKeysOff) db.pragma('foreign_keys = ON');
  }
}

/** Maps a better-sqlite3 error to an AppError with a code a user can act on; AppErrors pass through. */
export function classifySqliteError(err: unknown, file?: string): AppError {
  if (isAppError(err)) return err;
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
  const where = file ? ` (${file})` : '';
  // Extended codes (SQLITE_CORRUPT_INDEX, SQLITE_IOERR_WRITE...) share their primary code's prefix.
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return new AppError('DB_CORRUPT', `The catalog is damaged or not a Lookalike database${where}.`, { cause: err });
  }
  // A full disk often surfaces as an I/O error (creating the WAL index, growing the WAL), not as SQLITE_FULL.
  if (code === 'SQLITE_FULL' || (code.startsWith('SQLITE_IOERR') && file !== undefined && diskIsFull(file))) {
    return new AppError('DISK_FULL', `The disk holding the catalog is full${where}; free some space and run again.`, { cause: err });
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new AppError('DATA_DIR_LOCKED', `The catalog is busy in another process${where}.`, { cause: err });
  }
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_READONLY') || code === 'SQLITE_PERM') {
    return new AppError('PERMISSION_DENIED', `Cannot open the catalog for writing${where}.`, { cause: err });
  }
  return new AppError('INTERNAL', `Catalog error${where}: ${err instanceof Error ? err.message : String(err)}`, {
    cause: err,
  });
}

function diskIsFull(file: string): boolean {
  try {
    const fs = statfsSync(dirname(file));
    return fs.bavail * fs.bsize < 256 * 1024;
  } catch {
    return false;
  }
}
