import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confineToRoots, isInside } from './confine.js';

let dir: string;
const p = (...s: string[]) => join(dir, ...s);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lookalike-confine-'));
  mkdirSync(p('root', 'sub'), { recursive: true });
  mkdirSync(p('root-sibling'));
  mkdirSync(p('outside'));
  writeFileSync(p('root', 'sub', 'a.jpg'), 'a');
  writeFileSync(p('root-sibling', 'b.jpg'), 'b');
  writeFileSync(p('outside', 'secret.jpg'), 's');
  symlinkSync(p('outside', 'secret.jpg'), p('root', 'link-out.jpg'));
  symlinkSync(p('outside'), p('root', 'dir-out'));
  symlinkSync(p('root', 'sub', 'a.jpg'), p('root', 'link-in.jpg'));
  symlinkSync(p('root'), p('linked-root'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('confinement to the chosen folders', () => {
  it('matches whole path segments only', () => {
    expect(isInside('/a/b/c', '/a/b')).toBe(true);
    expect(isInside('/a/b', '/a/b')).toBe(true);
    expect(isInside('/a/bc', '/a/b')).toBe(false);
    expect(isInside('/a/b/c', '/a/b/')).toBe(true);
  });

  it('returns the real path of a file inside a root (also through a link that stays inside, or a linked root)', async () => {
    expect(await confineToRoots(p('root', 'sub', 'a.jpg'), [p('root')])).toBe(p('root', 'sub', 'a.jpg'));
    expect(await confineToRoots(p('root', 'link-in.jpg'), [p('root')])).toBe(p('root', 'sub', 'a.jpg'));
    expect(await confineToRoots(p('linked-root', 'sub', 'a.jpg'), [p('linked-root')])).toBe(p('root', 'sub', 'a.jpg'));
  });

  it('refuses what lies outside, however it is spelled', async () => {
    for (const path of [
      p('outside', 'secret.jpg'),
      p('root', '..', 'outside', 'secret.jpg'),
      p('root', 'link-out.jpg'),
      p('root', 'dir-out', 'secret.jpg'),
      p('root-sibling', 'b.jpg'),
      'root/sub/a.jpg',
      '/etc/passwd',
    ]) {
      await expect(confineToRoots(path, [p('root')]), path).rejects.toMatchObject({ code: 'PATH_OUTSIDE_ROOTS' });
    }
    // No roots at all (or only offline ones): nothing is reachable.
    await expect(confineToRoots(p('root', 'sub', 'a.jpg'), [])).rejects.toMatchObject({ code: 'PATH_OUTSIDE_ROOTS' });
    await expect(confineToRoots(p('root', 'missing.jpg'), [p('root')])).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
