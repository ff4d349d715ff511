/**
 * A lock file that keeps two processes from indexing one data folder at once (they would race on the same
 * index files and rows). Searching needs no lock: readers see the last saved index, and the consistency check
 * rebuilds any index that fell behind the catalog.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { AppError } from '../../shared/errors.js';

interface LockInfo {
  pid: number;
  host: string;
  purpose: string;
  since: string;
}

/**
 * Takes `<dataDir>/index.lock`, replacing a stale one left by a dead process on this host.
 * @returns the release function.
 * @throws AppError DATA_DIR_LOCKED when a live process holds it.
 */
export function acquireDataDirLock(dataDir: string, purpose: string): () => void {
  const file = join(dataDir, 'index.lock');
  const mine: LockInfo = { pid: process.pid, host: hostname(), purpose, since: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, JSON.stringify(mine), { flag: 'wx' });
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const other = readLock(file);
    if (other && other.host === mine.host && other.pid !== process.pid && !isAlive(other.pid)) {
      rmSync(file, { force: true });
      continue;
    }
    const who = other ? `process ${other.pid} on ${other.host} (${other.purpose} since ${other.since})` : 'another process';
    throw new AppError(
      'DATA_DIR_LOCKED',
      `The data folder is busy: ${who} is indexing it. Wait for it to finish, or delete ${file} if that process is gone.`,
    );
  }
  throw new AppError('DATA_DIR_LOCKED', `Could not take the lock ${file}.`);
}

function readLock(file: string): LockInfo | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockInfo;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
