/**
 * Every read of a user's file is bounded and checked like the index job's: a FIFO, a device or a file over the size
 * limit, named as a query, served as an original or a thumbnail, or imported as a CSV, is refused at once with a
 * specific code, and never blocks one of libuv's four pool threads (four hung reads used to stall every later file
 * access of the server). Real files: a FIFO made by mkfifo, a sparse 600 MB file, /dev/zero.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/core/app/engine.js';
import { toServedEngine } from '../../src/core/app/host/served-engine.js';
import { writeScene } from '../support/synthetic.js';
import { TOKEN_HEADER } from '../../src/server/security.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { runCli } from '../support/cli-process.js';
import { ensureBuiltCli } from './built-cli.js';
import { openTestEngine, tempDir, type TempDir } from './helpers.js';
import { rawDatabase } from '../../src/core/catalog/raw-database.js';

const TOKEN = 'file-bounds-token-0123456789';
/** A hang is a failure, not a stuck test run. */
const HANG = 20_000;

let tmp: TempDir;
let engine: Engine;
let server: RunningServer;
let photos: string;
let data: string;
const ids = new Map<string, number>();

/** Creates a FIFO (never opened by this test: opening one for reading blocks until a writer comes). */
function mkfifo(path: string): void {
  execFileSync('mkfifo', [path]);
}

/** A sparse file of `bytes` (no disk space used). */
function sparseFile(path: string, bytes: number): void {
  closeSync(openSync(path, 'w'));
  truncateSync(path, bytes);
}

async function call(channel: string, input: unknown): Promise<{ status: number; body: { ok: boolean; error?: { code: string; message: string } } }> {
  const res = await fetch(`${server.origin}/api/${channel}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', [TOKEN_HEADER]: TOKEN },
    body: JSON.stringify(input),
    signal: AbortSignal.timeout(HANG),
  });
  return { status: res.status, body: (await res.json()) as { ok: boolean; error?: { code: string; message: string } } };
}

async function media(path: string): Promise<{ status: number; code?: string; bytes: number }> {
  const res = await fetch(`${server.origin}${path}`, { headers: { [TOKEN_HEADER]: TOKEN }, signal: AbortSignal.timeout(HANG) });
  const body = Buffer.from(await res.arrayBuffer());
  const code = res.headers.get('content-type')?.includes('json') ? (JSON.parse(body.toString()) as { error: { code: string } }).error.code : undefined;
  return { status: res.status, bytes: body.length, ...(code ? { code } : {}) };
}

/** Replaces an indexed photo by something else at the same path (what an adversary or a careless script does). */
function swap(name: string, make: (path: string) => void): void {
  const path = join(photos, name);
  renameSync(path, `${path}.orig`);
  make(path);
}

function restore(name: string): void {
  const path = join(photos, name);
  rmSync(path, { force: true });
  renameSync(`${path}.orig`, path);
}

beforeAll(async () => {
  tmp = tempDir('file-bounds');
  photos = join(tmp.path, 'photos');
  data = join(tmp.path, 'data');
  await Promise.all(['a', 'b', 'c', 'd'].map((n, i) => writeScene(join(photos, `${n}.jpg`), 300 + i)));
  engine = await openTestEngine(data);
  engine.library.addFolder('shop', photos);
  await engine.indexer.run();
  for (const row of rawDatabase(engine.catalog).prepare('SELECT id, path FROM items').all() as { id: number; path: string }[]) {
    ids.set(row.path.slice(photos.length + 1), row.id);
  }
  server = await startServer({ engine: toServedEngine(engine), rendererDir: tmp.path, token: TOKEN });
  mkfifo(join(photos, 'pipe.jpg'));
  sparseFile(join(photos, 'huge.jpg'), 600 * 1024 * 1024);
}, 120_000);

afterAll(async () => {
  await server?.close();
  await engine?.close();
  tmp?.remove();
});

describe('reads of user files through the server', () => {
  it('refuses a FIFO as a query at once, and four of them leave the server answering', async () => {
    const fifo = join(photos, 'pipe.jpg');
    const answers = await Promise.all(Array.from({ length: 4 }, () => call('search:byImage', { image: { kind: 'path', path: fifo }, k: 3 })));
    for (const a of answers) {
      expect(a.status).toBe(400);
      expect(a.body.error).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/named pipe \(FIFO\)/) });
    }
    const image = await media(`/image/${ids.get('a.jpg')}`);
    expect(image).toMatchObject({ status: 200 });
    expect(image.bytes).toBeGreaterThan(1000);
    expect(await media(`/thumb/${ids.get('b.jpg')}?size=128`)).toMatchObject({ status: 200 });
  }, 60_000);

  it('refuses an indexed photo swapped for a FIFO as an original and as a thumbnail', async () => {
    swap('c.jpg', mkfifo);
    try {
      expect(await media(`/image/${ids.get('c.jpg')}`)).toMatchObject({ status: 400, code: 'INVALID_INPUT' });
      expect(await media(`/thumb/${ids.get('c.jpg')}?size=256`)).toMatchObject({ status: 400, code: 'INVALID_INPUT' });
      // A crop of an item reads its file too.
      const crop = await call('search:byImage', { image: { kind: 'item', id: ids.get('c.jpg') }, crop: { x: 0, y: 0, width: 10, height: 10 }, k: 1 });
      expect(crop.body.error?.code).toBe('INVALID_INPUT');
    } finally {
      restore('c.jpg');
    }
  }, 60_000);

  it('refuses files over the indexing size limit unread: a query, an original, a thumbnail', async () => {
    const huge = await call('search:byImage', { image: { kind: 'path', path: join(photos, 'huge.jpg') }, k: 3 });
    expect(huge.body.error).toMatchObject({ code: 'IMAGE_TOO_LARGE', message: expect.stringMatching(/629145600 bytes, more than the limit/) });
    swap('d.jpg', (p) => sparseFile(p, 600 * 1024 * 1024));
    try {
      const before = process.memoryUsage().rss;
      const thumbs = await Promise.all(Array.from({ length: 4 }, () => media(`/thumb/${ids.get('d.jpg')}?size=512`)));
      for (const t of thumbs) expect(t).toMatchObject({ code: 'IMAGE_TOO_LARGE' });
      expect(await media(`/image/${ids.get('d.jpg')}`)).toMatchObject({ code: 'IMAGE_TOO_LARGE' });
      // Nothing of the 600 MB was read (four whole reads were 1.27 GB).
      expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
    } finally {
      restore('d.jpg');
    }
  }, 60_000);
});

describe('reads of files the local user names (CLI and desktop shell)', () => {
  it('refuses /dev/zero and a FIFO as a query image, a CSV, without reading them', async () => {
    for (const path of ['/dev/zero', join(photos, 'pipe.jpg')]) {
      await expect(engine.localApi['search:byImage']({ image: { kind: 'path', path }, k: 3 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      await expect(
        engine.localApi['catalog:importCsv']({ collection: 'shop', source: { kind: 'path', path }, preview: true, previewRows: 10 }),
      ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    }
    await expect(engine.localApi['search:byImage']({ image: { kind: 'path', path: '/dev/zero' }, k: 3 })).rejects.toThrow(/character device/);
  });

  it('reads a CSV the user names, through the same reader', async () => {
    const csv = join(tmp.path, 'products.csv');
    writeFileSync(csv, 'sku,title,image\nA-1,Shoe,a.jpg\n');
    const result = await engine.localApi['catalog:importCsv']({ collection: 'shop', source: { kind: 'path', path: csv }, preview: true, previewRows: 10 });
    expect(result.sample).toEqual([['A-1', 'Shoe', 'a.jpg']]);
  });

  it('CLI search of a FIFO, /dev/zero or a 600 MB file fails at once with the code, in little memory', async () => {
    await ensureBuiltCli();
    const cases: [string, string][] = [
      [join(photos, 'pipe.jpg'), 'INVALID_INPUT'],
      ['/dev/zero', 'INVALID_INPUT'],
      [join(photos, 'huge.jpg'), 'IMAGE_TOO_LARGE'],
    ];
    const runs = await Promise.all(
      cases.map(([path]) => runCli(['--data', data, '--model', 'fast', 'search', path, '--json'], { timeoutMs: 60_000, measureRss: true })),
    );
    for (const [i, run] of runs.entries()) {
      expect(run.signal).toBeNull();
      expect(run.code).toBe(1);
      expect(JSON.parse(run.stdout.trim())).toMatchObject({ query: cases[i]![0], results: [], error: { code: cases[i]![1] } });
      if (run.peakRssBytes !== undefined) expect(run.peakRssBytes).toBeLessThan(600 * 1024 * 1024);
    }
  }, 180_000);
});

describe('bad input is refused by validation (400 INVALID_INPUT), not deep inside', () => {
  it('a NUL in a path, bytes that are not base64', async () => {
    const nul = await call('search:byImage', { image: { kind: 'path', path: `${photos}/a.jpg\0.png` }, k: 3 });
    expect(nul).toMatchObject({ status: 400, body: { error: { code: 'INVALID_INPUT' } } });
    const bad = await call('search:byImage', { image: { kind: 'bytes', base64: '!!!!' }, k: 3 });
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'INVALID_INPUT' } } });
    expect(await media(`/thumb/${ids.get('a.jpg')}?size=1e3`)).toMatchObject({ status: 400 });
  });
});
