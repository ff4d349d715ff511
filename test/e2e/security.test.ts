/**
 * The browser host's gate, over real HTTP: no token, foreign Origin or Host, and path tricks on the media
 * routes are all refused before anything reaches the engine or the file system. With the real engine: files are
 * reachable only inside the user's chosen folders, through the media routes, search by path and IPC alike
 * (links out of the roots, files swapped for links after indexing, rows of another collection).
 */
import { request } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/core/app/engine.js';
import { toServedEngine } from '../../src/core/app/host/served-engine.js';
import { scene, writeScene } from '../support/synthetic.js';
import { registerIpc } from '../../src/main/ipc.js';
import { api, channels } from '../../src/shared/api.js';
import { fnName } from '../../src/shared/bridge.js';
import { APP_ORIGIN } from '../../src/shared/web.js';
import { TOKEN_HEADER, cookieName } from '../../src/server/security.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { createFakeEngine } from '../support/fake-engine.js';
import { rawDatabase } from '../../src/core/catalog/raw-database.js';

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
function raw(path: string, headers: Record<string, string> = {}, method = 'GET', body?: string, target: RunningServer = server): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: target.port, path, method, headers: { host: `127.0.0.1:${target.port}`, ...headers } },
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

/** Whether a TCP connection to host:port is accepted. */
function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

describe('loopback only', () => {
  it('accepts connections on 127.0.0.1 and on no other interface of this machine', async () => {
    expect(await canConnect('127.0.0.1', server.port)).toBe(true);
    const others = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a !== undefined && !a.internal && !a.address.startsWith('fe80:'))
      .map((a) => a!.address);
    for (const address of [...others, '::1']) expect(await canConnect(address, server.port), address).toBe(false);
  });
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

describe('a real engine: file access confined to the chosen folders', () => {
  let root: string;
  let engine: Engine;
  let real: RunningServer;
  let secretImage: Buffer;
  const ids = new Map<string, number>();
  const lib = (...p: string[]) => join(root, 'library', ...p);
  const outside = (...p: string[]) => join(root, 'outside', ...p);
  const ch = (name: string) => channels.find((c) => fnName(c) === name)!;

  const get = (path: string) => raw(path, authed, 'GET', undefined, real);
  const post = async (name: string, input: unknown) => {
    const res = await raw(`/api/${ch(name)}`, { ...authed, 'content-type': 'application/json' }, 'POST', JSON.stringify(input), real);
    return { status: res.status, body: JSON.parse(res.body) as { ok: boolean; error?: { code: string } } };
  };
  /** The secret image's bytes (or its base64) must never appear in a reply. */
  const leaks = (body: string) => body.includes(secretImage.subarray(100, 140).toString('latin1')) || body.includes(SECRET);

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'lookalike-sec-real-'));
    for (const [i, name] of ['a.jpg', 'b.jpg', 'c.jpg'].entries()) await writeScene(lib('shop', name), 300 + i);
    for (const [i, name] of ['r1.jpg', 'r2.jpg'].entries()) await writeScene(lib('rival', name), 310 + i);
    mkdirSync(outside(), { recursive: true });
    secretImage = await scene(399).jpeg().toBuffer();
    writeFileSync(outside('secret.jpg'), secretImage);
    writeFileSync(outside('secret.txt'), SECRET);
    // Links planted in a chosen folder, pointing out of it: a file and a whole folder.
    symlinkSync(outside('secret.jpg'), lib('shop', 'link-out.jpg'));
    symlinkSync(outside(), lib('shop', 'linked-folder'));

    engine = await createEngine({ dataDir: join(root, 'data'), modelId: 'fast', device: 'cpu' });
    engine.library.addFolder('shop', lib('shop'));
    engine.library.addFolder('rival', lib('rival'));
    await engine.indexer.run();
    for (const r of rawDatabase(engine.catalog).prepare('SELECT id, path FROM items').all() as { id: number; path: string }[]) ids.set(r.path, r.id);
    real = await startServer({ engine: toServedEngine(engine), rendererDir: join(dir, 'renderer'), token: TOKEN });
  });

  afterAll(async () => {
    await real?.close();
    await engine?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('never indexes or follows a link out of the folders', () => {
    expect(ids.has(lib('shop', 'linked-folder', 'secret.jpg'))).toBe(false);
    expect(engine.library.errors('shop')).toEqual([
      expect.objectContaining({ path: lib('shop', 'link-out.jpg'), code: 'PATH_OUTSIDE_ROOTS' }),
    ]);
  });

  it('serves an item inside its folder, and refuses the recorded link out of it', async () => {
    const ok = await get(`/image/${ids.get(lib('shop', 'a.jpg'))}`);
    expect(ok.status).toBe(200);
    const linkId = ids.get(lib('shop', 'link-out.jpg'))!;
    for (const path of [`/image/${linkId}`, `/thumb/${linkId}?size=256`, `/thumb/${linkId}?size=1024`]) {
      const res = await get(path);
      expect(res.status, path).toBe(422);
      expect(JSON.parse(res.body).error.code, path).toBe('PATH_OUTSIDE_ROOTS');
      expect(leaks(res.body), path).toBe(false);
    }
  });

  it('refuses a file swapped for a link after it was indexed, on every route', async () => {
    const id = ids.get(lib('shop', 'b.jpg'))!;
    rmSync(lib('shop', 'b.jpg'));
    symlinkSync(outside('secret.jpg'), lib('shop', 'b.jpg'));
    for (const path of [`/image/${id}`, `/thumb/${id}?size=512`]) {
      const res = await get(path);
      expect(JSON.parse(res.body).error?.code, path).toBe('PATH_OUTSIDE_ROOTS');
      expect(leaks(res.body), path).toBe(false);
    }
    const crop = await post('searchByImage', { image: { kind: 'item', id }, crop: { x: 0, y: 0, width: 50, height: 50 } });
    expect(crop.body.error?.code).toBe('PATH_OUTSIDE_ROOTS');
  });

  it('refuses a row of one collection that points into another collection\'s folder', async () => {
    const id = ids.get(lib('rival', 'r1.jpg'))!;
    rawDatabase(engine.catalog).prepare('UPDATE items SET path = ? WHERE id = ?').run(lib('shop', 'c.jpg'), id);
    try {
      const res = await get(`/image/${id}`);
      expect(JSON.parse(res.body).error.code).toBe('PATH_OUTSIDE_ROOTS');
    } finally {
      rawDatabase(engine.catalog).prepare('UPDATE items SET path = ? WHERE id = ?').run(lib('rival', 'r1.jpg'), id);
    }
    expect((await get(`/image/${id}`)).status).toBe(200);
  });

  it('refuses ids of no item and path tricks, with the real catalog behind the routes', async () => {
    for (const path of ['/image/999999', '/thumb/424242']) expect((await get(path)).status, path).toBe(404);
    for (const path of ['/image/..%2f..%2foutside%2fsecret.jpg', `/image/${encodeURIComponent(outside('secret.jpg'))}`, `/thumb${outside('secret.jpg')}`]) {
      const res = await get(path);
      expect(res.status, path).toBe(400);
      expect(leaks(res.body), path).toBe(false);
    }
  });

  it('searches by path only inside the folders over HTTP (traversal, links, absolute and relative paths)', async () => {
    const inside = await post('searchByImage', { image: { kind: 'path', path: lib('shop', 'c.jpg') }, k: 1 });
    expect(inside.body.ok).toBe(true);
    for (const path of [
      outside('secret.jpg'),
      outside('secret.txt'),
      '/etc/passwd',
      lib('shop', '..', '..', 'outside', 'secret.jpg'),
      `${lib('shop')}/../../outside/secret.jpg`,
      lib('shop', 'link-out.jpg'),
      lib('shop', 'linked-folder', 'secret.jpg'),
      lib('shop') + '-sibling/x.jpg',
      'library/shop/c.jpg',
      '../outside/secret.jpg',
    ]) {
      const res = await post('searchByImage', { image: { kind: 'path', path }, k: 1 });
      expect(res.body.error?.code, path).toBe('PATH_OUTSIDE_ROOTS');
    }
    // A path in JSON is never URL-decoded: this names a folder literally called "%2e%2e", which does not exist.
    const encoded = await post('searchByImage', { image: { kind: 'path', path: lib('shop', '%2e%2e', '%2e%2e', 'outside', 'secret.jpg') }, k: 1 });
    expect(encoded.body.error?.code).toBe('NOT_FOUND');
  });

  it('confines search by path through Electron IPC too', async () => {
    const handlers = new Map<string, (event: unknown, input: unknown) => Promise<unknown>>();
    registerIpc({ handle: (c: string, h: never) => void handlers.set(c, h) } as never, api, engine.api, { isTrustedSender: () => true });
    const call = (input: unknown) => handlers.get(ch('searchByImage'))!({ senderFrame: { url: `${APP_ORIGIN}/index.html` } }, input);
    expect(await call({ image: { kind: 'path', path: outside('secret.jpg') } })).toMatchObject({ ok: false, error: { code: 'PATH_OUTSIDE_ROOTS' } });
    expect(await call({ image: { kind: 'path', path: lib('shop', 'c.jpg') }, k: 1 })).toMatchObject({ ok: true });
    expect(readFileSync(outside('secret.txt'), 'utf8')).toBe(SECRET);
  });
});
