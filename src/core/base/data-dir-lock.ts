/**
 * A lock file that keeps two processes from writing one data folder's vector indexes and rows at once (index,
 * doctor --repair, forget). Searching needs no lock: readers see the last saved index, and the consistency
 * check rebuilds any index that fell behind the catalog. A lock left by a process that died (kill -9, power cut)
 * is recognised by its pid and taken over.
 */
import { closeSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { AppError } from '../../shared/errors.js';
import { classifyFsError } from './read-file.js';

export const LOCK_FILE = 'index.lock';

export interface LockInfo {
  pid: number;
  host: string;
  purpose: string;
  since: string;
}

/**
 * Takes `<dataDir>/index.lock`, replacing a stale one left by a dead process on this host.
 * @returns the release function.
 * @throws AppError DATA_DIR_LOCKED ("data folder in use by PID …") when a live process holds it.
 */
export function acquireDataDirLock(dataDir: string, purpose: string): () => void {
  const file = join(dataDir, LOCK_FILE);
  const mine: LockInfo = { pid: process.pid, host: hostname(), purpose, since: new Date().toISOString() };
  const text = JSON.stringify(mine);
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw classifyFsError(err, file);
      fd = -1;
    }
    if (fd >= 0) {
      try {
        writeSync(fd, text);
      } catch (err) {
        // A lock we could not fill in (a full disk) must not stay behind looking like someone else's.
        closeSync(fd);
        rmSync(file, { force: true });
        throw classifyFsError(err, file);
      }
      closeSync(fd);
      return () => {
        // Only our own lock is removed (a stale-lock takeover by another process must not be undone).
        if (readText(file) === text) rmSync(file, { force: true });
      };
    }
    const holder = readLock(file);
    if (holder ? isStale(holder) : isAbandoned(file)) {
      removeStale(file, holder);
      continue;
    }
    throw lockedError(holder, file);
  }
  throw new AppError('DATA_DIR_LOCKED', `Could not take the lock ${file}; another process keeps taking it.`);
}

/** Who holds the data folder's lock, and whether that process is gone. */
export function lockHolder(dataDir: string): (LockInfo & { stale: boolean }) | undefined {
  const info = readLock(join(dataDir, LOCK_FILE));
  return info && { ...info, stale: isStale(info) };
}

/** Whether a process with this pid runs on this machine. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lockedError(holder: LockInfo | undefined, file: string): AppError {
  if (!holder) {
    return new AppError('DATA_DIR_LOCKED', `The data folder is in use by another process (lock ${file}); wait for it to finish.`);
  }
  const where = holder.host === hostname() ? '' : ` on ${holder.host}`;
  return new AppError(
    'DATA_DIR_LOCKED',
    `The data folder is in use by PID ${holder.pid}${where} (${holder.purpose} since ${holder.since}); wait for it to finish, ` +
      `or delete ${file} if that process is gone.`,
  );
}

function isStale(holder: LockInfo): boolean {
  return holder.host === hostname() && holder.pid !== process.pid && !isAlive(holder.pid);
}

/** An unreadable lock file (a process killed between creating and writing it) that is not brand new. */
function isAbandoned(file: string): boolean {
  try {
    return Date.now() - statSync(file).mtimeMs > 5000;
  } catch {
    return false;
  }
}

/**
 * Moves the stale lock aside before deleting it, and puts it back if what was moved is not the stale lock we
 * judged (another process took it over in between): two processes can never both believe they removed it.
 */
function removeStale(file: string, stale: LockInfo | undefined): void {
  const aside = `${file}.stale-${process.pid}`;
  try {
    renameSync(file, aside);
  } catch {
    return; // Someone else moved it first; retry the create.
  }
  const moved = readLock(aside);
  if (moved && (moved.pid !== stale?.pid || moved.since !== stale.since)) {
    try {
      writeFileSync(file, readText(aside) ?? '', { flag: 'wx' });
    } catch {
      // A third process already holds a fresh lock; ours retry then fails as it should.
    }
  }
  rmSync(aside, { force: true });
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function readLock(file: string): LockInfo | undefined {
  const text = readText(file);
  if (text === undefined) return undefined;
  try {
    const info = JSON.parse(text) as Partial<LockInfo>;
    return typeof info.pid === 'number' && typeof info.host === 'string'
      ? { pid: info.pid, host: info.host, purpose: String(info.purpose ?? 'unknown'), since: String(info.since ?? '?') }
      : undefined;
  } catch {
    return undefined;
  }
}
