import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCK_FILE, acquireDataDirLock, lockHolder } from './data-dir-lock.js';

const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;

describe('data folder lock', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lookalike-lock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is exclusive and names the holder by PID', () => {
    const release = acquireDataDirLock(dir, 'index');
    expect(lockHolder(dir)).toMatchObject({ pid: process.pid, purpose: 'index', stale: false });
    // Another live process's lock (our parent stands in for it).
    release();
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: process.ppid, host: hostname(), purpose: 'index', since: 'now' }));
    expect(() => acquireDataDirLock(dir, 'forget')).toThrow(
      expect.objectContaining({ code: 'DATA_DIR_LOCKED', message: expect.stringMatching(new RegExp(`^The data folder is in use by PID ${process.ppid} \\(index since now\\)`)) }),
    );
  });

  it('takes over the lock of a process that died, and an empty lock left by one killed while writing it', () => {
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: deadPid(), host: hostname(), purpose: 'index', since: 'then' }));
    expect(lockHolder(dir)?.stale).toBe(true);
    const release = acquireDataDirLock(dir, 'index');
    expect(lockHolder(dir)?.pid).toBe(process.pid);
    release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);

    writeFileSync(join(dir, LOCK_FILE), '');
    // Brand new: maybe a process that is writing it right now.
    expect(() => acquireDataDirLock(dir, 'index')).toThrow(expect.objectContaining({ code: 'DATA_DIR_LOCKED' }));
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(dir, LOCK_FILE), old, old);
    acquireDataDirLock(dir, 'index')();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('leaves a lock taken over by someone else alone when releasing', () => {
    const release = acquireDataDirLock(dir, 'index');
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: process.ppid, host: hostname(), purpose: 'other', since: 'now' }));
    release();
    expect(lockHolder(dir)?.purpose).toBe('other');
  });
});
