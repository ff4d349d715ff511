/**
 * `lookalike serve`: the same contract and the same renderer as the desktop app, over HTTP on loopback.
 * Every request passes the Host/Origin checks and the token before any route sees it.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { nullLogger, type Logger } from '../core/base/logger.js';
import { api } from '../shared/api.js';
import { AppError, toLogFormat } from '../shared/errors.js';
import { API_PREFIX, CONTENT_SECURITY_POLICY, EVENTS_PATH, parseMediaPath } from '../shared/web.js';
import { registerApi } from './api-routes.js';
import type { ServedEngine } from '../shared/engine-port.js';
import { createEventStream } from './event-stream.js';
import { sendError } from './http-util.js';
import { serveMedia } from './media-routes.js';
import { SECURITY_HEADERS, checkOrigin, createToken, isAuthenticated, sessionCookie, tokensEqual } from './security.js';
import { serveStatic } from './static-files.js';

/** Loopback only: the token keeps out other local users' software, this keeps out the network. */
export const BIND_HOST = '127.0.0.1';
/** A 50 MB photo as base64 inside JSON; the contract caps base64 at 70 MB. */
export const DEFAULT_MAX_BODY_BYTES = 72 * 1024 * 1024;

export interface ServerOptions {
  engine: ServedEngine;
  /** The built renderer (electron-vite's out/renderer). */
  rendererDir: string;
  /** 0 picks a free port. */
  port?: number;
  /** Defaults to a fresh random token; tests pass their own. */
  token?: string;
  maxBodyBytes?: number;
  logger?: Logger;
}

export interface RunningServer {
  readonly port: number;
  readonly token: string;
  /** The URL to open: it carries the token once; the server swaps it for a cookie and redirects. */
  readonly url: string;
  readonly origin: string;
  close(): Promise<void>;
}

const UNAUTHORIZED_STYLE =
  ':root{color-scheme:light dark;--bg:#f5f6f8;--panel:#fff;--text:#1d232b;--muted:#5f6b7a;--accent:#2563eb}' +
  '@media (prefers-color-scheme:dark){:root{--bg:#101318;--panel:#181c23;--text:#e6e9ee;--muted:#9aa5b4;--accent:#6ea1ff}}' +
  'body{margin:0;min-height:100vh;display:grid;place-items:center;background:var(--bg);color:var(--text);' +
  'font:15px/1.6 system-ui,-apple-system,"Segoe UI","Noto Sans","Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif}' +
  'main{max-width:34rem;margin:24px;padding:28px 32px;background:var(--panel);border-radius:12px;box-shadow:0 2px 12px rgb(0 0 0/12%)}' +
  'h1{margin:0 0 12px;font-size:20px;color:var(--accent)}p{margin:0 0 10px}p[lang=zh-CN]{color:var(--muted)}' +
  'code{font:13px ui-monospace,monospace;padding:1px 5px;border-radius:4px;background:color-mix(in srgb,var(--muted) 16%,transparent)}';

/** Shown instead of the app without a valid session token: both UI languages, the app's colours, no script. */
const UNAUTHORIZED_PAGE =
  `<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
  `<title>Lookalike</title><style>${UNAUTHORIZED_STYLE}</style><main><h1>Lookalike</h1>` +
  '<p>This page needs the full link printed by <code>lookalike serve</code>: it carries this session\'s token. Open that link again.</p>' +
  '<p lang="zh-CN">请打开 <code>lookalike serve</code> 打印的完整链接：其中带有本次会话的令牌。</p></main></html>';

/** The one inline style above is allowed by its hash; everything else stays as strict as the app's policy. */
const UNAUTHORIZED_CSP = CONTENT_SECURITY_POLICY.replace(
  "style-src 'self'",
  `style-src 'sha256-${createHash('sha256').update(UNAUTHORIZED_STYLE).digest('base64')}'`,
);

function sendUnauthorizedPage(res: ServerResponse): void {
  res.writeHead(401, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': UNAUTHORIZED_CSP }).end(UNAUTHORIZED_PAGE);
}

function classifyListenError(err: NodeJS.ErrnoException, port: number): Error {
  if (err.code === 'EADDRINUSE') {
    return new AppError('INVALID_INPUT', `Port ${port} is already in use; choose another with --port, or leave it out.`, { cause: err });
  }
  if (err.code === 'EACCES') {
    return new AppError('PERMISSION_DENIED', `Not allowed to listen on port ${port}; use a port above 1023.`, { cause: err });
  }
  return err;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const logger = options.logger ?? nullLogger;
  const token = options.token ?? createToken();
  const apiRoute = registerApi(api, options.engine.api, {
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    onUnexpected: (channel, err) => logger.error('request failed', { channel, error: toLogFormat(err) }),
  });
  const events = createEventStream(options.engine.events);
  let port = 0;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    const raw = req.url ?? '/';
    // A request target like `//host/x` would be read as a network-path reference; only plain paths are valid.
    if (!raw.startsWith('/') || raw.startsWith('//')) {
      sendError(res, { code: 'INVALID_INPUT', message: 'Bad request path.' });
      return;
    }
    const denied = checkOrigin(req, port);
    if (denied) {
      sendError(res, denied);
      return;
    }
    const url = new URL(raw, `http://${BIND_HOST}:${port}`);
    const isRead = req.method === 'GET' || req.method === 'HEAD';

    const offered = url.searchParams.get('token');
    if (offered !== null && isRead && url.pathname === '/') {
      if (!tokensEqual(offered, token)) {
        sendUnauthorizedPage(res);
        return;
      }
      // Trade the token in the address bar for a cookie, so it does not linger in history or screenshots.
      res.writeHead(303, { Location: '/', 'Set-Cookie': sessionCookie(token, port), 'Cache-Control': 'no-store' });
      res.end();
      return;
    }
    if (!isAuthenticated(req, token, port)) {
      if (isRead && url.pathname === '/') {
        sendUnauthorizedPage(res);
      } else {
        sendError(res, { code: 'UNAUTHORIZED', message: 'Missing or wrong session token.' });
      }
      return;
    }

    if (url.pathname.startsWith(`/${API_PREFIX}`)) {
      let channel: string;
      try {
        channel = decodeURIComponent(url.pathname.slice(API_PREFIX.length + 1));
      } catch {
        channel = '';
      }
      await apiRoute(req, res, channel);
      return;
    }
    if (!isRead) {
      sendError(res, { code: 'NOT_FOUND', message: 'No such route.' });
      return;
    }
    if (url.pathname === `/${EVENTS_PATH}`) {
      events.handle(req, res);
      return;
    }
    if (/^\/(thumb|image)\//.test(url.pathname)) {
      const media = parseMediaPath(url.pathname, url.searchParams);
      if (!media) {
        sendError(res, { code: 'INVALID_INPUT', message: 'Media is addressed by a numeric item id.' });
        return;
      }
      await serveMedia(req, res, media, options.engine);
      return;
    }
    if (!(await serveStatic(res, options.rendererDir, url.pathname, req.method === 'HEAD'))) {
      sendError(res, { code: 'NOT_FOUND', message: 'No such route.' });
    }
  }

  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      logger.error('unhandled request error', { error: toLogFormat(err) });
      if (!res.headersSent) sendError(res, { code: 'INTERNAL', message: 'Internal error; see the log for details.' });
      else res.destroy();
    });
  });
  // Slow-loris guard; the body limit bounds size, this bounds time.
  server.requestTimeout = 120_000;
  server.headersTimeout = 20_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(classifyListenError(err, options.port ?? 0)));
    server.listen(options.port ?? 0, BIND_HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const origin = `http://${BIND_HOST}:${port}`;

  return {
    port,
    token,
    origin,
    url: `${origin}/?token=${token}`,
    async close() {
      events.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
