/**
 * Electron main: the window, the `lookalike://app/` protocol, IPC registered from the contract, and the
 * engine in a utility process. Main itself does no heavy work, so the UI never stalls on indexing.
 */
import { join } from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, protocol, session, shell, utilityProcess } from 'electron';
import { createLogger } from '../core/base/logger';
import { defaultDataDir } from '../core/base/paths';
import { api, eventNames, hostApi } from '../shared/api';
import { toLogFormat } from '../shared/errors';
import { APP_ORIGIN, APP_SCHEME } from '../shared/web';
import { APP_SCHEME_PRIVILEGES, createAppProtocolHandler } from './app-protocol';
import { connectEngine } from './engine-client';
import { createHostHandlers } from './host-handlers';
import { registerIpc } from './ipc';
import { appIconPath } from './resources';
import { createMainWindow, hardenSession, hardenWebContents } from './window';
import type { WorkerRequest, WorkerResponse } from './worker-protocol';

const logger = createLogger({ level: 'info' });
const QUIT_TIMEOUT_MS = 10_000;
const here = import.meta.dirname;
// electron-vite sets this in development only (the renderer then comes from Vite's dev server).
const devUrl = process.env['ELECTRON_RENDERER_URL'];
const allowedOrigins = devUrl ? [APP_ORIGIN, new URL(devUrl).origin] : [APP_ORIGIN];

// Must happen before `ready`: the scheme gets an origin, a secure context and fetch support.
protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);

if (!app.requestSingleInstanceLock()) {
  // A second instance would fight the first for the data folder's lock.
  app.quit();
} else {
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, allowedOrigins));
  app.on('window-all-closed', () => app.quit());
  void app.whenReady().then(start, (err: unknown) => logger.error('startup failed', { error: toLogFormat(err) }));
}

async function start(): Promise<void> {
  hardenSession(session.defaultSession, { development: devUrl !== undefined });

  const child = utilityProcess.fork(join(here, 'engine.worker.js'), [], { serviceName: 'Lookalike engine' });
  const engine = connectEngine(
    {
      postMessage: (message: WorkerRequest) => child.postMessage(message),
      onMessage: (listener) => child.on('message', (message) => listener(message as WorkerResponse)),
    },
    { dataDir: defaultDataDir() },
  );
  let quitting = false;
  child.on('exit', (code) => {
    if (quitting) return;
    logger.error('engine process exited', { code });
    engine.fail({ code: 'INTERNAL', message: 'The engine process stopped; restart Lookalike.' });
  });

  protocol.handle(APP_SCHEME, createAppProtocolHandler({ rendererDir: join(here, '../renderer'), engine }));

  let win: BrowserWindow | null = null;
  const isTrustedSender = (event: { senderFrame: { url: string } | null }) =>
    event.senderFrame !== null && allowedOrigins.some((o) => event.senderFrame!.url.startsWith(`${o}/`));
  const onUnexpected = (channel: string, err: unknown) => logger.error('ipc call failed', { channel, error: toLogFormat(err) });
  registerIpc(ipcMain, api, engine.api, { isTrustedSender, onUnexpected });
  registerIpc(ipcMain, hostApi, createHostHandlers({ dialog, shell, engine, window: () => win }), { isTrustedSender, onUnexpected });

  win = createMainWindow(BrowserWindow, {
    preload: join(here, '../preload/index.cjs'),
    url: devUrl ?? `${APP_ORIGIN}/index.html`,
    allowedOrigins,
    icon: appIconPath(here),
  });
  win.on('closed', () => (win = null));
  for (const name of eventNames) {
    engine.events.on(name, (payload) => {
      if (win && !win.isDestroyed()) win.webContents.send(name, payload);
    });
  }

  // Hold the quit until the engine has saved its index and closed the catalog (bounded, so quit never hangs).
  app.on('before-quit', (event) => {
    if (quitting) return;
    quitting = true;
    event.preventDefault();
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, QUIT_TIMEOUT_MS));
    void Promise.race([engine.close(), timeout]).finally(() => app.quit());
  });
  engine.ready.catch((err: unknown) => {
    dialog.showErrorBox('Lookalike could not open its library', err instanceof Error ? err.message : String(err));
  });
}
