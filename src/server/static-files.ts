/** Serves the built renderer (index.html and hashed assets) from one folder, and nothing outside it. */
import { readFile, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { staticContentType } from '../core/app/host/content-types.js';
import { resolveStatic } from '../core/app/host/static-path.js';

/** @returns false when there is no such file, so the caller can answer 404. */
export async function serveStatic(res: ServerResponse, root: string, pathname: string, head: boolean): Promise<boolean> {
  const file = resolveStatic(root, pathname);
  if (!file) return false;
  try {
    if (!(await stat(file)).isFile()) return false;
    const body = await readFile(file);
    const hashed = pathname.startsWith('/assets/');
    res.writeHead(200, {
      'Content-Type': staticContentType(file)!,
      'Content-Length': body.length,
      'Cache-Control': hashed ? 'private, max-age=31536000, immutable' : 'no-cache',
    });
    res.end(head ? undefined : body);
    return true;
  } catch {
    return false;
  }
}
