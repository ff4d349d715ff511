/**
 * `GET /thumb/<id>?size=N` and `GET /image/<id>`: images reach the page only by catalog id. The id is parsed
 * by a digits-only pattern and looked up in the catalog by the engine; no client text ever becomes a path.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { toErrorPayload } from '../shared/errors.js';
import { THUMB_SIZES, type MediaRequest } from '../shared/web.js';
import { browserImageType } from '../core/app/host/content-types.js';
import { openRegularFile } from '../core/base/read-file.js';
import type { ServedEngine } from '../shared/engine-port.js';
import { sendError } from './http-util.js';

/** The largest cached rendition stands in for originals a browser cannot decode. */
const FALLBACK_SIZE = THUMB_SIZES[THUMB_SIZES.length - 1]!;

async function streamFile(req: IncomingMessage, res: ServerResponse, path: string, contentType: string): Promise<void> {
  // A FIFO or a device in a collection folder would block the open or stream forever: the same checks as indexing.
  const { handle, stats } = await openRegularFile(path);
  res.writeHead(200, {
    'Content-Type': contentType,
    'Content-Length': stats.size,
    // Ids are stable per file and thumbnails are keyed by content, so a short private cache is safe.
    'Cache-Control': 'private, max-age=300',
    'Content-Disposition': 'inline',
  });
  if (req.method === 'HEAD' || stats.size === 0) {
    await handle.close().catch(() => undefined);
    res.end();
    return;
  }
  await new Promise<void>((resolve) => {
    // Only the bytes the fstat counted: a file that grows meanwhile cannot make the response longer than promised.
    const stream = handle.createReadStream({ start: 0, end: stats.size - 1 });
    stream.on('error', () => {
      res.destroy();
      resolve();
    });
    res.on('close', () => {
      stream.destroy();
      resolve();
    });
    stream.pipe(res);
  });
}

export async function serveMedia(
  req: IncomingMessage,
  res: ServerResponse,
  media: MediaRequest,
  engine: ServedEngine,
): Promise<void> {
  try {
    if (media.kind === 'thumb') {
      const thumb = await engine.thumbnail(media.id, media.size);
      await streamFile(req, res, thumb.path, thumb.contentType);
      return;
    }
    const original = await engine.imagePath(media.id);
    const type = browserImageType(original);
    if (type) {
      await streamFile(req, res, original, type);
    } else {
      const thumb = await engine.thumbnail(media.id, FALLBACK_SIZE);
      await streamFile(req, res, thumb.path, thumb.contentType);
    }
  } catch (err) {
    // A catalogued file that has since been deleted or moved is "not found", not an internal error.
    const gone = (err as NodeJS.ErrnoException).code === 'ENOENT';
    if (res.headersSent) res.destroy();
    else sendError(res, gone ? { code: 'NOT_FOUND', message: 'The image file is no longer there.' } : toErrorPayload(err));
  }
}
