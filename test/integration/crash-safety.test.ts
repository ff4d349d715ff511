/**
 * Crash safety, proven on the real CLI in child processes: `lookalike index` killed with SIGKILL at random
 * moments and run again loses and duplicates nothing; a second process on the same data folder is refused with
 * the holder's PID while searches keep answering; a full disk fails the batch cleanly and leaves the catalog and
 * the index as they were. (The soak variant with 20+ kills is bench/reliability.ts.)
 */
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli, type CliRun } from '../support/cli-process.js';
import { verifyDataFolder } from '../support/verify-data-folder.js';
import { committedRows } from '../support/catalog-rows.js';
import { writeScene } from '../support/synthetic.js';
import type { Engine } from '../../src/core/app/engine.js';
import { EMBED_POOL_MIN_FILES_ENV, PROGRESSIVE_MIN_FILES_ENV } from '../../src/cli/context.js';
import type { Progress } from '../../src/shared/types.js';
import { ensureBuiltCli } from './built-cli.js';
import { TEST_MODEL, openTestEngine, tempDir, type TempDir } from './helpers.js';
import { rawDatabase } from '../../src/core/catalog/raw-database.js';

let tmp: TempDir;

/** Deterministic pseudo-random numbers, so a failing kill schedule can be replayed from the seed in the log. */
function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
}

async function makePhotos(dir: string, count: number, firstSeed: number): Promise<string[]> {
  const paths = Array.from({ length: count }, (_, i) => join(dir, `sub${i % 3}`, `p${firstSeed + i}.jpg`));
  for (let i = 0; i < paths.length; i += 16) {
    await Promise.all(paths.slice(i, i + 16).map((p, j) => writeScene(p, firstSeed + i + j, { width: 160, height: 120 })));
  }
  return paths;
}

const indexedRows = (dataDir: string): number => committedRows(dataDir, 'indexed');

/** The paths of the committed, indexed rows, as another process sees them. */
const indexedPaths = (dataDir: string): string[] => {
  const db = new Database(join(dataDir, 'catalog.sqlite'), { fileMustExist: true, readonly: true });
  try {
    return db.prepare('SELECT path FROM items WHERE model_id IS NOT NULL ORDER BY id').pluck().all() as string[];
  } finally {
    db.close();
  }
};

/** Each indexed path's stored (f16) vector. */
const storedVectors = (dataDir: string): Map<string, Buffer> => {
  const db = new Database(join(dataDir, 'catalog.sqlite'), { fileMustExist: true, readonly: true });
  try {
    const rows = db.prepare('SELECT i.path, e.vector FROM items i JOIN embeddings e ON e.item_id = i.id').all() as { path: string; vector: Buffer }[];
    return new Map(rows.map((r) => [r.path, r.vector]));
  } finally {
    db.close();
  }
};

beforeAll(async () => {
  tmp = tempDir('crash');
  await ensureBuiltCli();
});
afterAll(() => tmp?.remove());

describe('lookalike index killed with SIGKILL', () => {
  it('indexes every valid image exactly once after random kills and a rerun', async () => {
    const seed = Number(process.env['LOOKALIKE_KILL_SEED'] ?? Date.now() % 100_000);
    const random = prng(seed);
    const photos = join(tmp.path, 'kill-photos');
    const data = join(tmp.path, 'kill-data');
    const paths = await makePhotos(photos, 150, 1000);
    const args = ['--data', data, '--model', TEST_MODEL, 'index', photos, '--collection', 'shop'];

    const history: string[] = [];
    let killedMidJob = 0;
    let rows = 0;
    for (let round = 0; round < 12 && killedMidJob < 2; round++) {
      const proc = startCli(args);
      const started = proc.waitForStderr(/indexing \d+\/\d+/);
      started.catch(() => {}); // a start-up kill ends the process first
      if (round === 0) {
        // A kill during start-up (model load, index check, scan), at a random moment but never later than the
        // start of embedding: what it leaves is checked by the rerun below, it is not counted as mid-job.
        await Promise.race([new Promise((r) => setTimeout(r, random() * 1500)), started]);
      } else {
        // Only once this run has committed a batch, then at a random moment within the next batches: a blind
        // timer from start-up lands before the first commit on a loaded machine (seed 38999: 12 of 12 kills
        // 0.1-1.6 s after start, none mid-job). Each kill here is mid-job or after the end, by construction.
        await started;
        const before = rows;
        const deadline = Date.now() + 120_000;
        while (indexedRows(data) <= before && proc.child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        expect(indexedRows(data), `seed ${seed}: round ${round} committed a batch`).toBeGreaterThan(before);
        await new Promise((r) => setTimeout(r, random() * 300));
      }
      proc.child.kill('SIGKILL');
      const run: CliRun = await proc.done;
      rows = indexedRows(data);
      history.push(`round ${round}: ${run.signal ?? `exit ${run.code}`}, ${rows} rows`);
      if (round > 0 && run.signal === 'SIGKILL' && rows < paths.length) killedMidJob += 1;
      if (rows === paths.length) {
        // The job finished before the kill (a fast machine): nothing is left to interrupt in this folder, so the
        // next rounds start over on a fresh one.
        rmSync(data, { recursive: true, force: true });
        rows = 0;
        history.push('fresh data folder');
      }
    }
    // Kills that interrupted a job with work committed and work left: what the claim is about.
    expect(killedMidJob, `seed ${seed}: ${history.join('; ')}`).toBeGreaterThanOrEqual(2);

    const final = await runCli(args);
    expect(final.code, final.stderr).toBe(0);
    const { problems } = await verifyDataFolder(data, { collection: 'shop', indexed: paths });
    expect(problems, `seed ${seed}: ${history.join('; ')}`).toEqual([]);
  });
});

const pendingRows = (dataDir: string): number => committedRows(dataDir, 'pending');

describe('lookalike index killed in either pass of a progressive run', () => {
  it('loses and duplicates nothing: killed while cataloguing, then while embedding, then run to the end', async () => {
    const seed = Number(process.env['LOOKALIKE_KILL_SEED'] ?? Date.now() % 100_000);
    const random = prng(seed);
    const photos = join(tmp.path, 'progressive-photos');
    const paths = await makePhotos(photos, 150, 5000);
    // Both passes on a few files (the real threshold is PROGRESSIVE_MIN_FILES).
    const progressive = { env: { [PROGRESSIVE_MIN_FILES_ENV]: '1' } };
    const poll = async (until: () => boolean, proc: ReturnType<typeof startCli>) => {
      const deadline = Date.now() + 120_000;
      while (!until() && proc.child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    };
    const history: string[] = [];
    let landed = false;
    // A fast machine may finish a pass before the kill lands: then again on a fresh data folder.
    for (let round = 0; round < 4 && !landed; round++) {
      const data = join(tmp.path, `progressive-data-${round}`);
      const args = ['--data', data, '--model', TEST_MODEL, 'index', photos, '--collection', 'shop'];
      const first = startCli(args, progressive);
      await poll(() => pendingRows(data) > 0, first);
      await new Promise((r) => setTimeout(r, random() * 100));
      first.child.kill('SIGKILL');
      await first.done;
      const [catalogued, embedded] = [pendingRows(data), indexedRows(data)];
      history.push(`round ${round}: first kill at ${catalogued} pending, ${embedded} embedded`);
      // Killed in the first pass: some files catalogued (a sample embedded), some not read yet.
      if (catalogued === 0 || catalogued + embedded >= paths.length) continue;

      // The rerun catalogues the rest, then embeds; killed once some of the catalogued ones are embedded.
      const second = startCli(args, progressive);
      await poll(() => indexedRows(data) > embedded + 16, second);
      await new Promise((r) => setTimeout(r, random() * 100));
      second.child.kill('SIGKILL');
      await second.done;
      const [waiting, done] = [pendingRows(data), indexedRows(data)];
      history.push(`second kill at ${waiting} pending, ${done} embedded`);
      if (waiting === 0 || done <= embedded) continue;
      landed = true;

      const final = await runCli(args, progressive);
      expect(final.code, final.stderr).toBe(0);
      expect(pendingRows(data)).toBe(0);
      const { problems } = await verifyDataFolder(data, { collection: 'shop', indexed: paths });
      expect(problems, `seed ${seed}: ${history.join('; ')}`).toEqual([]);
    }
    expect(landed, `seed ${seed}: ${history.join('; ')}`).toBe(true);
  });
});

describe('two processes on one data folder', () => {
  it('refuses a second indexer with the holder PID while searches keep answering', async () => {
    const photos = join(tmp.path, 'busy-photos');
    const data = join(tmp.path, 'busy-data');
    const first = await makePhotos(join(photos, 'a'), 20, 2000);
    // A first complete run, so there is something to search; then a run to hold in the middle.
    expect((await runCli(['--data', data, '--model', TEST_MODEL, 'index', join(photos, 'a'), '-c', 'shop'])).code).toBe(0);
    const second = await makePhotos(join(photos, 'b'), 300, 3000);
    const all = [...first, ...second];
    const search = (q: string) => runCli(['--data', data, 'search', q, '-k', '1', '--json']);
    const expectFound = (runs: Awaited<ReturnType<typeof search>>[], queries: string[]) => {
      for (const [i, s] of runs.entries()) {
        expect(s.code, s.stderr).toBe(0);
        expect(JSON.parse(s.stdout).results[0].path).toBe(queries[i]);
      }
    };

    const writer = startCli(['--data', data, '--model', TEST_MODEL, 'index', join(photos, 'b'), '-c', 'shop']);
    const pid = writer.child.pid!;
    try {
      // Held mid-job with SIGSTOP once its first batch is committed: the lock is taken, part of the job is in the
      // catalog and the rest is not, however fast or slow the machine is (without it, the writer could finish
      // before the other processes start, and nothing here would overlap).
      const deadline = Date.now() + 120_000;
      while (indexedRows(data) <= first.length && writer.child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      process.kill(pid, 'SIGSTOP');
      const committed = indexedPaths(data).filter((p) => second.includes(p));
      expect(committed.length, 'stopped after its first batch and before its last').toBeGreaterThan(0);
      expect(committed.length).toBeLessThan(second.length);

      const refused = await runCli(['--data', data, 'index', '-c', 'shop']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(new RegExp(`data folder is in use by PID ${pid} .*\\(DATA_DIR_LOCKED\\)`));
      // A photo of the earlier run and one the running job has just committed.
      const queries = [first[0]!, first[7]!, committed[0]!];
      expectFound(await Promise.all(queries.map(search)), queries);
      expect(indexedRows(data), 'the writer stayed held mid-job').toBe(first.length + committed.length);

      // Then searches while it writes again: they answer whichever of them finishes first.
      process.kill(pid, 'SIGCONT');
      const racing = [first[3]!, committed.at(-1)!];
      expectFound(await Promise.all(racing.map(search)), racing);
    } finally {
      if (writer.child.exitCode === null && writer.child.signalCode === null) process.kill(pid, 'SIGCONT');
    }

    const done = await writer.done;
    expect(done.code, done.stderr).toBe(0);
    expect((await verifyDataFolder(data, { collection: 'shop', indexed: all })).problems).toEqual([]);
  });
});

describe('lookalike index on the embedding pool (worker threads)', () => {
  // The pool starts only for runs of BULK_MIN_FILES (1,024) files; the variable lowers that so that a run of a few
  // batches here embeds on it (the soak, bench/reliability.ts, runs it at the real threshold).
  const pooled = { env: { [EMBED_POOL_MIN_FILES_ENV]: '1' } };
  const POOL_LINE = /debug embedding on worker threads \{"workers":(\d+)/;
  let photos: string;
  let paths: string[];
  let oneSession: Map<string, Buffer>;
  const index = (data: string) => ['--data', data, '--model', TEST_MODEL, '-v', 'index', photos, '--collection', 'shop'];
  const expectSameVectors = (data: string) => {
    const got = storedVectors(data);
    expect([...got.keys()].sort()).toEqual([...oneSession.keys()].sort());
    const differing = [...got].filter(([path, v]) => !v.equals(oneSession.get(path)!)).map(([path]) => path);
    expect(differing).toEqual([]);
  };

  beforeAll(async () => {
    photos = join(tmp.path, 'pool-photos');
    paths = await makePhotos(photos, 150, 7000);
    // What one session (the job's own embedder, no workers) stores for these photos.
    const solo = join(tmp.path, 'pool-one-session');
    const run = await runCli(index(solo));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toMatch(POOL_LINE);
    oneSession = storedVectors(solo);
    expect(oneSession.size).toBe(paths.length);
  }, 300_000);

  it('embeds on one worker per core (up to 4) and stores the vectors one session gives', async () => {
    const data = join(tmp.path, 'pool-data');
    const run = await runCli(index(data), pooled);
    expect(run.code, run.stderr).toBe(0);
    expect(Number(run.stderr.match(POOL_LINE)?.[1])).toBe(Math.min(4, availableParallelism()));
    expectSameVectors(data);
    expect((await verifyDataFolder(data, { collection: 'shop', indexed: paths })).problems).toEqual([]);
  });

  it('refuses a threshold that is not a whole number of files', async () => {
    for (const value of ['0', '-5', '1e3', 'many']) {
      const run = await runCli(index(join(tmp.path, 'pool-bad-data')), { env: { [EMBED_POOL_MIN_FILES_ENV]: value } });
      expect(run.code, value).toBe(1);
      expect(run.stderr.trim(), value).toBe(`lookalike: ${EMBED_POOL_MIN_FILES_ENV} must be a whole number of files, at least 1 (it is "${value}"). (INVALID_INPUT)`);
    }
  });

  it('killed with SIGKILL while the pool embeds, leaves a folder that the next run completes', async () => {
    const data = join(tmp.path, 'pool-kill-data');
    const history: string[] = [];
    let rows = 0;
    for (let kill = 0; kill < 2; kill++) {
      const proc = startCli(index(data), pooled);
      await proc.waitForStderr(POOL_LINE);
      // Once a batch embedded on the pool is committed; the next ones are on the workers when the kill lands.
      const before = rows;
      const deadline = Date.now() + 120_000;
      while (indexedRows(data) <= before && proc.child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      proc.child.kill('SIGKILL');
      const run = await proc.done;
      rows = indexedRows(data);
      history.push(`kill ${kill}: ${run.signal ?? `exit ${run.code}`}, ${before} -> ${rows} rows`);
      expect(run.signal, history.join('; ')).toBe('SIGKILL');
      expect(rows, history.join('; ')).toBeGreaterThan(before);
      expect(rows, history.join('; ')).toBeLessThan(paths.length);
    }

    const final = await runCli(index(data), pooled);
    expect(final.code, final.stderr).toBe(0);
    expect(final.stderr).toMatch(POOL_LINE);
    expect((await verifyDataFolder(data, { collection: 'shop', indexed: paths })).problems, history.join('; ')).toEqual([]);
    expectSameVectors(data);
  });
});

/** Mounts a small tmpfs where the test may (root in a sandbox that allows it); undefined elsewhere. */
function tryMountTmpfs(dir: string, size: string): (() => void) | undefined {
  // LOOKALIKE_TEST_NO_TMPFS=1 exercises the fault-injection variant where mounting would work.
  if (process.platform !== 'linux' || process.getuid?.() !== 0 || process.env['LOOKALIKE_TEST_NO_TMPFS']) return undefined;
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  return () => execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
}

/** Writes until the file system says ENOSPC. @returns the filler's path. */
function fillDisk(dir: string): string {
  const file = join(dir, 'filler');
  const fd = openSync(file, 'w');
  try {
    for (const chunk of [Buffer.alloc(1 << 16, 1), Buffer.alloc(512, 1), Buffer.alloc(1, 1)]) {
      try {
        for (;;) writeSync(fd, chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      }
    }
  } finally {
    closeSync(fd);
  }
  return file;
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const catalogPaths = (engine: Engine) =>
  (rawDatabase(engine.catalog).prepare('SELECT path FROM items ORDER BY path').pluck().all() as string[]).join('\n');
const indexFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.usearch'));

describe('a full disk', () => {
  it('fails the batch with DISK_FULL and keeps the catalog and index as they were (small tmpfs, or injected)', async () => {
    const photos = join(tmp.path, 'full-photos');
    const before = await makePhotos(join(photos, 'before'), 20, 4000);
    const after = await makePhotos(join(photos, 'after'), 20, 5000);
    const mountDir = join(tmp.path, 'small-disk');
    const unmount = tryMountTmpfs(mountDir, '2m');
    const data = join(unmount ? mountDir : tmp.path, 'full-data');
    let engine: Engine | undefined = await openTestEngine(data);
    try {
      engine.library.addFolder('shop', join(photos, 'before'));
      await engine.indexer.run(['shop']);
      const rowsBefore = catalogPaths(engine);
      const [indexFile] = indexFiles(data);
      const indexBefore = sha(join(data, indexFile!));

      engine.library.addFolder('shop', join(photos, 'after'));
      let filler: string | undefined;
      let restore = () => undefined as void;
      let onProgress: ((p: Progress) => void) | undefined;
      if (unmount) {
        // Filled once the job holds its lock and has scanned: the first batch's write is what meets the full disk.
        onProgress = (p) => {
          if (p.phase === 'embedding' && filler === undefined) filler = fillDisk(mountDir);
        };
      } else {
        // No tmpfs here: the write layer reports what SQLite reports on a full disk, inside the batch transaction.
        const db = rawDatabase(engine.catalog);
        const original = db.transaction.bind(db);
        db.transaction = ((fn: (...a: unknown[]) => unknown) =>
          original((...a: unknown[]) => {
            fn(...a);
            throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
          })) as typeof db.transaction;
        restore = () => void (db.transaction = original);
      }
      await expect(engine.indexer.run(['shop'], onProgress ? { onProgress } : {})).rejects.toMatchObject({
        code: 'DISK_FULL',
        message: expect.stringMatching(/disk .*full/i),
      });
      restore();
      if (filler) rmSync(filler);

      // Nothing of the failed batch is in the catalog; the index file is the one saved before it.
      expect(catalogPaths(engine)).toBe(rowsBefore);
      expect(rawDatabase(engine.catalog).pragma('integrity_check', { simple: true })).toBe('ok');
      expect(indexFiles(data)).toEqual([indexFile]);
      expect(sha(join(data, indexFile!))).toBe(indexBefore);

      // With room again, the same run completes.
      const [summary] = await engine.indexer.run(['shop']);
      expect(summary).toMatchObject({ indexed: after.length, unchanged: before.length, failed: 0 });
      await engine.close();
      engine = undefined;
      const indexed = [...before, ...after];
      expect((await verifyDataFolder(data, { collection: 'shop', indexed })).problems).toEqual([]);

      if (unmount) {
        // A disk already full when the CLI starts: one line that says so, and nothing changes.
        const more = await makePhotos(join(photos, 'more'), 4, 6000);
        const filler = fillDisk(mountDir);
        const full = await runCli(['--data', data, 'index', join(photos, 'more'), '-c', 'shop']);
        expect(full.code).toBe(1);
        expect(full.stderr.trim().split('\n').at(-1)).toMatch(/^lookalike: The disk holding the catalog is full .*\(DISK_FULL\)$/);
        rmSync(filler);
        expect((await verifyDataFolder(data, { collection: 'shop', indexed })).problems).toEqual([]);
        expect((await runCli(['--data', data, 'index', join(photos, 'more'), '-c', 'shop'])).code).toBe(0);
        expect((await verifyDataFolder(data, { collection: 'shop', indexed: [...indexed, ...more] })).problems).toEqual([]);
      }
    } finally {
      await engine?.close();
      unmount?.();
    }
  });
});
