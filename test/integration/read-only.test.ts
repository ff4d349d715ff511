/**
 * Read-only commands never write to the data folder, and still answer on a full disk (SQLite cannot size its
 * `-shm` file there; the catalog is then opened in exclusive locking mode, its WAL index in memory).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeScene } from '../support/synthetic.js';
import { runCli } from '../support/cli-run.js';
import { TEST_MODEL, tempDir, type TempDir } from './helpers.js';

let tmp: TempDir;
beforeAll(() => {
  tmp = tempDir('read-only');
});
afterAll(() => tmp?.remove());

describe('read-only commands', () => {
  it('stats writes no index file for a collection with nothing embedded', async () => {
    const data = join(tmp.path, 'data');
    mkdirSync(join(tmp.path, 'empty'));
    await Promise.all([0, 1].map((i) => writeScene(join(tmp.path, 'photos', `p${i}.jpg`), 4100 + i)));
    const cli = (args: string[]) => runCli(['--data', data, '--model', TEST_MODEL, ...args]);
    expect((await cli(['index', join(tmp.path, 'photos'), '-c', 'full'])).code).toBe(0);
    expect((await cli(['index', join(tmp.path, 'empty'), '-c', 'none'])).code).toBe(0);
    for (const f of readdirSync(data)) if (f.startsWith('vectors-c2-')) spawnSync('rm', [join(data, f)]);
    const before = readdirSync(data).sort();
    expect((await cli(['stats'])).code).toBe(0);
    expect((await cli(['errors'])).code).toBe(0);
    expect(readdirSync(data).sort()).toEqual(before);
  });

  // A real full file system: a small tmpfs, where this runs as root (as here). Without root the mount fails and the
  // case only warns that it did not run.
  it('search, stats, errors and doctor answer on a full disk; a write says DISK_FULL for the catalog', async () => {
    const mnt = join(tmp.path, 'full');
    mkdirSync(mnt);
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mnt]).status === 0;
    if (!mounted) {
      console.warn('read-only.test: cannot mount a tmpfs here (not root); the full-disk case did not run');
      return;
    }
    try {
      const data = join(mnt, 'data');
      const photos = [0, 1, 2].map((i) => join(tmp.path, 'fp', `q${i}.jpg`));
      await Promise.all(photos.map((p, i) => writeScene(p, 4200 + i)));
      const cli = (args: string[]) => runCli(['--data', data, '--model', TEST_MODEL, ...args]);
      expect((await cli(['index', join(tmp.path, 'fp'), '-c', 'c'])).code).toBe(0);
      spawnSync('dd', ['if=/dev/zero', `of=${join(mnt, 'filler')}`, 'bs=4k']);
      const search = await cli(['search', photos[0]!, '-k', '1', '--json']);
      expect(search.code, search.stderr).toBe(0);
      expect(JSON.parse(search.lines[0]!).results[0].path).toBe(photos[0]);
      for (const args of [['stats'], ['errors'], ['doctor']]) {
        const r = await cli(args);
        expect(r.code, `${args[0]}: ${r.stderr}`).toBe(0);
      }
      await writeScene(join(tmp.path, 'fp2', 'new.jpg'), 4300);
      const write = await cli(['index', join(tmp.path, 'fp2'), '-c', 'c']);
      expect(write.code).toBe(1);
      expect(write.stderr).toMatch(/lookalike: The disk holding the catalog is full .*\(DISK_FULL\)\n$/);
      expect(write.stderr).not.toMatch(/\n\s+at /);
    } finally {
      // A memory-mapped index file of this process may keep the mount busy until collected: detach it lazily.
      spawnSync('umount', ['-l', mnt]);
    }
  });
});
