/**
 * System folders are never a library folder nor a move destination: the file system's root, the OS's folders and
 * pseudo file systems are refused with SYSTEM_FOLDER and a reason, before anything is touched (`move:/proc/x` used
 * to spin in Node's recursive mkdir for ever; `/` as a root opened /etc/shadow to CSV previews over the server).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/core/app/engine.js';
import { writeScene } from '../support/synthetic.js';
import { openTestEngine, tempDir, type TempDir } from './helpers.js';
import { rawDatabase } from '../../src/core/catalog/raw-database.js';

let tmp: TempDir;
let engine: Engine;

beforeAll(async () => {
  tmp = tempDir('system-folders');
  await writeScene(join(tmp.path, 'photos', 'a.jpg'), 11);
  await writeScene(join(tmp.path, 'photos', 'b.jpg'), 11);
  engine = await openTestEngine(join(tmp.path, 'data'));
  engine.library.addFolder('shop', join(tmp.path, 'photos'));
  await engine.indexer.run();
}, 120_000);
afterAll(async () => {
  await engine?.close();
  tmp?.remove();
});

describe('system folders', () => {
  it.each([
    ['/', /root of the file system/],
    ['/etc', /operating system's own folders/],
    ['/proc', /pseudo file system \(procfs\)/],
    ['/sys/kernel', /pseudo file system/],
    ['/dev', /pseudo file system/],
    ['/home', /holds other folders/],
  ])('refuses %s as a library folder, saying why', async (path, why) => {
    if (!existsSync(path)) return;
    await expect(engine.api['library:addFolder']({ collection: 'sys', path })).rejects.toMatchObject({ code: 'SYSTEM_FOLDER', message: expect.stringMatching(why) });
    expect(engine.catalog.collections.list().map((c) => c.name)).toEqual(['shop']);
  });

  it('refuses a CSV outside the collection folders over a transport', async () => {
    await expect(
      engine.api['catalog:importCsv']({ collection: 'shop', source: { kind: 'path', path: '/etc/passwd' }, preview: true, previewRows: 10 }),
    ).rejects.toMatchObject({ code: 'PATH_OUTSIDE_ROOTS' });
  });

  it('refuses a move into a pseudo file system or through a file at once, touching nothing', async () => {
    const ids = rawDatabase(engine.catalog).prepare('SELECT id FROM items').pluck().all() as number[];
    const file = join(tmp.path, 'photos', 'a.jpg');
    for (const [destination, code] of [
      ['/proc/x', 'SYSTEM_FOLDER'],
      ['/sys/x/y', 'SYSTEM_FOLDER'],
      ['/dev/null/x', 'SYSTEM_FOLDER'],
      ['/', 'SYSTEM_FOLDER'],
      [join(file, 'x'), 'NOT_A_FOLDER'],
    ] as const) {
      await expect(engine.dedupe.apply({ kind: 'move', destination }, ids)).rejects.toMatchObject({ code });
    }
    expect(existsSync(file)).toBe(true);
    expect(rawDatabase(engine.catalog).prepare('SELECT COUNT(*) FROM items').pluck().get()).toBe(ids.length);
  }, 30_000);
});
