/**
 * The main window and the rules every web contents obeys: isolated, sandboxed, no Node, no new windows,
 * no navigation away from the app, no webviews, no permissions beyond writing the clipboard.
 */
import type { BrowserWindow, BrowserWindowConstructorOptions, Session, WebContents, WebPreferences } from 'electron';
import { CONTENT_SECURITY_POLICY } from '../shared/web';

export const SECURE_WEB_PREFERENCES: Readonly<WebPreferences> = Object.freeze({
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  // A file dropped outside the drop handler must not replace the app with a file:// page.
  navigateOnDragDrop: false,
  spellcheck: false,
});

/** "Copy path" writes the clipboard; everything else (camera, notifications, geolocation...) is refused. */
const ALLOWED_PERMISSIONS: ReadonlySet<string> = new Set(['clipboard-sanitized-write']);

export type BrowserWindowCtor = new (options: BrowserWindowConstructorOptions) => BrowserWindow;

export function windowOptions(preload: string, icon?: string): BrowserWindowConstructorOptions {
  return {
    width: 1360,
    height: 860,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'Lookalike',
    autoHideMenuBar: true,
    ...(icon === undefined ? {} : { icon }),
    webPreferences: { ...SECURE_WEB_PREFERENCES, preload },
  };
}

/** Whether a navigation target stays inside the app (its own origin, or the dev server in development). */
export function isAppUrl(url: string, allowedOrigins: readonly string[]): boolean {
  let origin: string;
  try {
    const parsed = new URL(url);
    // Node's URL reports origin "null" for custom schemes like lookalike:, so build it from its parts.
    origin = `${parsed.protocol}//${parsed.host}`;
  } catch {
    return false;
  }
  return allowedOrigins.includes(origin);
}

/** Applies to every web contents the app ever creates (see `app.on('web-contents-created')`). */
export function hardenWebContents(contents: WebContents, allowedOrigins: readonly string[]): void {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  const guard = (event: { preventDefault(): void }, url: string) => {
    if (!isAppUrl(url, allowedOrigins)) event.preventDefault();
  };
  contents.on('will-navigate', guard);
  contents.on('will-redirect', guard);
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

/**
 * Session-wide: deny permissions, and put the CSP on every web response as a second line behind the app
 * protocol's own header. Not in development: Vite's dev server needs an inline refresh script and a websocket.
 */
export function hardenSession(session: Session, options: { development?: boolean } = {}): void {
  session.setPermissionRequestHandler((_contents, permission, callback) => callback(ALLOWED_PERMISSIONS.has(permission)));
  session.setPermissionCheckHandler((_contents, permission) => ALLOWED_PERMISSIONS.has(permission));
  if (options.development) return;
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    });
  });
}

export function createMainWindow(
  BrowserWindowClass: BrowserWindowCtor,
  options: { preload: string; url: string; allowedOrigins: readonly string[]; icon?: string },
): BrowserWindow {
  const win = new BrowserWindowClass(windowOptions(options.preload, options.icon));
  hardenWebContents(win.webContents, options.allowedOrigins);
  win.once('ready-to-show', () => win.show());
  void win.loadURL(options.url);
  return win;
}
