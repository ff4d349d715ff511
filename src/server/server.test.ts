import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeEngine, type FakeEngine } from '../../test/support/fake-engine.js';
import { fnName } from '../shared/bridge.js';
import { channels, eventNames } from '../shared/api.js';
import { TOKEN_HEADER, cookieName } from './security.js';
import { startServer, type RunningServer } from './server.js';

let server: RunningServer;
let engine: FakeEngine;
let dir: string;
const TOKEN = 'test-token-0123456789';

// Channel names come from the contract, never from string literals in this test.
const channel = (name: string) => {
  const found = channels.find((c) => fnName(c) === name);
  if (!found) throw new Error(`no channel for ${name}`);
  return found;
};

async function call(name: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.origin}/api/${channel(name)}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', [TOKEN_HEADER]: TOKEN, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { ok: boolean; value?: unknown; error?: { code: string; message: string } } };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lookalike-server-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(join(dir, 'thumb.webp'), 'RIFFxxxxWEBP');
  engine = createFakeEngine({ thumbFile: join(dir, 'thumb.webp') });
  server = await startServer({ engine, rendererDir: dir, token: TOKEN, maxBodyBytes: 4096 });
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('POST /api/<channel> registration helper', () => {
  it('parses the input with the contract schema and wraps the value', async () => {
    const { status, body } = await call('searchByImage', { image: { kind: 'item', id: 1 } });
    expect(status).toBe(200);
    expect(body.ok).toBe(true);
    // The schema's default (k = 50) reached the handler: it got the parsed input, not the raw one.
    expect(engine.calls.at(-1)).toEqual({ fn: 'searchByImage', input: { image: { kind: 'item', id: 1 }, k: 50 } });
  });

  it('refuses input that breaks the schema with INVALID_INPUT and never calls the engine', async () => {
    const before = engine.calls.length;
    const { status, body } = await call('searchByImage', { image: { kind: 'item', id: -4 }, k: 5000 });
    expect(status).toBe(400);
    expect(body.error?.code).toBe('INVALID_INPUT');
    expect(engine.calls.length).toBe(before);
  });

  it('passes AppError codes through and hides unexpected errors behind INTERNAL', async () => {
    const missing = await call('libraryAddFolder', { collection: 'c', path: '/missing' });
    expect(missing.body.error).toEqual({ code: 'FOLDER_NOT_FOUND', message: 'No such folder: /missing' });
    const boom = await call('libraryAddFolder', { collection: 'c', path: '/boom' });
    expect(boom.status).toBe(500);
    expect(boom.body.error?.code).toBe('INTERNAL');
    expect(boom.body.error?.message).not.toContain('/home/user');
  });

  it('strips fields the contract does not promise from the output', async () => {
    const { body } = await call('itemsGet', { id: 1 });
    expect(body.ok).toBe(true);
    expect(body.value).not.toHaveProperty('internalHash');
  });

  it('answers NOT_FOUND for unknown operations and prototype keys', async () => {
    for (const name of ['nope:nothing', '__proto__', 'constructor', 'toString']) {
      const res = await fetch(`${server.origin}/api/${name}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', [TOKEN_HEADER]: TOKEN },
        body: '{}',
      });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    }
  });

  it('requires JSON and a body under the size limit', async () => {
    const text = await fetch(`${server.origin}/api/${channel('libraryStats')}`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain', [TOKEN_HEADER]: TOKEN },
      body: '{}',
    });
    expect(text.status).toBe(400);
    const malformed = await call('libraryStats', '{not json');
    expect(malformed.body.error?.code).toBe('INVALID_INPUT');
    const big = await call('searchByImage', { image: { kind: 'bytes', base64: 'A'.repeat(10_000) } });
    expect(big.status).toBe(413);
    expect(big.body.error?.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('only accepts POST for operations', async () => {
    const res = await fetch(`${server.origin}/api/${channel('libraryStats')}`, { headers: { [TOKEN_HEADER]: TOKEN } });
    expect(res.status).toBe(404);
  });
});

describe('session token', () => {
  it('trades the token in the URL for an HttpOnly, SameSite=Strict cookie', async () => {
    const res = await fetch(server.url, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toContain(`${cookieName(server.port)}=${TOKEN}`);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    const page = await fetch(`${server.origin}/`, { headers: { cookie: `${cookieName(server.port)}=${TOKEN}` } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
  });

  it('accepts a bearer token and refuses a wrong one', async () => {
    const ok = await fetch(`${server.origin}/api/${channel('libraryStats')}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}` },
      body: '{}',
    });
    expect(ok.status).toBe(200);
    const wrong = await fetch(`${server.origin}/?token=wrong`, { redirect: 'manual' });
    expect(wrong.status).toBe(401);
  });
});

describe('server-sent events', () => {
  it('streams contract events to a subscribed page', async () => {
    const controller = new AbortController();
    const res = await fetch(`${server.origin}/events`, { headers: { [TOKEN_HEADER]: TOKEN }, signal: controller.signal });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const progress = {
      jobId: 'j',
      kind: 'index' as const,
      phase: 'embedding' as const,
      done: 1,
      total: 2,
      failed: 0,
      rate: 1,
      etaSeconds: 1,
    };
    // Wait until the stream is open (its first comment) before emitting.
    while (!text.includes(': connected')) text += decoder.decode((await reader.read()).value);
    const eventName = eventNames[0]!;
    engine.emit(eventName, progress);
    while (!text.includes('data: ')) text += decoder.decode((await reader.read()).value);
    expect(text).toContain(`event: ${eventName}`);
    expect(text).toContain(JSON.stringify(progress));
    controller.abort();
  });
});

describe('listening', () => {
  it('explains a port that is already taken', async () => {
    await expect(startServer({ engine, rendererDir: dir, port: server.port })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
