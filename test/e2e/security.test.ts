/**
 * The browser host's gate, over real HTTP: no token, foreign Origin or Host, and path tricks on the media
 * routes are all refused before anything reaches the engine or the file system.
 */
import { request } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channels } from '../../src/shared/api.js';
import { TOKEN_HEADER, cookieName } from '../../src/server/security.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { createFakeEngine } from '../../src/server/fake-engine.js';

const TOKEN = 'e2e-security-token-0123456789abcdef';
const SECRET = 'TOP-SECRET-CONTENT';
let server: RunningServer;
let dir: string;
let secretPath: string;

interface Raw {
  status: number;
  body: string;
}

/** node:http, not fetch: it sends the request target byte for byte (no `..` normalisation) and any Host. */
function raw(path: string, headers: Record<string, string> = {}, method = 'GET', body?: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: server.port, path, method, headers: { host: `127.0.0.1:${server.port}`, ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const authed = { [TOKEN_HEADER]: TOKEN };
const apiPath = `/api/${channels[0]}`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lookalike-sec-'));
  mkdirSync(join(dir, 'renderer'));
  writeFileSync(join(dir, 'renderer', 'index.html'), '<!doctype html><title>app</title>');
  secretPath = join(dir, 'secret.txt');
  writeFileSync(secretPath, SECRET);
  writeFileSync(join(dir, 'thumb.webp'), 'WEBP');
  server = await startServer({
    engine: createFakeEngine({ thumbFile: join(dir, 'thumb.webp') }),
    rendererDir: join(dir, 'renderer'),
    token: TOKEN,
  });
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('token', () => {
  it('refuses every route without the token', async () => {
    for (const path of ['/', '/index.html', '/thumb/1', '/image/1', '/events']) {
      const res = await raw(path);
      expect(res.status, path).toBe(401);
      expect(res.body, path).not.toContain('<title>app</title>');
    }
    const api = await raw(apiPath, { 'content-type': 'application/json' }, 'POST', '{}');
    expect(api.status).toBe(401);
    expect(JSON.parse(api.body)).toEqual({ ok: false, error: { code: 'UNAUTHORIZED', message: expect.any(String) } });
  });

  it('refuses a wrong token in the header, cookie or URL', async () => {
    expect((await raw(apiPath, { [TOKEN_HEADER]: 'nope', 'content-type': 'application/json' }, 'POST', '{}')).status).toBe(401);
    expect((await raw('/', { cookie: `${cookieName(server.port)}=${TOKEN}x` })).status).toBe(401);
    // Another server's cookie (same host, other port) does not open this one.
    expect((await raw('/', { cookie: `${cookieName(server.port + 1)}=${TOKEN}` })).status).toBe(401);
    expect((await raw(`/?token=${TOKEN.slice(0, -1)}`)).status).toBe(401);
    expect((await raw(`/?token=${TOKEN}`)).status).toBe(303);
  });
});

describe('Origin and Host (cross-site requests, DNS rebinding)', () => {
  it('refuses a foreign Origin even with the token', async () => {
    for (const origin of ['http://evil.example', 'null', `http://127.0.0.1:${server.port + 1}`, `https://127.0.0.1:${server.port}`]) {
      const res = await raw(apiPath, { ...authed, origin, 'content-type': 'application/json' }, 'POST', '{}');
      expect(res.status, origin).toBe(403);
      expect(JSON.parse(res.body).error.code).toBe('FORBIDDEN');
    }
    const cross = await raw(apiPath, { ...authed, 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' }, 'POST', '{}');
    expect(cross.status).toBe(403);
  });

  it('refuses a foreign Host even with the token (DNS rebinding)', async () => {
    for (const host of [`evil.example:${server.port}`, 'evil.example', `127.0.0.1:${server.port + 1}`, `localhost.evil.example:${server.port}`]) {
      const res = await raw('/', { ...authed, host });
      expect(res.status, host).toBe(403);
    }
  });

  it('accepts its own origin under both loopback names', async () => {
    for (const host of [`127.0.0.1:${server.port}`, `localhost:${server.port}`]) {
      const res = await raw(apiPath, { ...authed, host, origin: `http://${host}`, 'content-type': 'application/json' }, 'POST', '{}');
      expect(res.status, host).toBe(200);
    }
  });
});

describe('media routes by item id only', () => {
  it('serves a known id and refuses an unknown one', async () => {
    expect((await raw('/thumb/1?size=256', authed)).status).toBe(200);
    const missing = await raw('/thumb/424242', authed);
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body).error.code).toBe('ITEM_NOT_FOUND');
    expect((await raw('/image/999999999', authed)).status).toBe(404);
  });

  it('refuses traversal, encoded traversal, absolute paths and malformed ids', async () => {
    const enc = encodeURIComponent(secretPath);
    const attempts = [
      '/thumb/../secret.txt',
      '/thumb/../../../../../../etc/passwd',
      '/thumb/..%2f..%2fsecret.txt',
      '/thumb/%2e%2e%2f%2e%2e%2fsecret.txt',
      '/image/%2e%2e/%2e%2e/secret.txt',
      '/thumb/..%5c..%5csecret.txt',
      `/image/${enc}`,
      `/thumb/${enc}`,
      `/image${secretPath}`,
      `/thumb/${secretPath}`,
      `//${secretPath}`,
      '/image/C:%5CWindows%5Cwin.ini',
      '/thumb/1/../../secret.txt',
      '/thumb/1%00.webp',
      '/thumb/0',
      '/thumb/-1',
      '/thumb/1e3',
      '/thumb/0x10',
      '/thumb/99999999999999999999',
      '/image/1.5',
      `/../secret.txt`,
      `/%2e%2e/secret.txt`,
      `/..%2fsecret.txt`,
    ];
    for (const path of attempts) {
      const res = await raw(path, authed);
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.body, path).not.toContain(SECRET);
    }
  });

  it('limits request bodies', async () => {
    const huge = 'x'.repeat(80 * 1024 * 1024);
    const res = await raw(apiPath, { ...authed, 'content-type': 'application/json', 'content-length': String(huge.length) }, 'POST', huge).catch(
      // The server may close the socket after answering 413, before the client has finished sending.
      (err: NodeJS.ErrnoException) => ({ status: err.code === 'EPIPE' || err.code === 'ECONNRESET' ? 413 : 0, body: '' }),
    );
    expect(res.status).toBe(413);
  });
});
