/**
 * `lookalike serve` itself, as a service manager runs it: a child process that prints its URL with the token,
 * serves the page and the contract, and stops promptly on SIGTERM (exit 0) even with an index job, an event stream
 * and requests in flight, and on Ctrl-C (SIGINT, exit 130 like every other command).
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, type CliProcess } from '../support/cli-process.js';
import { writeScene } from '../support/synthetic.js';
import { channels } from '../../src/shared/api.js';
import { EVENTS_PATH } from '../../src/shared/web.js';
import { fnName } from '../../src/shared/bridge.js';
import { TOKEN_HEADER } from '../../src/server/security.js';
import { RENDERER_DIR_ENV, STOP_GRACE_MS } from '../../src/cli/commands/serve.command.js';
import { ensureBuiltCli } from './built-cli.js';
import { tempDir, type TempDir } from './helpers.js';

let tmp: TempDir;
let renderer: string;
let photos: string;

const channel = (name: string) => {
  const found = channels.find((c) => fnName(c) === name);
  if (!found) throw new Error(`no channel for ${name}`);
  return found;
};

beforeAll(async () => {
  await ensureBuiltCli();
  tmp = tempDir('serve');
  renderer = join(tmp.path, 'renderer');
  mkdirSync(renderer);
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>lookalike test page</title>');
  photos = join(tmp.path, 'photos');
  await Promise.all(Array.from({ length: 40 }, (_, i) => writeScene(join(photos, `p${i}.jpg`), 700 + i)));
}, 180_000);
afterAll(() => tmp?.remove());

/** Starts `lookalike serve` and resolves with its printed URL once it listens. */
async function serve(data: string): Promise<{ proc: CliProcess; url: URL }> {
  const proc = startCli(['--data', data, '--model', 'fast', 'serve', '--port', '0'], { env: { [RENDERER_DIR_ENV]: renderer }, timeoutMs: 120_000 });
  let stdout = '';
  proc.child.stdout!.on('data', (s: string) => (stdout += s));
  await proc.waitForStderr(/private token/);
  const m = /^Lookalike is running at (http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{20,})$/m.exec(stdout);
  expect(m, stdout).not.toBeNull();
  return { proc, url: new URL(m![1]!) };
}

async function api(url: URL, token: string, name: string, input: unknown): Promise<{ status: number; body: { ok: boolean; value?: unknown } }> {
  const res = await fetch(new URL(`/api/${channel(name)}`, url.origin), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', [TOKEN_HEADER]: token },
    body: JSON.stringify(input),
  });
  return { status: res.status, body: (await res.json()) as { ok: boolean; value?: unknown } };
}

describe('lookalike serve (child process)', () => {
  it('prints its URL with the token, serves, and stops within about two seconds of SIGTERM mid-work (exit 0)', async () => {
    const { proc, url } = await serve(join(tmp.path, 'data-term'));
    const token = url.searchParams.get('token')!;
    // The token in the URL is traded for a cookie; without it the API is closed.
    const page = await fetch(url, { redirect: 'manual' });
    expect(page.status).toBe(303);
    expect(page.headers.get('set-cookie')).toMatch(/HttpOnly/);
    expect((await fetch(new URL('/', url.origin))).status).toBe(401);
    const page2 = await fetch(new URL('/', url.origin), { headers: { [TOKEN_HEADER]: token } });
    expect(await page2.text()).toContain('lookalike test page');

    expect((await api(url, token, 'libraryAddFolder', { collection: 'shop', path: photos })).body.ok).toBe(true);
    // Work in flight when the stop comes: an event stream, an index job, a search.
    const events = await fetch(new URL(`/${EVENTS_PATH}`, url.origin), { headers: { [TOKEN_HEADER]: token } });
    expect(events.status).toBe(200);
    const started = await api(url, token, 'indexStart', {});
    expect(started.body.ok).toBe(true);
    const reader = events.body!.getReader();
    await reader.read();
    void api(url, token, 'searchByImage', { image: { kind: 'path', path: join(photos, 'p1.jpg') }, k: 3 }).catch(() => undefined);
    // A FIFO in the folder: its open used to block a pool thread for good, and the process never exited.
    execFileSync('mkfifo', [join(photos, 'pipe.jpg')]);
    void api(url, token, 'searchByImage', { image: { kind: 'path', path: join(photos, 'pipe.jpg') }, k: 3 }).catch(() => undefined);

    const stopAt = performance.now();
    proc.child.kill('SIGTERM');
    const run = await proc.done;
    const stopMs = performance.now() - stopAt;
    expect(run.signal).toBeNull();
    expect(run.code).toBe(0);
    expect(stopMs).toBeLessThan(STOP_GRACE_MS + 1000);
    await reader.cancel().catch(() => undefined);
  }, 120_000);

  it('stops on Ctrl-C (SIGINT) with 130', async () => {
    const { proc, url } = await serve(join(tmp.path, 'data-int'));
    expect((await api(url, url.searchParams.get('token')!, 'libraryStats', {})).status).toBe(200);
    proc.child.kill('SIGINT');
    const [code] = (await once(proc.child, 'close')) as [number | null];
    expect(code).toBe(130);
  }, 120_000);
});
