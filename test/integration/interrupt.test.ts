/**
 * Ctrl-C, as the terminal sends it: a real SIGINT to a running `lookalike index` child process. It stops after
 * the batch in flight with exit 130 and says so, keeps every photo it had indexed (catalog and index agree), and
 * the next run indexes exactly the rest.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../support/cli-process.js';
import { verifyDataFolder } from '../support/verify-data-folder.js';
import { writeScene } from '../support/synthetic.js';
import { ensureBuiltCli } from './built-cli.js';
import { TEST_MODEL, tempDir, type TempDir } from './helpers.js';

let tmp: TempDir;

beforeAll(async () => {
  tmp = tempDir('interrupt');
  await ensureBuiltCli();
});
afterAll(() => tmp?.remove());

/** The paths with an embedding, as another process reads the catalog. */
function indexedPaths(dataDir: string): string[] {
  const db = new Database(join(dataDir, 'catalog.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT path FROM items WHERE model_id IS NOT NULL').pluck().all() as string[];
  } finally {
    db.close();
  }
}

interface Summary {
  collection: string;
  indexed: number;
  unchanged: number;
  failed: number;
  cancelled: boolean;
}

describe('SIGINT during index', () => {
  it('exits 130 after the batch in flight, loses nothing, and the next run resumes', async () => {
    const dir = join(tmp.path, 'photos');
    const paths = Array.from({ length: 300 }, (_, i) => join(dir, `p${i}.jpg`));
    for (let i = 0; i < paths.length; i += 16) {
      await Promise.all(paths.slice(i, i + 16).map((p, j) => writeScene(p, 9000 + i + j, { width: 160, height: 120 })));
    }
    const data = join(tmp.path, 'data');
    const args = ['--data', data, '--model', TEST_MODEL, 'index', dir, '-c', 'shop', '--json'];

    const run = startCli(args);
    // The first progress line comes as embedding starts, with all 300 photos still to do.
    await run.waitForStderr(/indexing \d+\/300/);
    expect(run.child.exitCode).toBeNull();
    run.child.kill('SIGINT');
    const stopped = await run.done;
    expect({ code: stopped.code, signal: stopped.signal }, stopped.stderr).toEqual({ code: 130, signal: null });
    expect(stopped.stderr).toContain('Stopping after the current batch');
    const first = JSON.parse(stopped.stdout) as Summary;
    expect(first).toMatchObject({ collection: 'shop', cancelled: true, failed: 0 });
    expect(first.indexed).toBeLessThan(300);
    // What was indexed before the stop is committed, and the index file holds exactly those vectors.
    const committed = indexedPaths(data);
    expect(committed).toHaveLength(first.indexed);
    expect((await verifyDataFolder(data, { collection: 'shop', indexed: committed })).problems).toEqual([]);

    const resumed = await runCli(args);
    expect(resumed.code, resumed.stderr).toBe(0);
    const second = JSON.parse(resumed.stdout) as Summary;
    expect(second).toMatchObject({ cancelled: false, failed: 0, unchanged: first.indexed, indexed: 300 - first.indexed });
    expect((await verifyDataFolder(data, { collection: 'shop', indexed: paths })).problems).toEqual([]);
  });
});
