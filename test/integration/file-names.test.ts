/**
 * File names that are not valid UTF-8 (a Latin-1 `é` byte from an old archive) cannot be named by Node's string
 * paths. They used to vanish silently ("29 of 30 indexed", nothing in `errors`); now each is listed with a reason
 * and its bytes escaped, and a search of such a path says why it cannot be opened instead of NOT_FOUND.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeScene } from '../support/synthetic.js';
import { runCli } from '../support/cli-run.js';
import { TEST_MODEL, tempDir, type TempDir } from './helpers.js';

let tmp: TempDir;
beforeAll(() => {
  tmp = tempDir('file-names');
});
afterAll(() => tmp?.remove());

describe('file names that are not valid UTF-8', () => {
  it('are listed in errors with a reason, the others indexed, and a search of one names the cause', async () => {
    const dir = join(tmp.path, 'photos');
    mkdirSync(dir);
    await Promise.all([0, 1, 2].map((i) => writeScene(join(dir, `p${i}.jpg`), 5200 + i)));
    copyFileSync(join(dir, 'p0.jpg'), Buffer.concat([Buffer.from(`${dir}/caf`), Buffer.from([0xe9]), Buffer.from('.jpg')]));
    const data = join(tmp.path, 'data');

    const index = await runCli(['--data', data, '--model', TEST_MODEL, 'index', dir, '-c', 'c']);
    expect(index.code, index.stderr).toBe(0);
    const errors = await runCli(['--data', data, 'errors', '--json']);
    const rows = errors.lines.map((l) => JSON.parse(l) as { path: string; code: string; reason: string });
    expect(rows).toEqual([expect.objectContaining({ path: join(dir, 'caf\\xe9.jpg'), code: 'UNSUPPORTED_FILE_NAME' })]);
    expect(rows[0]!.reason).toMatch(/not valid UTF-8/);
    const stats = await runCli(['--data', data, 'stats', '--json']);
    expect(JSON.parse(stats.stdout)).toMatchObject({ itemCount: 3, vectorCount: 3, failedCount: 1 });

    // What a shell hands Node for that name: the byte replaced by U+FFFD.
    const search = await runCli(['--data', data, 'search', '--json', join(dir, 'caf\uFFFD.jpg')]);
    expect(JSON.parse(search.lines[0]!).error).toMatchObject({ code: 'UNSUPPORTED_FILE_NAME' });
  });
});
