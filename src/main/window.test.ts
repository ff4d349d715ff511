import { describe, expect, it, vi } from 'vitest';
import type { BrowserWindowConstructorOptions, Session, WebContents } from 'electron';
import { CONTENT_SECURITY_POLICY, APP_ORIGIN } from '../shared/web';
import { createMainWindow, hardenSession, hardenWebContents, isAppUrl } from './window';

type Listener = (...args: unknown[]) => void;

function fakeContents() {
  const listeners = new Map<string, Listener>();
  let openHandler: ((d: { url: string }) => unknown) | null = null;
  const contents = {
    id: 1,
    on: vi.fn((event: string, l: Listener) => {
      listeners.set(event, l);
      return contents;
    }),
    setWindowOpenHandler: vi.fn((h: (d: { url: string }) => unknown) => (openHandler = h)),
    send: vi.fn(),
    isDestroyed: () => false,
  };
  const fire = (event: string, url?: string) => {
    const e = { preventDefault: vi.fn() };
    listeners.get(event)?.(e, url);
    return e.preventDefault.mock.calls.length > 0;
  };
  return { contents: contents as unknown as WebContents, fire, open: (url: string) => openHandler?.({ url }) };
}

function createdPrefs(): NonNullable<BrowserWindowConstructorOptions['webPreferences']> {
  const created: BrowserWindowConstructorOptions[] = [];
  class FakeWindow {
    webContents = fakeContents().contents;
    constructor(options: BrowserWindowConstructorOptions) {
      created.push(options);
    }
    once = vi.fn();
    loadURL = vi.fn(async () => undefined);
  }
  createMainWindow(FakeWindow as never, { preload: '/app/preload/index.cjs', url: `${APP_ORIGIN}/index.html`, allowedOrigins: [APP_ORIGIN] });
  return created[0]!.webPreferences!;
}

describe('main window security', () => {
  it('creates the window isolated, sandboxed, without Node and with the bundled preload', () => {
    const created: BrowserWindowConstructorOptions[] = [];
    const { contents } = fakeContents();
    class FakeWindow {
      webContents = contents;
      constructor(options: BrowserWindowConstructorOptions) {
        created.push(options);
      }
      once = vi.fn();
      loadURL = vi.fn(async () => undefined);
    }
    const win = createMainWindow(FakeWindow as never, { preload: '/app/preload/index.cjs', url: `${APP_ORIGIN}/index.html`, allowedOrigins: [APP_ORIGIN] });
    const prefs = created[0]!.webPreferences!;
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      preload: '/app/preload/index.cjs',
    });
    expect((win as unknown as FakeWindow).loadURL).toHaveBeenCalledWith(`${APP_ORIGIN}/index.html`);
  });

  it('turns on nothing that widens the renderer\'s reach', () => {
    const prefs = createdPrefs();
    // Every key is one we chose on purpose; anything new must be added here deliberately.
    expect(Object.keys(prefs).sort()).toEqual(
      [
        'allowRunningInsecureContent',
        'contextIsolation',
        'navigateOnDragDrop',
        'nodeIntegration',
        'nodeIntegrationInSubFrames',
        'nodeIntegrationInWorker',
        'preload',
        'sandbox',
        'spellcheck',
        'webSecurity',
        'webviewTag',
      ].sort(),
    );
    expect(prefs.navigateOnDragDrop).toBe(false);
    for (const risky of ['experimentalFeatures', 'enableBlinkFeatures', 'allowpopups', 'enableWebSQL', 'plugins']) {
      expect(prefs, risky).not.toHaveProperty(risky);
    }
  });

  it('denies window.open and every navigation away from the app', () => {
    const { contents, fire, open } = fakeContents();
    hardenWebContents(contents, [APP_ORIGIN]);
    expect(open('https://example.com/')).toEqual({ action: 'deny' });
    expect(open(`${APP_ORIGIN}/index.html`)).toEqual({ action: 'deny' });
    expect(fire('will-navigate', 'https://evil.example/')).toBe(true);
    expect(fire('will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(fire('will-redirect', 'http://127.0.0.1:1/')).toBe(true);
    expect(fire('will-navigate', `${APP_ORIGIN}/index.html`)).toBe(false);
    expect(fire('will-attach-webview')).toBe(true);
  });

  it('recognises only exact app origins', () => {
    expect(isAppUrl(`${APP_ORIGIN}/x`, [APP_ORIGIN])).toBe(true);
    expect(isAppUrl('lookalike://app.evil/x', [APP_ORIGIN])).toBe(false);
    expect(isAppUrl('not a url', [APP_ORIGIN])).toBe(false);
  });

  it('puts the CSP on every response and refuses permissions except clipboard writes', () => {
    let headersListener: ((d: unknown, cb: (r: { responseHeaders?: Record<string, unknown> }) => void) => void) | null = null;
    let requestHandler: ((c: unknown, p: string, cb: (granted: boolean) => void) => void) | null = null;
    let checkHandler: ((c: unknown, p: string) => boolean) | null = null;
    const session = {
      webRequest: { onHeadersReceived: (l: typeof headersListener) => (headersListener = l) },
      setPermissionRequestHandler: (h: typeof requestHandler) => (requestHandler = h),
      setPermissionCheckHandler: (h: typeof checkHandler) => (checkHandler = h),
    };
    hardenSession(session as unknown as Session);
    let headers: Record<string, unknown> | undefined;
    headersListener!({ url: 'x', responseHeaders: { 'X-A': ['1'] } }, (r) => (headers = r.responseHeaders));
    expect(headers).toEqual({ 'X-A': ['1'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] });
    const granted = (p: string) => {
      let g: boolean | undefined;
      requestHandler!(null, p, (v) => (g = v));
      return g;
    };
    expect(granted('media')).toBe(false);
    expect(granted('geolocation')).toBe(false);
    expect(granted('clipboard-sanitized-write')).toBe(true);
    expect(checkHandler!(null, 'notifications')).toBe(false);
  });

  it('has a strict CSP: own scripts only, no inline code, no framing, no plugins', () => {
    const directives = new Map(CONTENT_SECURITY_POLICY.split(';').map((d) => {
      const [name, ...values] = d.trim().split(/\s+/);
      return [name!, values] as const;
    }));
    // The page talks only to its own origin (no network), shows only its own media or dropped blobs.
    expect(directives.get('connect-src')).toEqual(["'self'"]);
    expect(directives.get('img-src')).toEqual(["'self'", 'blob:']);
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('base-uri')).toEqual(["'none'"]);
    expect(directives.get('form-action')).toEqual(["'none'"]);
    expect(directives.has('frame-src') || directives.has('child-src')).toBe(false); // default-src 'none' applies
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'none'");
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline');
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-eval');
    expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
    expect(CONTENT_SECURITY_POLICY).toContain("object-src 'none'");
  });
});
