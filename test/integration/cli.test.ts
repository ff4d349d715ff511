import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli as cli } from '../support/cli-run.js';
import { scene, writeScene } from '../support/synthetic.js';
import { TEST_MODEL, tempDir, type TempDir } from './helpers.js';

describe('lookalike CLI (in-process, real model)', () => {
  let tmp: TempDir;
  let data: string;
  let photos: string;

  beforeAll(async () => {
    tmp = tempDir('cli');
    data = join(tmp.path, 'data');
    photos = join(tmp.path, 'photos');
    await Promise.all(Array.from({ length: 12 }, (_, i) => writeScene(join(photos, `p${i}.jpg`), 300 + i)));
    writeFileSync(join(photos, 'broken.png'), 'garbage');
  });

  afterAll(() => tmp?.remove());

  it('indexes, prints a summary with the failures, and exits 0', async () => {
    const r = await cli(['--data', data, '--model', TEST_MODEL, 'index', photos, '--collection', 'shop']);
    expect(r.code).toBe(0);
    expect(r.lines[0]).toMatch(/^shop: 12 indexed, 0 unchanged, 0 moved, 0 removed, 1 failed in \d+s/);
    expect(r.lines[1]).toBe(`  failed: ${join(photos, 'broken.png')}: Not an image format this app can read. (UNSUPPORTED_IMAGE)`);
    expect(r.stderr).toMatch(/indexing 0\/13/);

    const again = await cli(['index', '--data', data, '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.lines[0]!)).toMatchObject({ collection: 'shop', indexed: 0, unchanged: 12, failed: 1, cancelled: false });
  });

  it('searches several images in one process with the JSON contract', async () => {
    const copy = join(tmp.path, 'copy-of-p3.jpg');
    writeFileSync(copy, await scene(303).resize(160).jpeg({ quality: 50 }).toBuffer());
    const r = await cli(['search', copy, join(photos, 'p7.jpg'), '-k', '3', '--json', '--data', data]);
    expect(r.code).toBe(0);
    expect(r.lines).toHaveLength(2);
    const [first, second] = r.lines.map((l) => JSON.parse(l) as { query: string; results: { path: string; score: number; collection: string }[] });
    expect(Object.keys(first!)).toEqual(['query', 'results']);
    expect(first!.query).toBe(copy);
    expect(first!.results).toHaveLength(3);
    expect(Object.keys(first!.results[0]!)).toEqual(['path', 'score', 'collection']);
    expect(first!.results[0]).toMatchObject({ path: join(photos, 'p3.jpg'), collection: 'shop' });
    const scores = first!.results.map((x) => x.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(second!.results[0]!.path).toBe(join(photos, 'p7.jpg'));
    expect(second!.results[0]!.score).toBeCloseTo(1, 2);

    const filtered = await cli(['search', copy, '--json', '--min-score', '0.999', '--collection', 'shop', '--data', data]);
    expect(JSON.parse(filtered.lines[0]!).results).toEqual([]);

    const cropped = await cli(['search', join(photos, 'p5.jpg'), '--crop', '0,0,200,150', '-k', '1', '--data', data]);
    expect(cropped.code).toBe(0);
    expect(cropped.lines[0]).toBe(join(photos, 'p5.jpg'));
    expect(cropped.lines[1]).toMatch(/^\s+1\s+0\.\d{4}\s+shop\s+\//);
  });

  it('reports stats and errors as JSON', async () => {
    const stats = await cli(['stats', '--json', '--data', data]);
    expect(stats.code).toBe(0);
    expect(JSON.parse(stats.stdout)).toMatchObject({
      dataDir: data,
      modelId: TEST_MODEL,
      itemCount: 12,
      vectorCount: 12,
      failedCount: 1,
      collections: [{ name: 'shop', itemCount: 12, failedCount: 1 }],
    });
    expect(JSON.parse(stats.stdout).indexBytes).toBeGreaterThan(0);

    const errors = await cli(['errors', '--json', '--data', data]);
    expect(errors.lines.map((l) => JSON.parse(l))).toEqual([
      { path: join(photos, 'broken.png'), collection: 'shop', code: 'UNSUPPORTED_IMAGE', reason: 'Not an image format this app can read.' },
    ]);
    const human = await cli(['stats', '--data', data]);
    expect(human.stdout).toMatch(/model\s+fast \(1152 dimensions\)/);
  });

  it('takes the data folder from LOOKALIKE_DATA', async () => {
    const r = await cli(['stats', '--json'], { env: { LOOKALIKE_DATA: data } });
    expect(JSON.parse(r.stdout).dataDir).toBe(data);
  });

  it('fails with a one-line reason and a non-zero exit code', async () => {
    const cases: [string[], number, RegExp][] = [
      [['search', join(tmp.path, 'missing.jpg'), '--data', data], 1, /^lookalike: .*No such file: .*missing\.jpg \(NOT_FOUND\)$/],
      [['search', join(photos, 'p1.jpg'), '--collection', 'nope', '--data', data], 1, /^lookalike: No collection named "nope"\. \(COLLECTION_NOT_FOUND\)$/],
      [['search', '--data', data], 2, /^lookalike: missing required argument 'images'$/],
      [['search', join(photos, 'p1.jpg'), '--crop', '1,2,3', '--data', data], 2, /^lookalike: option '--crop <x,y,w,h>' argument '1,2,3' is invalid\./],
      [['frobnicate'], 2, /^lookalike: unknown command 'frobnicate'$/],
      [['index', join(tmp.path, 'no-such-folder'), '--data', data], 1, /^lookalike: No such folder: .* \(FOLDER_NOT_FOUND\)$/],
      [['--model', 'accurate', 'index', photos, '--data', data], 1, /^lookalike: .*made with model "fast", not "accurate"\. Use --model fast .*\(MODEL_MISMATCH\)$/],
      [['index', '--data', join(tmp.path, 'empty-data')], 1, /^lookalike: Nothing to index yet: .*\(INVALID_INPUT\)$/],
    ];
    for (const [args, code, line] of cases) {
      const r = await cli(args);
      expect({ args, code: r.code }).toEqual({ args, code });
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr.trimEnd()).toMatch(line);
    }
    const json = await cli(['search', join(tmp.path, 'missing.jpg'), '--json', '--data', data]);
    expect(JSON.parse(json.lines[0]!)).toMatchObject({ query: join(tmp.path, 'missing.jpg'), results: [], error: { code: 'NOT_FOUND' } });
  });

  it('stops cleanly on Ctrl-C with exit code 130, and the next run resumes', async () => {
    const more = join(tmp.path, 'more');
    await Promise.all(Array.from({ length: 40 }, (_, i) => writeScene(join(more, `m${i}.jpg`), 400 + i)));
    let interrupted = false;
    const r = await cli(['index', more, '--collection', 'more', '--data', data], {
      onStderr(chunk, io) {
        if (!interrupted && /^indexing /m.test(chunk)) {
          interrupted = true;
          io.interrupt();
        }
      },
    });
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/Stopping after the current batch/);
    expect(r.lines[0]).toMatch(/^more: \d+ indexed, .*\(cancelled: run again to resume\)$/);
    const done = Number(/^more: (\d+) indexed/.exec(r.lines[0]!)![1]);
    expect(done).toBeLessThan(40);

    const resumed = await cli(['index', '--collection', 'more', '--data', data, '--json']);
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.lines[0]!)).toMatchObject({ indexed: 40 - done, unchanged: done, cancelled: false });
  });
});
