/**
 * File access on behalf of a transport (HTTP server, Electron IPC) is confined to the user's chosen folders: a
 * path is resolved to its real path (symbolic links, `..`) and must lie inside the real path of a root. The
 * check runs at the moment of access, so a file swapped for a link after indexing is refused too.
 */
import { realpath } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { AppError } from '../../shared/errors.js';
import { classifyFsError } from './read-file.js';

/** Whether `path` is `dir` or lies inside it (both already normalised the same way). */
export function isInside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

export function isInsideAny(path: string, dirs: readonly string[]): boolean {
  return dirs.some((d) => isInside(path, d));
}

/** The real paths of `roots`; roots that are offline or gone are left out (nothing inside them is reachable). */
export async function realRoots(roots: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const root of roots) {
    try {
      out.push(await realpath(root));
    } catch {
      // Offline: nothing can be inside it.
    }
  }
  return out;
}

/**
 * Resolves `path` and checks that it lies inside one of `roots`.
 * @returns the real path, which is what the caller must open (not `path`, which a link could redirect).
 * @throws AppError PATH_OUTSIDE_ROOTS, NOT_FOUND (no such file), PERMISSION_DENIED
 */
export async function confineToRoots(path: string, roots: readonly string[]): Promise<string> {
  // Lexically first, so the file system is never even asked about a path outside the roots.
  if (!isInsideAny(resolve(path), roots.map((r) => resolve(r)))) throw outside();
  let real: string;
  try {
    real = await realpath(path);
  } catch (err) {
    throw classifyFsError(err, path);
  }
  if (!isInsideAny(real, await realRoots(roots))) throw outside();
  return real;
}

const outside = () => new AppError('PATH_OUTSIDE_ROOTS', 'The file lies outside the folders added to the library.');
