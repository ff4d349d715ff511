import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hasImageExtension, walk } from './walk.js';

async function toArray<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('walk', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'lookalike-walk-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const touch = (rel: string, content = 'x') => {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), content);
  };
  const collect = async (dir = root) => {
    const out: string[] = [];
    for await (const f of walk(dir)) out.push(relative(root, f.path));
    return out.sort();
  };

  it('finds images recursively, skipping hidden and system folders and other files', async () => {
    touch('a.jpg');
    touch('B.JPEG');
    touch('sub/deeper/c.webp', 'xyz');
    touch('sub/notes.txt');
    touch('.hidden/d.png');
    touch('sub/.e.png');
    touch('@eaDir/thumb.jpg');
    touch('node_modules/pkg/logo.png');
    expect(await collect()).toEqual(['B.JPEG', 'a.jpg', 'sub/deeper/c.webp']);
    const [file] = await toArray(walk(join(root, 'sub', 'deeper')));
    expect(file).toMatchObject({ size: 3 });
    expect(file!.mtimeMs).toBeGreaterThan(0);
  });

  it('follows symbolic links once and survives link loops', async () => {
    touch('real/x.png');
    symlinkSync(join(root, 'real'), join(root, 'link'));
    symlinkSync(root, join(root, 'real', 'loop'));
    symlinkSync(join(root, 'real', 'x.png'), join(root, 'alias.png'));
    symlinkSync(join(root, 'nowhere'), join(root, 'dangling.png'));
    const found = await collect();
    expect(found).toContain('alias.png');
    expect(found.filter((p) => p.endsWith('x.png') && p !== 'alias.png')).toHaveLength(1);
  });

  it('follows links only into the allowed folders, and reports a file link out of them as refused', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'lookalike-walk-out-'));
    try {
      writeFileSync(join(outside, 'secret.jpg'), 'x');
      touch('in/ok.jpg');
      symlinkSync(join(outside, 'secret.jpg'), join(root, 'in', 'link-out.jpg'));
      symlinkSync(outside, join(root, 'in', 'folder-out'));
      symlinkSync(join(root, 'in', 'ok.jpg'), join(root, 'in', 'link-in.jpg'));
      const found = await toArray(walk(root, { within: [root] }));
      expect(found.map((f) => relative(root, f.path)).sort()).toEqual(['in/link-in.jpg', 'in/link-out.jpg', 'in/ok.jpg']);
      expect(found.find((f) => f.path.endsWith('link-out.jpg'))?.refused?.code).toBe('PATH_OUTSIDE_ROOTS');
      expect(found.filter((f) => f.refused)).toHaveLength(1);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('throws for a root that is a file, not a folder', async () => {
    touch('file.jpg');
    await expect(collect(join(root, 'file.jpg'))).rejects.toMatchObject({ code: 'NOT_A_FOLDER' });
  });

  it('throws for a missing root and stops when aborted', async () => {
    await expect(collect(join(root, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
    touch('a.jpg');
    const controller = new AbortController();
    controller.abort();
    await expect(toArray(walk(root, { signal: controller.signal }))).rejects.toThrow();
  });

  it('reports files and folders whose names are not valid UTF-8 as refused, with the bytes escaped', async () => {
    touch('ok.jpg');
    // Latin-1 "café.jpg" and a folder "Été" as raw bytes: Node's string paths cannot name them.
    writeFileSync(Buffer.concat([Buffer.from(`${root}/caf`), Buffer.from([0xe9]), Buffer.from('.jpg')]), 'x');
    writeFileSync(Buffer.concat([Buffer.from(`${root}/notes`), Buffer.from([0xe9]), Buffer.from('.txt')]), 'x');
    mkdirSync(Buffer.concat([Buffer.from(`${root}/`), Buffer.from([0xc9]), Buffer.from('t')]));
    const found = await toArray(walk(root));
    const byName = new Map(found.map((f) => [relative(root, f.path), f]));
    expect([...byName.keys()].sort()).toEqual(['\\xc9t', 'caf\\xe9.jpg', 'ok.jpg']);
    expect(byName.get('ok.jpg')!.refused).toBeUndefined();
    for (const name of ['caf\\xe9.jpg', '\\xc9t']) {
      expect(byName.get(name)!.refused?.code).toBe('UNSUPPORTED_FILE_NAME');
      expect(byName.get(name)!.refused?.message).toMatch(/not valid UTF-8/);
    }
  });

  it('matches extensions case-insensitively', () => {
    expect(hasImageExtension('x.TIFF')).toBe(true);
    expect(hasImageExtension('x.avif')).toBe(true);
    expect(hasImageExtension('.jpg')).toBe(false);
    expect(hasImageExtension('x.svg')).toBe(false);
  });
});
