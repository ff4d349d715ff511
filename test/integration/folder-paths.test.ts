/**
 * Folder paths as people type them (issue 17): `~` and `~/x` name the home folder in the engine, so the CLI, the
 * server and the desktop app all accept them; each bad path has its own code; the folder browser behind the browser
 * host's picker lists folders only, never a hidden or system one, and no more than its bound.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/core/app/engine.js';
import { writeScene } from '../support/synthetic.js';
import { listFolders, MAX_LISTED_FOLDERS } from '../../src/core/library/folder-browser.js';
import { runCli } from '../support/cli-run.js';
import { openTestEngine, tempDir, type TempDir } from './helpers.js';

let tmp: TempDir;
let engine: Engine;
let home: string;
let savedHome: string | undefined;

beforeAll(async () => {
  tmp = tempDir('folder-paths');
  home = join(tmp.path, 'home');
  savedHome = process.env['HOME'];
  process.env['HOME'] = home;
  await writeScene(join(home, 'shop', 'a.jpg'), 3);
  await writeScene(join(home, 'cli', 'b.jpg'), 4);
  writeFileSync(join(home, 'file.txt'), 'x');
  engine = await openTestEngine(join(tmp.path, 'data'));
}, 60_000);
afterAll(async () => {
  if (savedHome === undefined) delete process.env['HOME'];
  else process.env['HOME'] = savedHome;
  await engine?.close();
  tmp?.remove();
});

describe('folder paths', () => {
  it('expands ~ and ~/x to the home folder', async () => {
    const added = await engine.api['library:addFolder']({ collection: 'shop', path: '~/shop' });
    expect(added.roots.map((r) => r.path)).toEqual([join(home, 'shop')]);
    expect((await engine.api['library:browseFolders']({ path: '~' })).path).toBe(home);
  });

  it('gives each bad path its own code', async () => {
    const add = (path: string) => engine.api['library:addFolder']({ collection: 'bad', path });
    await expect(add('~/nope')).rejects.toMatchObject({ code: 'FOLDER_NOT_FOUND' });
    await expect(add('~/file.txt')).rejects.toMatchObject({ code: 'NOT_A_FOLDER' });
    await expect(add('/etc')).rejects.toMatchObject({ code: 'SYSTEM_FOLDER' });
    await expect(add('shop')).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/absolute/) });
    for (const path of ['~/nope', '~/file.txt', '/etc', 'shop']) {
      await expect(engine.api['library:browseFolders']({ path })).rejects.toMatchObject({ code: expect.any(String) });
    }
    expect(engine.catalog.collections.list().map((c) => c.name)).toEqual(['shop']);
  });

  it('lists folders only: no files, no hidden folders, no link to a system folder; a link to a folder counts', async () => {
    const dir = join(tmp.path, 'listing');
    mkdirSync(join(dir, 'b-photos'), { recursive: true });
    mkdirSync(join(dir, 'A-photos'));
    mkdirSync(join(dir, '.thumbs'));
    writeFileSync(join(dir, 'c.jpg'), 'x');
    symlinkSync(join(dir, 'b-photos'), join(dir, 'linked'));
    symlinkSync('/etc', join(dir, 'etc-link'));
    const listing = await listFolders(dir);
    expect(listing.folders.map((f) => f.name)).toEqual(['A-photos', 'b-photos', 'linked']);
    expect(listing.parent).toBe(tmp.path);
    expect(listing.truncated).toBe(false);
  });

  it('bounds the listing of a folder with very many sub-folders', async () => {
    const dir = join(tmp.path, 'many');
    for (let i = 0; i < MAX_LISTED_FOLDERS + 20; i++) mkdirSync(join(dir, `d${i}`), { recursive: true });
    const listing = await listFolders(dir);
    expect(listing.folders).toHaveLength(MAX_LISTED_FOLDERS);
    expect(listing.truncated).toBe(true);
  });

  it('takes ~/x on the command line when the shell did not expand it (quoted)', async () => {
    const run = await runCli(['index', '~/cli', '--collection', 'cli', '--data', join(tmp.path, 'cli-data'), '--model', 'fast']);
    expect(run.stderr).not.toMatch(/lookalike:/);
    expect(run.code).toBe(0);
    const stats = await runCli(['stats', '--json', '--data', join(tmp.path, 'cli-data')]);
    expect(JSON.parse(stats.stdout).collections).toEqual([{ name: 'cli', itemCount: 1, failedCount: 0 }]);
  }, 60_000);
});
