/**
 * `lookalike dupes` and `lookalike undo` driven as a user would (in-process CLI, real model): the JSON contract,
 * --apply trash and move:<dir>, undo, and the exit codes. The trash is a temp folder (HOME and XDG_DATA_HOME).
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli as cli } from '../support/cli-run.js';
import { alterImage } from '../../src/core/eval/alterations.js';
import { PairReasonSchema } from '../../src/shared/api.js';
import { scene } from '../support/synthetic.js';
import { TEST_MODEL, tempDir, type TempDir } from './helpers.js';

const tmp: TempDir = tempDir('dupes-cli');
process.env.HOME = join(tmp.path, 'home');
process.env.XDG_DATA_HOME = join(tmp.path, 'home', '.local', 'share');
mkdirSync(process.env.XDG_DATA_HOME, { recursive: true });

describe('lookalike dupes / undo (CLI)', () => {
  const data = join(tmp.path, 'data');
  const photos = join(tmp.path, 'photos');
  const P = (n: string) => join(photos, n);

  beforeAll(async () => {
    mkdirSync(photos, { recursive: true });
    for (const i of [0, 1, 2]) {
      const src = await scene(600 + i, 480, 360).jpeg({ quality: 92 }).toBuffer();
      writeFileSync(P(`p${i}.jpg`), src);
      if (i < 2) writeFileSync(P(`p${i}-copy.jpg`), (await alterImage(src, i === 0 ? 'pad' : 'flip')).data);
    }
    const r = await cli(['--data', data, '--model', TEST_MODEL, 'index', photos, '--collection', 'shop']);
    expect(r.code).toBe(0);
  });

  afterAll(() => tmp.remove());

  it('prints the groups as the JSON contract', async () => {
    const r = await cli(['--data', data, 'dupes', '--json']);
    expect(r.code).toBe(0);
    expect(r.lines).toHaveLength(1);
    const out = JSON.parse(r.lines[0]!) as { groups: { keeper: string; items: { path: string; score: number; reason: { codes: string[]; angle: number | null } }[] }[] };
    expect(Object.keys(out)).toEqual(['groups']);
    expect(out.groups).toHaveLength(2);
    for (const g of out.groups) {
      expect(Object.keys(g)).toEqual(['keeper', 'items']);
      expect(g.items).toHaveLength(1);
      expect(Object.keys(g.items[0]!)).toEqual(['path', 'score', 'reason']);
      expect(PairReasonSchema.parse(g.items[0]!.reason)).toEqual(g.items[0]!.reason);
      expect(g.items[0]!.score).toBeGreaterThan(0.5);
      expect(g.items[0]!.score).toBeLessThanOrEqual(1);
    }
    const byKeeper = new Map(out.groups.map((g) => [g.keeper, g.items.map((i) => i.path)]));
    expect(byKeeper.get(P('p0.jpg'))).toEqual([P('p0-copy.jpg')]);
    // Each pair says why: the padded copy is the photo inside a larger picture, the flipped one its mirror.
    const reasonIn = (path: string) => out.groups.find((g) => [g.keeper, ...g.items.map((i) => i.path)].includes(path))?.items[0]?.reason.codes;
    expect(reasonIn(P('p0-copy.jpg'))).toContain('contained');
    expect(reasonIn(P('p1-copy.jpg'))).toContain('mirrored');
    expect([...byKeeper.entries()].some(([k, v]) => [k, ...v].sort().join() === [P('p1.jpg'), P('p1-copy.jpg')].sort().join())).toBe(true);
    // Only one collection, a stricter threshold and keeper rules are accepted.
    const strict = await cli(['--data', data, 'dupes', '--collection', 'shop', '--threshold', '0.99', '--keep', 'newest,largest-file', '--json']);
    expect(strict.code).toBe(0);
    expect(JSON.parse(strict.lines[0]!).groups.length).toBeLessThanOrEqual(2);
  });

  it('prints a readable list', async () => {
    const r = await cli(['--data', data, 'dupes']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^group 1: 2 files, .* reclaimable$/m);
    expect(r.stdout).toMatch(/^ {2}keep {10}\d+×\d+ jpeg /m);
    expect(r.stdout).toMatch(/^2 groups, 2 files to remove, .* reclaimable \(5 images, threshold 0\.5, /m);
  });

  it('rejects bad options with exit code 2 and unknown collections with 1', async () => {
    for (const args of [['--threshold', '0'], ['--threshold', 'x'], ['--apply', 'shred'], ['--keep', 'prettiest']]) {
      const r = await cli(['--data', data, 'dupes', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
    }
    const r = await cli(['--data', data, 'dupes', '--collection', 'nope']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^lookalike: .*\(COLLECTION_NOT_FOUND\)$/m);
  });

  it('refuses the trash before touching a file when HOME names a missing folder', async () => {
    const home = process.env.HOME;
    process.env.HOME = join(tmp.path, 'no-such-home');
    try {
      const r = await cli(['--data', data, 'dupes', '--apply', 'trash']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^lookalike: The trash cannot be used: the home folder .*no-such-home \(HOME\) does not exist.*\(FOLDER_NOT_FOUND\)$/m);
      expect(existsSync(P('p0-copy.jpg'))).toBe(true);
      expect(existsSync(P('p1-copy.jpg'))).toBe(true);
    } finally {
      process.env.HOME = home;
    }
    expect(JSON.parse((await cli(['--data', data, 'dupes', '--json'])).lines[0]!).groups).toHaveLength(2);
  });

  it('applies the suggestions to the trash and undoes them', async () => {
    const r = await cli(['--data', data, 'dupes', '--apply', 'trash']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Moved 2 files \(.*\) to the trash \(action \d+\)\.$/m);
    expect(existsSync(P('p0-copy.jpg'))).toBe(false);
    expect(readdirSync(join(process.env.XDG_DATA_HOME!, 'Trash', 'files'))).toHaveLength(2);
    const empty = await cli(['--data', data, 'dupes', '--json']);
    expect(JSON.parse(empty.lines[0]!)).toEqual({ groups: [] });
    const undo = await cli(['--data', data, 'undo']);
    expect(undo.code).toBe(0);
    expect(undo.stdout).toMatch(/^Undid action \d+ \(trash\): restored 2 files\.$/m);
    expect(existsSync(P('p0-copy.jpg'))).toBe(true);
    const nothing = await cli(['--data', data, 'undo']);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toMatch(/^lookalike: There is nothing to undo\. \(NOT_FOUND\)$/m);
  });

  it('moves the suggestions to a folder (relative to the working directory) with --json', async () => {
    const r = await cli(['--data', data, 'dupes', '--apply', 'move:set-aside', '--json'], { cwd: tmp.path });
    expect(r.code).toBe(0);
    const s = JSON.parse(r.lines[0]!) as { actionId: number; kind: string; done: number; skipped: unknown[] };
    expect(s).toMatchObject({ kind: 'move', done: 2, skipped: [] });
    expect(readdirSync(join(tmp.path, 'set-aside')).sort()).toEqual(['p0-copy.jpg', 'p1-copy.jpg']);
    const undo = await cli(['--data', data, 'undo', '--json']);
    expect(undo.code).toBe(0);
    expect(JSON.parse(undo.lines[0]!)).toMatchObject({ actionId: s.actionId, kind: 'move', restored: 2, complete: true });
    expect(readdirSync(join(tmp.path, 'set-aside'))).toHaveLength(0);
  });
});
