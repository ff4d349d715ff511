/** Maps URL paths of the built renderer to files, for both hosts (HTTP server, Electron's app protocol). */
import { resolve, sep } from 'node:path';
import { staticContentType } from './content-types.js';

/**
 * Maps a decoded URL path to a file inside `root`, or null: no dot-segments, backslashes, NULs or hidden
 * files, and the resolved path must stay under `root`.
 */
export function resolveStatic(root: string, pathname: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded === '/' || decoded === '') decoded = '/index.html';
  if (/[\\\0]/.test(decoded) || decoded.split('/').some((seg) => seg.startsWith('.'))) return null;
  const base = resolve(root);
  const file = resolve(base, `.${decoded}`);
  if (!file.startsWith(base + sep)) return null;
  return staticContentType(file) ? file : null;
}
