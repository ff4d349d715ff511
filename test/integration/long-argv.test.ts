/**
 * A long command line must not crash any command. ONNX Runtime's telemetry client parsed /proc/self/cmdline with
 * a recursive regex when the first session started: ~316 ordinary paths (≈ 29 KB of argv) to `search` killed the
 * process with SIGSEGV (exit 139) before the model loaded. xargs users pass thousands of paths.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-process.js';
import { writeScene } from '../support/synthetic.js';
import { ensureBuiltCli } from './built-cli.js';
import { TEST_MODEL, tempDir, type TempDir } from './helpers.js';

let tmp: TempDir;

beforeAll(async () => {
  tmp = tempDir('long-argv');
  await ensureBuiltCli();
});
afterAll(() => tmp?.remove());

describe('a long command line', () => {
  it('searches with 600 query paths (≈ 60 KB of argv) and answers each one', async () => {
    const dir = join(tmp.path, `photos-with-a-deliberately-long-folder-name-${'x'.repeat(40)}`);
    const photos = Array.from({ length: 3 }, (_, i) => join(dir, `p${i}.jpg`));
    await Promise.all(photos.map((p, i) => writeScene(p, 4100 + i)));
    const data = join(tmp.path, 'data');
    const index = await runCli(['--data', data, '--model', TEST_MODEL, '-q', 'index', dir, '-c', 'c']);
    expect(index.code, index.stderr).toBe(0);

    const queries = Array.from({ length: 600 }, (_, i) => photos[i % photos.length]!);
    expect(queries.join(' ').length).toBeGreaterThan(60_000);
    const run = await runCli(['--data', data, '-q', 'search', '--json', '-k', '1', ...queries]);
    expect(run.signal).toBeNull();
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { query: string; results: { path: string }[] });
    expect(lines).toHaveLength(600);
    expect(lines.every((l) => l.results[0]?.path === l.query)).toBe(true);
  });
});
