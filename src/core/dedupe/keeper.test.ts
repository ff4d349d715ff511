import { describe, expect, it } from 'vitest';
import { chooseKeeper, type KeeperCandidate } from './keeper.js';

const item = (id: number, over: Partial<KeeperCandidate>): KeeperCandidate => ({
  id,
  path: `/photos/${id}.jpg`,
  size: 1000,
  mtimeMs: 1_000_000,
  width: 100,
  height: 100,
  reference: false,
  ...over,
});

describe('chooseKeeper', () => {
  const big = item(1, { width: 2000, height: 1500, size: 500, mtimeMs: 3 });
  const heavy = item(2, { width: 800, height: 600, size: 9000, mtimeMs: 1 });
  const old = item(3, { width: 800, height: 600, size: 700, mtimeMs: 0, path: '/photos/a/b/c/old-copy.jpg' });

  it('applies the rules in the order given', () => {
    expect(chooseKeeper([heavy, big, old], { rules: ['largest-pixels'] }).keeper.id).toBe(1);
    expect(chooseKeeper([heavy, big, old], { rules: ['largest-file'] }).keeper.id).toBe(2);
    expect(chooseKeeper([heavy, big, old], { rules: ['oldest'] }).keeper.id).toBe(3);
    expect(chooseKeeper([heavy, big, old], { rules: ['newest'] }).keeper.id).toBe(1);
    expect(chooseKeeper([old, heavy], { rules: ['shortest-path'] }).keeper.id).toBe(2);
  });

  it('lets the next rule break a tie of the first', () => {
    // heavy and old have the same pixels; the second rule decides.
    expect(chooseKeeper([heavy, old], { rules: ['largest-pixels', 'oldest'] }).keeper.id).toBe(3);
    expect(chooseKeeper([heavy, old], { rules: ['largest-pixels', 'largest-file'] }).keeper.id).toBe(2);
  });

  it('prefers files in the preferred folders, earlier folders first', () => {
    const a = item(10, { path: '/work/export/x.jpg' });
    const b = item(11, { path: '/work/masters/x.jpg' });
    const c = item(12, { path: '/elsewhere/x.jpg', width: 5000, height: 5000 });
    const options = { rules: ['preferred-folder', 'largest-pixels'] as const, preferredFolders: ['/work/masters', '/work/export'] };
    expect(chooseKeeper([a, b, c], { ...options, rules: [...options.rules] }).keeper.id).toBe(11);
    // A folder prefix must end at a separator: /work/masters2 is not under /work/masters.
    const d = item(13, { path: '/work/masters2/x.jpg' });
    expect(chooseKeeper([d, a], { ...options, rules: [...options.rules] }).keeper.id).toBe(10);
  });

  it('never removes a reference file and keeps one as the keeper when there is one', () => {
    const ref = item(20, { reference: true, width: 10, height: 10 });
    const ref2 = item(21, { reference: true, width: 20, height: 20 });
    const local = item(22, { width: 4000, height: 3000 });
    const d = chooseKeeper([local, ref, ref2], { rules: ['largest-pixels'] });
    expect(d.keeper.id).toBe(21);
    expect(d.remove.map((m) => m.id)).toEqual([22]);
    expect(d.protected.map((m) => m.id)).toEqual([20]);
  });

  it('is deterministic for identical files (path, then id)', () => {
    const x = item(31, { path: '/b.jpg' });
    const y = item(30, { path: '/a.jpg' });
    expect(chooseKeeper([x, y], { rules: [] }).keeper.id).toBe(30);
  });
});

describe('largest-pixels', () => {
  it('counts picture content, not a white border, and prefers less border at equal content', () => {
    const original = item(40, { width: 400, height: 533, content: 0.99 });
    // The same picture with 15% white padding each side: 1.69× the pixels, the same content.
    const padded = item(41, { width: 520, height: 693, content: 0.585, size: 99999 });
    expect(chooseKeeper([padded, original], { rules: ['largest-pixels', 'largest-file'] }).keeper.id).toBe(40);
    const bigger = item(42, { width: 800, height: 1066, content: 1 });
    expect(chooseKeeper([padded, original, bigger], { rules: ['largest-pixels'] }).keeper.id).toBe(42);
  });

  it('treats a 1% difference as a tie for the next rule', () => {
    const a = item(50, { width: 1000, height: 1000, mtimeMs: 5 });
    const b = item(51, { width: 1000, height: 995, mtimeMs: 1 });
    expect(chooseKeeper([a, b], { rules: ['largest-pixels', 'oldest'] }).keeper.id).toBe(51);
  });
});
