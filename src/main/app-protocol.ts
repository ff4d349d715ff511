/**
 * `lookalike://app/`: the renderer is served from a privileged custom scheme instead of file:// (Electron's
 * security checklist), together with the media routes by item id, from the same parser as the HTTP host.
 */
import type { CustomScheme } from 'electron';
import { toErrorPayload } from '../shared/errors';
import { APP_SCHEME, CONTENT_SECURITY_POLICY, THUMB_SIZES, parseMediaPath } from '../shared/web';
import { browserImageType, staticContentType } from '../core/app/host/content-types';
import type { ServedEngine } from '../shared/engine-port';
import { statusFor } from '../core/app/host/http-status';
import { resolveStatic } from '../core/app/host/static-path';
import { readImageFile } from '../core/base/read-file';

export const APP_HOST = 'app';

export const APP_SCHEME_PRIVILEGES: CustomScheme = {
  scheme: APP_SCHEME,
  // standard: relative URLs and an origin; secure: a secure context (clipboard); fetch for module scripts.
  privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true },
};

const BASE_HEADERS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
};

export interface AppProtocolOptions {
  rendererDir: string;
  engine: ServedEngine;
  read?: (path: string) => Promise<Uint8Array<ArrayBuffer>>;
}

const json = (status: number, body: unknown): Response =>
  new Response(JSON.stringify(body), { status, headers: { ...BASE_HEADERS, 'Content-Type': 'application/json' } });

export function createAppProtocolHandler(options: AppProtocolOptions): (request: Request) => Promise<Response> {
  // The same regular-file and size checks as indexing: a FIFO or device in a collection folder must not hang the app.
  const read = options.read ?? (async (path: string) => new Uint8Array(await readImageFile(path)));
  const file = async (path: string, type: string, cache: string): Promise<Response> =>
    new Response(await read(path), {
      headers: { ...BASE_HEADERS, 'Content-Type': type, 'Cache-Control': cache },
    });

  return async (request) => {
    const url = new URL(request.url);
    if (url.host !== APP_HOST || request.method !== 'GET') {
      return json(404, { ok: false, error: { code: 'NOT_FOUND', message: 'No such resource.' } });
    }
    try {
      if (/^\/(thumb|image)\//.test(url.pathname)) {
        const media = parseMediaPath(url.pathname, url.searchParams);
        if (!media) return json(400, { ok: false, error: { code: 'INVALID_INPUT', message: 'Media is addressed by item id.' } });
        if (media.kind === 'image') {
          const original = await options.engine.imagePath(media.id);
          const type = browserImageType(original);
          if (type) return await file(original, type, 'no-cache');
        }
        const size = media.kind === 'thumb' ? media.size : THUMB_SIZES[THUMB_SIZES.length - 1]!;
        const thumb = await options.engine.thumbnail(media.id, size);
        return await file(thumb.path, thumb.contentType, 'private, max-age=300');
      }
      const path = resolveStatic(options.rendererDir, url.pathname);
      if (!path) return json(404, { ok: false, error: { code: 'NOT_FOUND', message: 'No such resource.' } });
      return await file(path, staticContentType(path)!, 'no-cache');
    } catch (err) {
      const error = toErrorPayload(err);
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        return json(404, { ok: false, error: { code: 'NOT_FOUND', message: 'No such resource.' } });
      }
      return json(statusFor(error.code), { ok: false, error });
    }
  };
}
