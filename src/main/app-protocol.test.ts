import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeEngine } from '../../test/support/fake-engine';
import { APP_ORIGIN, CONTENT_SECURITY_POLICY } from '../shared/web';
import { createAppProtocolHandler } from './app-protocol';

let dir: string;
let handle: (r: Request) => Promise<Response>;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lookalike-proto-'));
  mkdirSync(join(dir, 'renderer', 'assets'), { recursive: true });
  writeFileSync(join(dir, 'renderer', 'index.html'), '<!doctype html>');
  writeFileSync(join(dir, 'renderer', 'assets', 'app.js'), 'export {}');
  writeFileSync(join(dir, 'secret.txt'), 'secret');
  writeFileSync(join(dir, 'thumb.webp'), 'WEBP');
  writeFileSync(join(dir, 'photo.jpg'), 'JPEG');
  handle = createAppProtocolHandler({
    rendererDir: join(dir, 'renderer'),
    engine: createFakeEngine({ thumbFile: join(dir, 'thumb.webp'), imageFile: join(dir, 'photo.jpg') }),
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const get = (path: string) => handle(new Request(`${APP_ORIGIN}${path}`));

describe('lookalike://app protocol', () => {
  it('serves the renderer with the CSP header', async () => {
    const res = await get('/index.html');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect((await get('/assets/app.js')).headers.get('content-type')).toContain('javascript');
  });

  it('serves media by catalog id only', async () => {
    const thumb = await get('/thumb/1?size=200');
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get('content-type')).toBe('image/webp');
    const image = await get('/image/2');
    expect(await image.text()).toBe('JPEG');
    expect((await get('/thumb/42')).status).toBe(404);
  });

  it('sends the CSP with every response, errors and media included', async () => {
    for (const path of ['/index.html', '/thumb/1?size=256', '/image/2', '/thumb/42', '/nope.js', '/../secret.txt']) {
      expect((await get(path)).headers.get('content-security-policy'), path).toBe(CONTENT_SECURITY_POLICY);
    }
    expect((await handle(new Request(`${APP_ORIGIN}/index.html`, { method: 'POST' }))).status).toBe(404);
  });

  it('refuses traversal, odd ids and other hosts', async () => {
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/thumb/..%2fsecret.txt', '/thumb/-1', '/thumb/1.5', '/image/0x1', '/image/%2fetc%2fpasswd']) {
      const res = await get(path);
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(await res.text(), path).not.toContain('secret');
    }
    expect((await handle(new Request('lookalike://other/index.html'))).status).toBe(404);
  });
});
